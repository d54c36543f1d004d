import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { standardExecutionArn } from '../get-photo/get-photo';
import type { RetryPhotoResponse } from '../shared/api';
import { errorName, errorReason, isConditionFailed } from '../shared/errors';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  findOwnPhoto,
  HttpError,
  json,
  photoIdParam,
  respond,
} from '../shared/http';
import type { AttemptRecord, PhotoRecord } from '../shared/model';
import { toPhotoView } from '../shared/photo-view';
import type { Log } from '../shared/powertools';
import type { WorkflowInput } from '../shared/workflow';
import { executionNameFor } from '../start-execution/start-execution';

export interface RetryPhotoDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly log: Log;
  readonly now?: () => Date;
}

/**
 * Attempts one upload may have: the first plus four retries. A photo that fails five times fails for
 * a reason a retry will not fix (its bytes, a bug); the cap also bounds the record's attempt history.
 */
export const MAX_ATTEMPTS = 5;

/** DescribeExecution's errors for an execution that is gone (expired history) or not an ARN at all. */
const UNKNOWN_EXECUTION = new Set(['ExecutionDoesNotExist', 'InvalidArn']);

type RetryMode = RetryPhotoResponse['retriedBy'];

/**
 * POST /photos/{photoId}/retry: processes a FAILED photo again without a new upload.
 *
 * Where Step Functions can redrive the failed execution (a STANDARD execution that FAILED, TIMED_OUT
 * or was ABORTED within the last 14 days, which DescribeExecution reports as `redriveStatus:
 * REDRIVABLE`), it is redriven: it resumes at the state that failed, under the same name, and the
 * steps that succeeded are not run (nor billed) again. Otherwise (a failure the workflow caught and
 * recorded, which ends in its Fail state and is not redrivable; an EXPRESS execution; an execution
 * that never started) a new execution runs the whole workflow under a new name.
 *
 * The record is claimed first, with a write conditional on it still being FAILED under the execution
 * that was read: two retries at once start one execution (the other gets 409), and the pipeline's
 * writes, which need the record PROCESSING under their execution's name, land on it again. Each
 * attempt is recorded (`attempts`, `attemptHistory`).
 */
export async function retryPhoto(event: ApiEvent, deps: RetryPhotoDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const photoId = photoIdParam(event);
    // The owner is part of the key: another user's photo is 404 here as on every photo route.
    const record = await findOwnPhoto(deps.dynamo, deps.tableName, owner, photoId);
    if (record.status !== 'FAILED') {
      throw new HttpError(
        409,
        `Only a FAILED photo can be retried; ${photoId} is ${record.status}.` +
          (record.status === 'PROCESSING' ? ' Wait for it to finish.' : ''),
      );
    }
    const attempts = record.attempts ?? 1;
    if (attempts >= MAX_ATTEMPTS) {
      throw new HttpError(
        409,
        `${photoId} has failed ${attempts} times, the most this API retries a photo; upload it again or delete it.`,
      );
    }
    const mode: RetryMode = (await isRedrivable(record, deps)) ? 'redrive' : 'new-execution';
    let claimed = await claim(record, mode, deps);
    let retriedBy = mode;
    if (mode === 'redrive') {
      try {
        await deps.sfn.send(new RedriveExecutionCommand({ executionArn: record.executionId! }));
      } catch (error) {
        // Redrivable a moment ago, not now (its 14 days ran out, or it was redriven elsewhere): the
        // whole workflow again instead.
        if (errorName(error) !== 'ExecutionNotRedrivable') {
          await release(claimed, error, deps);
          throw unavailable(error);
        }
        deps.log.warn('Execution no longer redrivable; starting a new one', { owner, photoId, error });
        claimed = await switchToNewExecution(claimed, deps);
        retriedBy = 'new-execution';
      }
    }
    if (retriedBy === 'new-execution') {
      try {
        await deps.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: deps.stateMachineArn,
            name: claimed.executionName,
            input: JSON.stringify(workflowInput(claimed)),
          }),
        );
      } catch (error) {
        await release(claimed, error, deps);
        throw unavailable(error);
      }
    }
    deps.log.info('Photo retried', { owner, photoId, retriedBy, attempts: claimed.attempts });
    const body: RetryPhotoResponse = { ...toPhotoView(claimed), retriedBy };
    return json(202, body);
  });
}

/** Whether Step Functions says the photo's last execution can be redriven. */
async function isRedrivable(record: PhotoRecord, deps: RetryPhotoDeps): Promise<boolean> {
  const executionArn = standardExecutionArn(record.executionId);
  if (!executionArn) return false;
  try {
    const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return execution.redriveStatus === 'REDRIVABLE';
  } catch (error) {
    if (UNKNOWN_EXECUTION.has(errorName(error) ?? '')) return false;
    throw error;
  }
}

/** The name of the execution a retry starts: one per attempt, so a repeated request cannot start two. */
export function retryExecutionName(record: PhotoRecord, attempt: number): string {
  return executionNameFor({
    bucket: record.bucket,
    key: record.originalKey,
    version: `retry-${attempt}-of-${record.executionName}`,
  });
}

/** FAILED under the execution that was read → PROCESSING under the execution the retry runs. */
async function claim(record: PhotoRecord, mode: RetryMode, deps: RetryPhotoDeps): Promise<PhotoRecord> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const attempt = (record.attempts ?? 1) + 1;
  const history: AttemptRecord[] = [
    ...(record.attemptHistory ?? []),
    {
      executionName: record.executionName,
      executionId: record.executionId ?? null,
      reason: record.reason ?? null,
      retriedAt: now,
      retriedBy: mode,
    },
  ];
  const executionName = mode === 'redrive' ? record.executionName : retryExecutionName(record, attempt);
  // A redriven execution keeps its ARN; a new one writes its own on its first step.
  const executionId = mode === 'redrive' ? (record.executionId ?? null) : null;
  const changes = {
    status: 'PROCESSING',
    reason: null,
    updatedAt: now,
    executionName,
    executionId,
    attempts: attempt,
    attemptHistory: history,
  } satisfies Partial<PhotoRecord>;
  await conditionalSet(record, 'FAILED', changes, deps);
  return { ...record, ...changes };
}

/** A redrive refused after the claim: the same attempt, as a new execution. */
async function switchToNewExecution(claimed: PhotoRecord, deps: RetryPhotoDeps): Promise<PhotoRecord> {
  const attempt = claimed.attempts ?? 2;
  const history = (claimed.attemptHistory ?? []).map((entry, i, all) =>
    i === all.length - 1 ? { ...entry, retriedBy: 'new-execution' as const } : entry,
  );
  const executionName = retryExecutionName(
    { ...claimed, executionName: history[history.length - 1]?.executionName ?? claimed.executionName },
    attempt,
  );
  const fields = { executionName, executionId: null, attemptHistory: history };
  await conditionalSet(claimed, 'PROCESSING', fields, deps);
  return { ...claimed, ...fields };
}

/** Back to FAILED (if still this retry's) with why the retry could not run; never throws. */
async function release(claimed: PhotoRecord, cause: unknown, deps: RetryPhotoDeps): Promise<void> {
  try {
    await conditionalSet(
      claimed,
      'PROCESSING',
      {
        status: 'FAILED',
        reason: `The retry could not be started (${errorReason(cause)}); try again in a minute`,
        updatedAt: (deps.now?.() ?? new Date()).toISOString(),
      },
      deps,
    );
  } catch (error) {
    // The execution's own write or a delete got there first: nothing to undo.
    deps.log.warn('Record not set back to FAILED after a failed retry', {
      owner: claimed.owner,
      photoId: claimed.photoId,
      error,
    });
  }
}

/** SET the fields if the record is still `status` under the given record's execution name; else 409. */
async function conditionalSet(
  expected: PhotoRecord,
  status: 'FAILED' | 'PROCESSING',
  fields: Record<string, unknown>,
  deps: RetryPhotoDeps,
): Promise<void> {
  const names: Record<string, string> = { '#status': 'status', '#executionName': 'executionName' };
  const values: Record<string, unknown> = { ':expected': status, ':current': expected.executionName };
  const assignments = Object.entries(fields).map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  try {
    await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { owner: expected.owner, photoId: expected.photoId },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: '#status = :expected AND #executionName = :current',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (isConditionFailed(error)) {
      throw new HttpError(
        409,
        `${expected.photoId} changed while it was being retried (another retry, a re-upload or a delete); reload it and try again.`,
      );
    }
    throw error;
  }
}

function workflowInput(record: PhotoRecord): WorkflowInput {
  return {
    bucket: record.bucket,
    key: record.originalKey,
    owner: record.owner,
    photoId: record.photoId,
    uploadedAt: record.uploadedAt,
  };
}

function unavailable(error: unknown): HttpError {
  return new HttpError(
    503,
    `The photo could not be processed again just now (${errorName(error) ?? 'the workflow service did not answer'}); it is still FAILED: try again in a minute.`,
  );
}
