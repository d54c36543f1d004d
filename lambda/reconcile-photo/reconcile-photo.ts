import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionNameFromArn } from '../record-photo/record-photo';
import { conditionalWrite, InvalidInput, stepErrorMessage } from '../shared/errors';
import type { PhotoStatus } from '../shared/model';
import type { Log } from '../shared/powertools';
import { describe, isObject, stringField } from '../shared/validate';

/** The execution statuses the reconciler's rule sends: an execution that ended outside its own catches. */
export const STOPPED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type StoppedStatus = (typeof STOPPED_STATUSES)[number];

/** The part of an EventBridge "Step Functions Execution Status Change" event the reconciler reads. */
export interface ExecutionStopped {
  readonly executionArn: string;
  readonly status: StoppedStatus;
  /** Whose record: from the execution's input (WorkflowInput). */
  readonly owner: string;
  readonly photoId: string;
  /** Epoch milliseconds; null when the event has none. */
  readonly startDate: number | null;
  readonly stopDate: number | null;
  readonly error: string | null;
  readonly cause: string | null;
}

export interface ReconcileDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The state machine's TimeoutSeconds, for the TIMED_OUT reason. @default the execution's duration */
  readonly executionTimeoutSeconds?: number;
  readonly log: Log;
  readonly now?: () => Date;
}

export interface ReconcileOutcome {
  /** True when the record was marked FAILED; false when it is gone, final, or another execution's. */
  readonly marked: boolean;
  readonly reason: string;
}

const MAX_REASON_LENGTH = 1000;

/**
 * Marks the photo of an execution that stopped (FAILED, TIMED_OUT or ABORTED outside the definition's
 * catches) FAILED with a readable reason, so no photo stays PROCESSING.
 *
 * Records map to executions by name: start-execution writes the deterministic `executionName` with the
 * PROCESSING record (its `executionId` is null until the state machine's first write), and the name is
 * the last part of the execution ARN. The update is conditional on that name and on PROCESSING, so a
 * record that a concurrent RecordReady / RecordFailure / RecordRejection already finished, one reset by
 * a re-upload (another execution), or a deleted record is left alone; a deleted record is not recreated.
 */
export async function reconcilePhoto(
  stopped: ExecutionStopped,
  deps: ReconcileDeps,
): Promise<ReconcileOutcome> {
  const executionName = executionNameFromArn(stopped.executionArn);
  const reason = stoppedReason(stopped, deps.executionTimeoutSeconds);
  const marked = await conditionalWrite(
    deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { owner: stopped.owner, photoId: stopped.photoId },
        UpdateExpression:
          'SET #status = :failed, #reason = :reason, #executionId = :executionArn, #updatedAt = :now',
        ConditionExpression: '#executionName = :executionName AND #status = :processing',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#reason': 'reason',
          '#executionId': 'executionId',
          '#updatedAt': 'updatedAt',
          '#executionName': 'executionName',
        },
        ExpressionAttributeValues: {
          ':failed': 'FAILED' satisfies PhotoStatus,
          ':processing': 'PROCESSING' satisfies PhotoStatus,
          ':reason': reason,
          ':executionArn': stopped.executionArn,
          ':executionName': executionName,
          ':now': (deps.now?.() ?? new Date()).toISOString(),
        },
      }),
    ),
  );
  if (!marked) {
    deps.log.info('Record left as it is: gone, already final, or another execution’s', {
      owner: stopped.owner,
      photoId: stopped.photoId,
      executionName,
      status: stopped.status,
    });
  }
  return { marked, reason };
}

/** The sentence a person reads on the photo: why processing stopped. */
export function stoppedReason(
  stopped: Pick<ExecutionStopped, 'status' | 'startDate' | 'stopDate' | 'error' | 'cause'>,
  executionTimeoutSeconds?: number,
): string {
  let reason: string;
  switch (stopped.status) {
    case 'ABORTED':
      reason = 'Processing stopped: the execution was aborted';
      break;
    case 'TIMED_OUT': {
      const seconds =
        executionTimeoutSeconds ??
        (stopped.startDate !== null && stopped.stopDate !== null
          ? Math.round((stopped.stopDate - stopped.startDate) / 1000)
          : undefined);
      reason =
        seconds === undefined
          ? 'Processing stopped: the execution timed out'
          : `Processing stopped: the execution timed out after ${duration(seconds)}`;
      break;
    }
    case 'FAILED': {
      const detail = [stopped.error, stepErrorMessage(stopped.cause)].filter(Boolean).join(': ');
      reason = detail
        ? `Processing stopped: the execution failed: ${detail}`
        : 'Processing stopped: the execution failed';
      break;
    }
  }
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
}

/**
 * Reads the EventBridge event: `detail-type` "Step Functions Execution Status Change", `detail` with
 * executionArn, status, input (the WorkflowInput as JSON text), startDate / stopDate (epoch ms), error
 * and cause.
 */
export function parseExecutionStopped(event: unknown): ExecutionStopped {
  const detail = isObject(event) ? event.detail : undefined;
  if (!isObject(detail)) {
    throw new InvalidInput(
      `Expected a "Step Functions Execution Status Change" event with a detail object, got ${describe(event)}.`,
    );
  }
  const expected = 'an execution status change detail { executionArn, status, input, ... }';
  const executionArn = stringField(detail, 'executionArn', expected);
  const status = stringField(detail, 'status', expected);
  if (!STOPPED_STATUSES.includes(status as StoppedStatus)) {
    throw new InvalidInput(
      `The execution's status must be one of ${STOPPED_STATUSES.join(', ')} (the rule's pattern), got ${describe(status)}.`,
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(stringField(detail, 'input', expected));
  } catch (error) {
    if (error instanceof InvalidInput) throw error;
    throw new InvalidInput(`The execution's input is not JSON: ${describe(detail.input)}.`);
  }
  const workflowInput = "the execution's input to be ImageProc's { bucket, key, owner, photoId }";
  return {
    executionArn,
    status: status as StoppedStatus,
    owner: stringField(input, 'owner', workflowInput),
    photoId: stringField(input, 'photoId', workflowInput),
    startDate: typeof detail.startDate === 'number' ? detail.startDate : null,
    stopDate: typeof detail.stopDate === 'number' ? detail.stopDate : null,
    error: typeof detail.error === 'string' && detail.error ? detail.error : null,
    cause: typeof detail.cause === 'string' && detail.cause ? detail.cause : null,
  };
}

function duration(seconds: number): string {
  if (seconds % 60 === 0 && seconds >= 60) {
    const minutes = seconds / 60;
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
