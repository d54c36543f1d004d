import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  claimRecord,
  conditionalSet,
  RecordChanged,
  rerunExecutionName,
  workflowInput,
} from '../shared/claim-photo';
import { stepErrorMessage } from '../shared/errors';
import { INCOMING_PREFIX, isTombstone, type PhotoRecord, type PhotoTombstone } from '../shared/model';
import type { Log } from '../shared/powertools';
import type { WorkflowInput } from '../shared/workflow';
import {
  decodeS3Key,
  photoIdCandidates,
  photoIdentity,
  START_FAILED_PREFIX,
} from '../start-execution/start-execution';

/** One item of the reprocess run's Distributed Map (lib/reprocess.ts builds it with ItemSelector). */
export interface ReprocessItem {
  readonly bucket: string;
  readonly key: string;
  /** 'url' for a key as S3 Inventory writes it (URL-encoded). @default the key as it is */
  readonly keyEncoding?: 'url';
  /** The run's own input: `{ "all": true }` redoes photos that are up to date too. */
  readonly run?: { readonly all?: unknown } | null;
}

/** Why a photo is left as it is. */
export type SkipReason =
  /** READY or REJECTED under the current pipeline version (and the run is not `all`). */
  | 'up-to-date'
  /** Deleted by its owner (a tombstone), or no record at all for the object. */
  | 'deleted'
  | 'no-record'
  /** Being processed right now (an upload, a retry, another run). */
  | 'processing'
  /** It changed between the read and the claim (a re-upload, a retry, a delete). */
  | 'changed';

export type ReprocessDecision =
  | { readonly action: 'process'; readonly record: PhotoRecord }
  | { readonly action: 'skip'; readonly reason: SkipReason };

/** What PreparePhoto returns; the workflow's Choice reads `action`. */
export type PrepareResult =
  | {
      readonly action: 'process';
      readonly owner: string;
      readonly photoId: string;
      /** The name of ImageProc's execution, unique per attempt: a repeated item cannot start two. */
      readonly executionName: string;
      readonly input: WorkflowInput;
    }
  | { readonly action: 'skip'; readonly key: string; readonly reason: SkipReason };

export interface ReprocessDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The pipeline version this deployment makes (lib/pipeline-version.ts). */
  readonly pipelineVersion: string;
  readonly log: Log;
  readonly now?: () => Date;
}

/**
 * Whether a photo is redone, from its record alone: the one rule the workflow and the dry run of
 * `npm run reprocess` both apply. FAILED photos are always redone; READY and REJECTED ones when
 * their pipelineVersion is not the current one, or when `all` says so.
 */
export function decide(
  found: PhotoRecord | PhotoTombstone | undefined,
  settings: { readonly pipelineVersion: string; readonly all: boolean },
): ReprocessDecision {
  if (found === undefined) return { action: 'skip', reason: 'no-record' };
  if (isTombstone(found)) return { action: 'skip', reason: 'deleted' };
  if (found.status === 'PROCESSING') return { action: 'skip', reason: 'processing' };
  const upToDate =
    (found.status === 'READY' || found.status === 'REJECTED') &&
    found.pipelineVersion === settings.pipelineVersion;
  if (upToDate && !settings.all) return { action: 'skip', reason: 'up-to-date' };
  return { action: 'process', record: found };
}

/**
 * The record of the object at `key`, looked up as start-execution names it (its photo id, or the
 * hashed variant when another key held that id); undefined when there is none.
 */
export async function findRecordOfKey(
  bucket: string,
  key: string,
  deps: Pick<ReprocessDeps, 'dynamo' | 'tableName'>,
): Promise<PhotoRecord | PhotoTombstone | undefined> {
  const { owner } = photoIdentity(key);
  for (const photoId of photoIdCandidates(key)) {
    const { Item } = await deps.dynamo.send(
      new GetCommand({ TableName: deps.tableName, Key: { owner, photoId }, ConsistentRead: true }),
    );
    const item = Item as PhotoRecord | PhotoTombstone | undefined;
    if (!item) return undefined;
    if (item.originalKey === key && item.bucket === bucket) return item;
  }
  return undefined;
}

/**
 * PreparePhoto: decides for one listed object and, if it is to be redone, claims its record
 * (PROCESSING under a new execution name, one attempt more, the replaced run in attemptHistory)
 * and returns ImageProc's input; the workflow then runs ImageProc through its live alias.
 */
export async function preparePhoto(item: ReprocessItem, deps: ReprocessDeps): Promise<PrepareResult> {
  if (typeof item?.bucket !== 'string' || typeof item?.key !== 'string') {
    throw new TypeError(`A reprocess item needs a bucket and a key, got ${JSON.stringify(item)}`);
  }
  const { bucket } = item;
  // The inventory lists every object of the bucket; only those under Incoming/ are photos.
  const key = item.keyEncoding === 'url' ? decodeS3Key(item.key) : item.key;
  if (!key.startsWith(INCOMING_PREFIX) || key.endsWith('/')) {
    // A folder placeholder, or a listing of the wrong prefix: nothing to redo.
    return { action: 'skip', key, reason: 'no-record' };
  }
  const all = item.run?.all === true;
  const decision = decide(await findRecordOfKey(bucket, key, deps), {
    pipelineVersion: deps.pipelineVersion,
    all,
  });
  if (decision.action === 'skip') {
    deps.log.info('Photo skipped', { key, reason: decision.reason });
    return { action: 'skip', key, reason: decision.reason };
  }
  const { record } = decision;
  const attempt = (record.attempts ?? 1) + 1;
  try {
    const claimed = await claimRecord(
      record,
      {
        mode: 'reprocess',
        executionName: rerunExecutionName(record, attempt, 'reprocess'),
        executionId: null,
      },
      deps,
    );
    deps.log.info('Photo claimed for reprocessing', {
      key,
      owner: claimed.owner,
      photoId: claimed.photoId,
      from: record.status,
      attempts: claimed.attempts,
    });
    return {
      action: 'process',
      owner: claimed.owner,
      photoId: claimed.photoId,
      executionName: claimed.executionName,
      input: workflowInput(claimed),
    };
  } catch (error) {
    if (error instanceof RecordChanged) {
      deps.log.info('Photo changed while it was claimed; skipped', { key });
      return { action: 'skip', key, reason: 'changed' };
    }
    throw error;
  }
}

/**
 * ReleasePhoto: RunImageProc could not start ImageProc for a claimed photo (its Catch passes the
 * claim and the error). Nothing will finish the record then, so it is given back as FAILED with the
 * reason, as start-execution does for an upload whose start failed; Retry or the next run redo it.
 */
export interface ReleaseRequest {
  readonly release: { readonly owner: string; readonly photoId: string; readonly executionName: string };
  /** The Catch's error output: `{ Error, Cause }`. */
  readonly error?: { readonly Error?: unknown; readonly Cause?: unknown } | null;
}

export function isReleaseRequest(event: unknown): event is ReleaseRequest {
  return typeof event === 'object' && event !== null && 'release' in event;
}

/**
 * The claimed record → FAILED, if it is still PROCESSING under the claim's execution name; 'moved-on'
 * when something else (a delete, a re-upload, a retry) has changed it since.
 */
export async function releaseUnstarted(
  request: ReleaseRequest,
  deps: ReprocessDeps,
): Promise<{ readonly released: boolean }> {
  const { owner, photoId, executionName } = request.release ?? {};
  if (typeof owner !== 'string' || typeof photoId !== 'string' || typeof executionName !== 'string') {
    throw new TypeError(
      `A release needs the claim's owner, photoId and executionName, got ${JSON.stringify(request)}`,
    );
  }
  const error = typeof request.error?.Error === 'string' ? request.error.Error : 'an unknown error';
  const detail = stepErrorMessage(request.error?.Cause);
  const reason = `${START_FAILED_PREFIX}${error}${detail ? `: ${detail}` : ''}`;
  try {
    await conditionalSet(
      { owner, photoId, executionName },
      'PROCESSING',
      {
        status: 'FAILED',
        reason,
        updatedAt: (deps.now?.() ?? new Date()).toISOString(),
      },
      deps,
    );
    deps.log.warn('ImageProc could not be started; photo released as FAILED', { owner, photoId, reason });
    return { released: true };
  } catch (thrown) {
    if (thrown instanceof RecordChanged) return { released: false };
    throw thrown;
  }
}
