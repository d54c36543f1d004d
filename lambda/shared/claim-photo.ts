/**
 * Claiming a photo's record for another run of ImageProc, and the input that run gets. One home for
 * what POST /photos/{id}/retry (lambda/retry-photo) and the reprocess workflow's PreparePhoto step
 * (lambda/reprocess-photo) both do: the record goes to PROCESSING under the new run's execution name
 * with a write conditional on it still being what was read, so two claims at once start one run, and
 * the pipeline's writes (which need the record PROCESSING under their execution's name) land on it.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { executionNameFor } from '../start-execution/start-execution';
import { conditionalWrite } from './errors';
import type { AttemptRecord, PhotoRecord, PhotoStatus } from './model';
import type { PhotoTable } from './resources';
import type { WorkflowInput } from './workflow';

export interface ClaimDeps extends PhotoTable {
  readonly now?: () => Date;
}

/** How the new run replaces the last one: the execution redriven, a new execution, or a reprocess run. */
export type RerunMode = AttemptRecord['retriedBy'];

/** The record was no longer what was read when the conditional write reached it. */
export class RecordChanged extends Error {
  override readonly name = 'RecordChanged';
}

/**
 * The name of the execution a new run starts: one per attempt (and per kind of run), so a repeated
 * request cannot start two.
 */
export function rerunExecutionName(
  record: PhotoRecord,
  attempt: number,
  kind: 'retry' | 'reprocess',
): string {
  return executionNameFor({
    bucket: record.bucket,
    key: record.originalKey,
    version: `${kind}-${attempt}-of-${record.executionName}`,
  });
}

/**
 * `record` (as read) → PROCESSING under `executionName`, one attempt more, the replaced run kept in
 * attemptHistory. Throws RecordChanged when the record moved on (another claim, a re-upload, a delete).
 */
export async function claimRecord(
  record: PhotoRecord,
  run: { readonly mode: RerunMode; readonly executionName: string; readonly executionId: string | null },
  deps: ClaimDeps,
): Promise<PhotoRecord> {
  const now = (deps.now?.() ?? new Date()).toISOString();
  const history: AttemptRecord[] = [
    ...(record.attemptHistory ?? []),
    {
      executionName: record.executionName,
      executionId: record.executionId ?? null,
      reason: record.reason ?? null,
      retriedAt: now,
      retriedBy: run.mode,
    },
  ];
  const changes = {
    status: 'PROCESSING',
    reason: null,
    updatedAt: now,
    executionName: run.executionName,
    executionId: run.executionId,
    attempts: (record.attempts ?? 1) + 1,
    attemptHistory: history,
  } satisfies Partial<PhotoRecord>;
  await conditionalSet(record, record.status, changes, deps);
  return { ...record, ...changes };
}

/**
 * SET the fields if the record is still `status` under the given record's execution name; throws
 * RecordChanged otherwise.
 */
export async function conditionalSet(
  expected: Pick<PhotoRecord, 'owner' | 'photoId' | 'executionName'>,
  status: PhotoStatus,
  fields: Record<string, unknown>,
  deps: ClaimDeps,
): Promise<void> {
  const names: Record<string, string> = { '#status': 'status', '#executionName': 'executionName' };
  const values: Record<string, unknown> = { ':expected': status, ':current': expected.executionName };
  const assignments = Object.entries(fields).map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  const written = await conditionalWrite(
    deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { owner: expected.owner, photoId: expected.photoId },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression: '#status = :expected AND #executionName = :current',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
  if (!written) {
    throw new RecordChanged(
      `${expected.photoId} is no longer ${status} under execution ${expected.executionName}`,
    );
  }
}

/** What ImageProc is started with for a record's upload (the same as for the upload's first run). */
export function workflowInput(record: PhotoRecord): WorkflowInput {
  return {
    bucket: record.bucket,
    key: record.originalKey,
    owner: record.owner,
    photoId: record.photoId,
    uploadedAt: record.uploadedAt,
  };
}
