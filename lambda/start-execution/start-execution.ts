import { createHash } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { S3EventRecord } from 'aws-lambda';
import { conditionalWrite, errorName, errorReason, StartExecutionFailed } from '../shared/errors';
import {
  DEFAULT_OWNER,
  DELETED_STATUS,
  INCOMING_PREFIX,
  isTombstone,
  normalizeEtag,
  type PhotoRecord,
  type PhotoStatus,
  type PhotoTombstone,
} from '../shared/model';
import type { Log } from '../shared/powertools';
import type { ImageProc, PhotoTable } from '../shared/resources';
import type { WorkflowInput } from '../shared/workflow';

/** One uploaded object, its key decoded, as taken from an S3 event record. */
export interface Upload {
  readonly bucket: string;
  readonly key: string;
  /** What tells two uploads of the same key apart: the event's sequencer, else the eTag. */
  readonly version: string;
  /** ISO 8601, from the event's eventTime. */
  readonly uploadedAt: string;
  /** The object's ETag as the event carries it (no quotes); null when it has none. */
  readonly etag: string | null;
}

export interface StartExecutionDeps extends PhotoTable, ImageProc {
  readonly log: Log;
  readonly now?: () => Date;
}

export type StartOutcome =
  /** A new record (or a re-upload's reset record) and a started execution. */
  | {
      readonly status: 'started';
      readonly owner: string;
      readonly photoId: string;
      readonly executionName: string;
    }
  /** A duplicated event whose record is still PROCESSING: started again in case the first attempt stopped short. */
  | {
      readonly status: 'resumed';
      readonly owner: string;
      readonly photoId: string;
      readonly executionName: string;
    }
  /** A duplicated event whose record has already moved on. */
  | {
      readonly status: 'duplicate';
      readonly owner: string;
      readonly photoId: string;
      readonly executionName: string;
    }
  /** A duplicated or late event for an upload the user has since deleted: no record, no execution. */
  | {
      readonly status: 'deleted';
      readonly owner: string;
      readonly photoId: string;
      readonly executionName: string;
    };

/** A record that is not an upload under Incoming/ (or cannot be read), with why. */
export interface SkippedRecord {
  readonly key: string;
  readonly why: string;
}

const MAX_PHOTO_ID_STEM = 80;
const CLEAN_STEM = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** S3 event keys are form-encoded: `+` is a space, then percent escapes of UTF-8 bytes. */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * Turns event records into uploads, skipping (with a reason) what is not a photo under Incoming/.
 * Only a malformed key escape throws, since that record can never be processed.
 */
export function readRecords(records: readonly S3EventRecord[]): {
  uploads: Upload[];
  skipped: SkippedRecord[];
} {
  const uploads: Upload[] = [];
  const skipped: SkippedRecord[] = [];
  for (const record of records) {
    const rawKey = record?.s3?.object?.key;
    const bucket = record?.s3?.bucket?.name;
    if (typeof rawKey !== 'string' || typeof bucket !== 'string' || !bucket) {
      skipped.push({ key: String(rawKey), why: 'the record has no S3 bucket and key' });
      continue;
    }
    if (record.eventName && !record.eventName.startsWith('ObjectCreated:')) {
      skipped.push({ key: rawKey, why: `${record.eventName} is not an object-created event` });
      continue;
    }
    let key: string;
    try {
      key = decodeS3Key(rawKey);
    } catch {
      skipped.push({ key: rawKey, why: 'the key is not valid URL encoding' });
      continue;
    }
    if (!key.startsWith(INCOMING_PREFIX)) {
      skipped.push({ key, why: `the key is not under ${INCOMING_PREFIX}` });
      continue;
    }
    if (key.endsWith('/')) {
      skipped.push({ key, why: 'the key is a folder marker' });
      continue;
    }
    const eventTime = new Date(record.eventTime);
    uploads.push({
      bucket,
      key,
      version: record.s3.object.sequencer || record.s3.object.eTag || record.eventTime || '',
      uploadedAt: Number.isNaN(eventTime.getTime()) ? new Date().toISOString() : eventTime.toISOString(),
      etag: normalizeEtag(record.s3.object.eTag),
    });
  }
  return { uploads, skipped };
}

/**
 * Owner and photo id for a key under Incoming/. `Incoming/<owner>/<id>.<ext>` with a clean id keeps
 * both as they are (the web app uploads that way); anything else (no owner folder, deeper paths,
 * spaces, unicode) gets a sanitised id made unique by a short hash of the whole key.
 */
export function photoIdentity(key: string): { owner: string; photoId: string } {
  const segments = key.slice(INCOMING_PREFIX.length).split('/');
  const fileName = segments.pop() ?? '';
  const owner = segments.length > 0 && segments[0] !== '' ? segments[0] : DEFAULT_OWNER;
  const folders = segments.slice(1);
  const stem = fileName.replace(/(?<=.)\.[A-Za-z0-9]{1,10}$/, '');
  if (folders.length === 0 && stem.length <= MAX_PHOTO_ID_STEM && CLEAN_STEM.test(stem)) {
    return { owner, photoId: stem };
  }
  const readable = slug([...folders, stem].join('_'), MAX_PHOTO_ID_STEM) || 'photo';
  return { owner, photoId: `${readable}-${shortHash(key)}` };
}

/**
 * The ids a key's photo may have, in the order start-execution tries them: the first, then (if
 * another key holds it) the same id made unique with a hash of this key.
 */
export function photoIdCandidates(key: string): [string, string] {
  const { photoId } = photoIdentity(key);
  return [photoId, `${photoId}-${shortHash(key)}`];
}

/**
 * Step Functions execution name (at most 80 of [A-Za-z0-9_-]): the same upload (bucket, key, sequencer)
 * always maps to the same name, so a duplicated S3 event cannot start a second execution, while a
 * re-upload of the key (new sequencer) gets a new one. The readable part helps in the console.
 */
export function executionNameFor(upload: Pick<Upload, 'bucket' | 'key' | 'version'>): string {
  const fileName = upload.key.slice(upload.key.lastIndexOf('/') + 1);
  const stem = fileName.replace(/\.[^.]*$/, '');
  const digest = createHash('sha256')
    .update(`${upload.bucket}\n${upload.key}\n${upload.version}`)
    .digest('hex');
  return `${slug(stem, 40) || 'photo'}-${digest.slice(0, 32)}`;
}

/** Starts the workflow for every upload; one failure does not stop the others, but fails the batch at the end. */
export async function startAll(
  uploads: readonly Upload[],
  deps: StartExecutionDeps,
): Promise<StartOutcome[]> {
  const outcomes: StartOutcome[] = [];
  const failed: string[] = [];
  for (const upload of uploads) {
    try {
      const outcome = await startUpload(upload, deps);
      deps.log.info('Upload handled', { key: upload.key, ...outcome });
      outcomes.push(outcome);
    } catch (error) {
      deps.log.error('Upload could not be started', { key: upload.key, error });
      failed.push(upload.key);
    }
  }
  if (failed.length > 0) {
    throw new StartExecutionFailed(
      `Could not start processing for ${failed.length} of ${uploads.length} upload(s): ${failed.map((k) => JSON.stringify(k)).join(', ')}. ` +
        'The event will be retried; already started uploads are not started twice.',
    );
  }
  return outcomes;
}

/**
 * Writes the PROCESSING record, then starts the execution. The conditional put is what makes the
 * function idempotent: it succeeds for a new photo or a re-upload of the same key (different
 * execution name), and fails for a duplicated event (same name) or for another key that maps to the
 * same photo id; a consistent read then tells those two apart.
 *
 * A deleted photo stays deleted: delete-photo leaves a tombstone with the time of the delete, and the
 * put replaces a tombstone only for an upload of its key made after that time. S3 may deliver an
 * ObjectCreated event late (after the delete) or twice, and Lambda retries and the dead-letter queue
 * can redeliver it hours or days later; such an event is for an upload made before the delete, so it
 * finds the tombstone and starts nothing. The event's own time decides, not whether the object exists
 * now: a HeadObject would race with the delete (exists, then deleted, then the record written), and
 * without s3:ListBucket S3 answers 403, not 404, for a missing key.
 */
export async function startUpload(upload: Upload, deps: StartExecutionDeps): Promise<StartOutcome> {
  const { owner, photoId: baseId } = photoIdentity(upload.key);
  const executionName = executionNameFor(upload);
  for (const photoId of photoIdCandidates(upload.key)) {
    const result = { owner, photoId, executionName };
    if (await putProcessingRecord(upload, result, deps)) {
      await startOrMarkFailed(upload, result, deps);
      return { status: 'started', ...result };
    }
    const existing = await getRecord(owner, photoId, deps);
    // A tombstone of another key holds its photo id like a record does, until it expires.
    if (existing && (existing.originalKey !== upload.key || existing.bucket !== upload.bucket)) {
      deps.log.warn('Photo id taken by another key; using a distinct id', {
        key: upload.key,
        owner,
        photoId,
        takenBy: existing.originalKey,
      });
      continue;
    }
    if (isTombstone(existing)) {
      // Uploaded before the photo was deleted (a tombstone yields to a later upload of its key).
      return { status: 'deleted', ...result };
    }
    if (existing?.executionName !== executionName) {
      // Reset by a newer upload (or gone) between our put and get: let the retry look again.
      throw new Error(`The record ${owner}/${photoId} changed while it was being written; retry.`);
    }
    if (isStartFailure(existing)) {
      // An earlier attempt wrote the record but could not start the execution (a Lambda retry or a
      // redrive of the dead-lettered event): PROCESSING again, then start.
      if (!(await reopenRecord(existing as PhotoRecord, deps))) {
        throw new Error(`The record ${owner}/${photoId} changed while it was being reopened; retry.`);
      }
      if ((await startOrMarkFailed(upload, result, deps)) === 'exists') {
        // Standard workflows answer ExecutionAlreadyExists only for a closed execution of this name:
        // it ran while the record said FAILED, so its writes were refused. Say so rather than wait.
        await markStartFailed(result, STARTED_UNRECORDED, deps);
      }
      return { status: 'resumed', ...result };
    }
    if (existing.status !== 'PROCESSING') {
      return { status: 'duplicate', ...result };
    }
    // Same event again and still PROCESSING: the first attempt may have stopped between put and start.
    await startOrMarkFailed(upload, result, deps);
    return { status: 'resumed', ...result };
  }
  throw new Error(`Both ${baseId} and its hashed variant are used by other keys in ${owner}'s photos.`);
}

async function putProcessingRecord(
  upload: Upload,
  ids: { owner: string; photoId: string; executionName: string },
  deps: StartExecutionDeps,
): Promise<boolean> {
  const record: PhotoRecord = {
    owner: ids.owner,
    photoId: ids.photoId,
    bucket: upload.bucket,
    originalKey: upload.key,
    status: 'PROCESSING',
    reason: null,
    uploadedAt: upload.uploadedAt,
    updatedAt: (deps.now?.() ?? new Date()).toISOString(),
    executionName: ids.executionName,
    executionId: null,
    metadata: null,
    labels: [],
    tags: [],
    thumbnail: null,
    // What a byte-identical later upload is recognised by (see record-photo's duplicate lookup).
    etag: upload.etag,
  };
  return conditionalWrite(
    deps.dynamo.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: record,
        // A new photo; or a record of this key: a live one for another upload of it (a re-upload
        // resets it), a tombstone only for an upload made after the delete.
        ConditionExpression:
          'attribute_not_exists(#photoId) OR (#originalKey = :key AND #bucket = :bucket AND ' +
          '((#status <> :deleted AND #executionName <> :executionName) OR (#status = :deleted AND #deletedAt < :uploadedAt)))',
        ExpressionAttributeNames: {
          '#photoId': 'photoId',
          '#originalKey': 'originalKey',
          '#bucket': 'bucket',
          '#executionName': 'executionName',
          '#status': 'status',
          '#deletedAt': 'deletedAt',
        },
        ExpressionAttributeValues: {
          ':key': upload.key,
          ':bucket': upload.bucket,
          ':executionName': ids.executionName,
          ':deleted': DELETED_STATUS,
          ':uploadedAt': upload.uploadedAt,
        },
      }),
    ),
  );
}

async function getRecord(
  owner: string,
  photoId: string,
  deps: StartExecutionDeps,
): Promise<PhotoRecord | PhotoTombstone | undefined> {
  const { Item } = await deps.dynamo.send(
    new GetCommand({ TableName: deps.tableName, Key: { owner, photoId }, ConsistentRead: true }),
  );
  return Item as PhotoRecord | PhotoTombstone | undefined;
}

/** The reason start-execution writes when StartExecution fails; its prefix identifies such a record. */
export const START_FAILED_PREFIX = 'Processing could not be started: ';
const MAX_REASON_LENGTH = 1000;
const STARTED_UNRECORDED =
  'the workflow ran while this record said it could not be started, so its result was not kept; upload the photo again';

/**
 * A FAILED record that start-execution itself wrote: the execution never wrote to it (every write of
 * the state machine and of the reconciler sets executionId), so the upload was never processed.
 */
export function isStartFailure(record: PhotoRecord | PhotoTombstone | undefined): boolean {
  return (
    record !== undefined &&
    !isTombstone(record) &&
    record.status === 'FAILED' &&
    (record.executionId ?? null) === null &&
    typeof record.reason === 'string' &&
    record.reason.startsWith(START_FAILED_PREFIX)
  );
}

/**
 * Why a start failure is marked FAILED at once instead of after the last retry: Lambda tells a
 * function neither its attempt number nor that an attempt is the last, and an SQS consumer of the
 * dead-letter queue would need an event source the local cloud does not run. So every failed
 * StartExecution (after the SDK's own retries) marks the record FAILED with the reason, then rethrows
 * so that Lambda retries the event and, once its retries are spent, keeps it in the dead-letter
 * queue. A retry or a redrive (`npm run redrive`) finds that record (isStartFailure), sets it back to
 * PROCESSING and starts the execution. A photo is thus never left PROCESSING by a failed start;
 * at worst it reads FAILED for the minute or two before a retry succeeds. What is not covered: the
 * function killed (timeout, crash) between the put and StartExecution on every attempt leaves
 * PROCESSING; the dead-lettered event's redrive resumes it (the PROCESSING path below).
 */
async function startOrMarkFailed(
  upload: Upload,
  ids: { owner: string; photoId: string; executionName: string },
  deps: StartExecutionDeps,
): Promise<'started' | 'exists'> {
  try {
    return await startExecution(upload, ids, deps);
  } catch (error) {
    await markStartFailed(ids, `${errorReason(error)}; it is retried, then kept for a redrive`, deps);
    throw error;
  }
}

/** FAILED with the reason, if the record is still this upload's and PROCESSING; never throws. */
async function markStartFailed(
  ids: { owner: string; photoId: string; executionName: string },
  detail: string,
  deps: StartExecutionDeps,
): Promise<void> {
  const reason = `${START_FAILED_PREFIX}${detail}`;
  try {
    await setStatus(
      ids,
      { status: 'PROCESSING' },
      {
        status: 'FAILED',
        reason: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason,
      },
      deps,
    );
  } catch (error) {
    // Moved on (a newer upload, a delete, the execution's own write) or DynamoDB is down: keep the
    // original error; a retry or redrive resumes a record left PROCESSING.
    deps.log.warn('Record not marked FAILED after a failed start', { ...ids, error });
  }
}

/** Back to PROCESSING, if the record is still the start failure that was read. */
async function reopenRecord(record: PhotoRecord, deps: StartExecutionDeps): Promise<boolean> {
  return conditionalWrite(
    setStatus(
      record,
      { status: 'FAILED', reason: record.reason },
      { status: 'PROCESSING', reason: null },
      deps,
    ),
  );
}

/**
 * The record's status and reason, from `from` to `to`: written only while the record is still this
 * upload's (its execution name) in the status (and, when given, with the reason) that was expected.
 */
function setStatus(
  ids: { owner: string; photoId: string; executionName: string },
  from: { status: PhotoStatus; reason?: string | null },
  to: { status: PhotoStatus; reason: string | null },
  deps: StartExecutionDeps,
): Promise<unknown> {
  const expectsReason = from.reason !== undefined;
  return deps.dynamo.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { owner: ids.owner, photoId: ids.photoId },
      UpdateExpression: 'SET #status = :to, #reason = :reason, #updatedAt = :now',
      ConditionExpression: `#executionName = :executionName AND #status = :from${expectsReason ? ' AND #reason = :fromReason' : ''}`,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#reason': 'reason',
        '#updatedAt': 'updatedAt',
        '#executionName': 'executionName',
      },
      ExpressionAttributeValues: {
        ':from': from.status,
        ':to': to.status,
        ':reason': to.reason,
        ':now': (deps.now?.() ?? new Date()).toISOString(),
        ':executionName': ids.executionName,
        ...(expectsReason ? { ':fromReason': from.reason } : {}),
      },
    }),
  );
}

async function startExecution(
  upload: Upload,
  ids: { owner: string; photoId: string; executionName: string },
  deps: StartExecutionDeps,
): Promise<'started' | 'exists'> {
  const input: WorkflowInput = {
    bucket: upload.bucket,
    key: upload.key,
    owner: ids.owner,
    photoId: ids.photoId,
    uploadedAt: upload.uploadedAt,
  };
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: ids.executionName,
        input: JSON.stringify(input),
      }),
    );
  } catch (error) {
    // The name is deterministic, so "already exists" means this very upload is (or was) being processed.
    if (errorName(error) === 'ExecutionAlreadyExists') {
      deps.log.info('Execution already exists', {
        executionName: ids.executionName,
        detail: errorReason(error),
      });
      return 'exists';
    }
    throw error;
  }
  return 'started';
}

/** Letters, digits, `_` and `-` only; accents dropped rather than replaced, runs of anything else become `_`. */
function slug(text: string, maxLength: number): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, maxLength)
    .replace(/^_+|_+$/g, '');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
