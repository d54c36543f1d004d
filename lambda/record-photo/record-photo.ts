import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInput, isConditionFailed, NETWORK_FAILURE, stepErrorMessage } from '../shared/errors';
import {
  contentId,
  type ImageMetadata,
  isTombstone,
  type PhotoRecord,
  type PhotoStatus,
  type ThumbnailResult,
} from '../shared/model';
import type { Log } from '../shared/powertools';
import { describe, imageMetadata, isObject, photoRef, renditionOf, stringField } from '../shared/validate';
import type {
  DuplicateSource,
  LabelsResult,
  ProcessImageResult,
  RecordRequest,
  StepError,
} from '../shared/workflow';

export interface RecordDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly log: Log;
  /** The current pipeline version (lib/pipeline-version.ts), stored with every final outcome. */
  readonly pipelineVersion: string;
  readonly now?: () => Date;
}

/** Whether the write happened; false when the record belongs to another execution or is already final. */
export interface RecordOutcome {
  readonly written: boolean;
  /**
   * Only for the `metadata` action (StoreImageMetadata): the READY photo this one is a byte-identical
   * copy of, whose labels DetectLabels reuses; null when there is none.
   */
  readonly duplicate?: DuplicateSource | null;
}

/**
 * Applies one of the state machine's writes to the photo's record.
 *
 * Every write is conditional on the record still existing, belonging to this execution and being
 * PROCESSING. The execution name is the last part of the execution ARN (`$$.Execution.Id`), and
 * start-execution stored it on the record, so: a record deleted meanwhile is not recreated (a
 * deleted photo's tombstone, see delete-photo, is not PROCESSING; what this execution wrote to S3,
 * the thumbnail, is removed by delete-photo or by generate-thumbnail itself); an
 * execution overtaken by a re-upload of the same key (which reset the record under a new execution
 * name) cannot overwrite the newer one; and a final status is written once: a retried or late
 * write after READY/REJECTED/FAILED is a no-op. A failed condition is therefore an expected outcome,
 * not an error, and needs no read to explain it (the function has only dynamodb:UpdateItem).
 */
export async function recordPhoto(request: RecordRequest, deps: RecordDeps): Promise<RecordOutcome> {
  const executionName = executionNameFromArn(request.executionId);
  const fields: Record<string, unknown> = {
    ...fieldsFor(request, deps.pipelineVersion),
    executionId: request.executionId,
    updatedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  const names: Record<string, string> = {
    '#photoId': 'photoId',
    '#executionName': 'executionName',
    '#status': 'status',
  };
  const values: Record<string, unknown> = { ':executionName': executionName, ':processing': 'PROCESSING' };
  const assignments = Object.entries(fields).map(([field, value], i) => {
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    return `#f${i} = :v${i}`;
  });
  let record: PhotoRecord;
  try {
    const { Attributes } = await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { owner: request.photo.owner, photoId: request.photo.photoId },
        UpdateExpression: `SET ${assignments.join(', ')}`,
        ConditionExpression:
          'attribute_exists(#photoId) AND #executionName = :executionName AND #status = :processing',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // The record's ETag (start-execution wrote it) and size: what a byte-identical photo shares.
        ReturnValues: 'ALL_NEW',
      }),
    );
    record = (Attributes ?? {}) as PhotoRecord;
  } catch (error) {
    if (isConditionFailed(error)) {
      deps.log.warn('Record not updated: it is gone (deleted), already final, or belongs to a newer upload', {
        owner: request.photo.owner,
        photoId: request.photo.photoId,
        action: request.action,
        executionName,
      });
      return request.action === 'metadata' ? { written: false, duplicate: null } : { written: false };
    }
    throw error;
  }
  if (request.action === 'metadata') {
    return { written: true, duplicate: await findDuplicate(record, deps) };
  }
  if (request.action === 'ready' && !request.results.labels.duplicateOf) {
    await indexContent(record, deps);
  }
  return { written: true };
}

/**
 * The READY photo of the same owner with the same bytes, made by the current pipeline version, if
 * the content index knows one. The index item is only a hint (see CONTENT_ID_PREFIX): the photo it
 * names is read and checked, so a deleted photo (a tombstone), one being reprocessed, or one made
 * with other settings is never copied. Two identical uploads processed at the same moment both go
 * to Rekognition: neither is READY yet, and that costs one call, never a wrong label.
 */
export async function findDuplicate(
  record: Pick<PhotoRecord, 'owner' | 'photoId' | 'etag' | 'metadata'>,
  deps: RecordDeps,
): Promise<DuplicateSource | null> {
  const { etag } = record;
  const sizeBytes = record.metadata?.sizeBytes;
  if (!etag || typeof sizeBytes !== 'number') return null;
  const get = async (photoId: string) =>
    (
      await deps.dynamo.send(
        new GetCommand({ TableName: deps.tableName, Key: { owner: record.owner, photoId } }),
      )
    ).Item;
  const hint = await get(contentId(etag, sizeBytes));
  const sourceId = typeof hint?.sourcePhotoId === 'string' ? hint.sourcePhotoId : undefined;
  if (!sourceId || sourceId === record.photoId) return null;
  const source = await get(sourceId);
  if (
    !source ||
    isTombstone(source) ||
    source.status !== 'READY' ||
    source.etag !== etag ||
    source.metadata?.sizeBytes !== sizeBytes ||
    source.pipelineVersion !== deps.pipelineVersion
  ) {
    return null;
  }
  const original = source as PhotoRecord;
  return {
    photoId: original.photoId,
    labels: (original.labels ?? []).map(({ name, confidence }) => ({ name, confidence })),
    reason: original.reason ?? null,
  };
}

/**
 * Points the owner's content index item for these bytes at this READY photo. Best effort: the photo
 * is READY already, and a missing hint only means that a later identical upload asks Rekognition
 * again, so a failure here is logged rather than failing (and wrongly marking) the photo.
 */
async function indexContent(record: PhotoRecord, deps: RecordDeps): Promise<void> {
  const sizeBytes = record.metadata?.sizeBytes;
  if (!record.etag || typeof sizeBytes !== 'number') return;
  try {
    await deps.dynamo.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { owner: record.owner, photoId: contentId(record.etag, sizeBytes) },
        UpdateExpression: 'SET #source = :source, #updatedAt = :now',
        ExpressionAttributeNames: { '#source': 'sourcePhotoId', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: {
          ':source': record.photoId,
          ':now': (deps.now?.() ?? new Date()).toISOString(),
        },
      }),
    );
  } catch (error) {
    deps.log.warn('Content index not updated; a byte-identical upload will be labelled afresh', {
      owner: record.owner,
      photoId: record.photoId,
      error,
    });
  }
}

const ACTIONS = ['metadata', 'rejected', 'ready', 'failed'] as const;

/** Checks that the event is one of the RecordRequest shapes the state machine sends. */
export function parseRecordRequest(event: unknown): RecordRequest {
  const action = isObject(event) ? event.action : undefined;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) {
    throw new InvalidInput(
      `The event's action must be one of ${ACTIONS.join(', ')}, got ${describe(action)}.`,
    );
  }
  const base = {
    photo: photoRef(isObject(event) ? event.photo : undefined),
    executionId: stringField(event, 'executionId', 'a RecordRequest with the execution ARN'),
  };
  const body = event as Record<string, unknown>;
  switch (action as (typeof ACTIONS)[number]) {
    case 'metadata':
      return {
        action: 'metadata',
        ...base,
        metadata: imageMetadata(body.metadata, "The request's metadata"),
      };
    case 'rejected': {
      const formats = body.supportedFormats;
      if (!Array.isArray(formats) || !formats.every((f) => typeof f === 'string')) {
        throw new InvalidInput(
          `A rejected request needs supportedFormats (a list of format names), got ${describe(formats)}.`,
        );
      }
      return {
        action: 'rejected',
        ...base,
        metadata: imageMetadata(body.metadata, "The request's metadata"),
        supportedFormats: formats,
      };
    }
    case 'ready': {
      const results = body.results;
      // By name (ProcessImage's ResultSelector), so a reordered branch cannot swap them.
      const labels = isObject(results) ? results.labels : undefined;
      const thumbnail = isObject(results) ? results.thumbnail : undefined;
      if (
        !isObject(labels) ||
        !Array.isArray(labels.labels) ||
        !isObject(thumbnail) ||
        typeof thumbnail.key !== 'string'
      ) {
        throw new InvalidInput(
          `A ready request needs results { labels: LabelsResult, thumbnail: ThumbnailResult } (ProcessImage's output), got ${describe(results)}.`,
        );
      }
      const named: ProcessImageResult = {
        labels: labels as unknown as LabelsResult,
        thumbnail: thumbnail as unknown as ThumbnailResult,
      };
      return {
        action: 'ready',
        ...base,
        results: named,
        ...(body.rendition === undefined ? {} : { rendition: renditionOf(body) }),
      };
    }
    case 'failed': {
      if (!isObject(body.error)) {
        throw new InvalidInput(
          `A failed request needs the caught error { Error, Cause }, got ${describe(body.error)}.`,
        );
      }
      return { action: 'failed', ...base, error: body.error as unknown as StepError };
    }
  }
}

function fieldsFor(request: RecordRequest, pipelineVersion: string): Record<string, unknown> {
  switch (request.action) {
    case 'metadata':
      return { metadata: request.metadata };
    case 'rejected':
      return {
        status: 'REJECTED' satisfies PhotoStatus,
        reason: rejectionReason(request.metadata, request.supportedFormats),
        metadata: request.metadata,
        pipelineVersion,
      };
    case 'ready': {
      const { labels, thumbnail } = request.results;
      return {
        status: 'READY' satisfies PhotoStatus,
        labels: labels.labels,
        tags: [...new Set(labels.labels.map((label) => label.name.toLowerCase()))],
        thumbnail,
        rendition: request.rendition ?? null,
        reason: labels.reason ?? null,
        duplicateOf: typeof labels.duplicateOf === 'string' ? labels.duplicateOf : null,
        rekognitionCalls: typeof labels.rekognitionCalls === 'number' ? labels.rekognitionCalls : 0,
        pipelineVersion,
      };
    }
    case 'failed':
      return { status: 'FAILED' satisfies PhotoStatus, reason: failureReason(request.error) };
  }
}

/** The execution name from an execution ARN: `arn:…:execution:<machine>:<name>` or `arn:…:express:<machine>:<name>:<id>`. */
export function executionNameFromArn(arn: string): string {
  const parts = arn.split(':');
  if (parts.length < 8 || parts[0] !== 'arn' || !['execution', 'express'].includes(parts[5]) || !parts[7]) {
    throw new InvalidInput(`executionId must be the execution's ARN ($$.Execution.Id), got "${arn}".`);
  }
  return parts[7];
}

export function rejectionReason(
  metadata: Pick<ImageMetadata, 'format' | 'sizeBytes'>,
  supportedFormats: readonly string[],
): string {
  const accepted = listOf(supportedFormats.map((format) => format.toUpperCase()));
  if (metadata.sizeBytes === 0) {
    return `The file is empty (0 bytes): there is no image in it; this pipeline accepts ${accepted}`;
  }
  if (metadata.format) {
    return `Unsupported image type ${metadata.format.toUpperCase()}: this pipeline accepts ${accepted}`;
  }
  // Format null: extract-metadata judged the bytes, not the file name, and found no image in them.
  return `Not an image: the file's content is not in an image format this pipeline reads; it accepts ${accepted}`;
}

/** Sentences for errors whose own message (if any) would not tell a person what happened. */
const FAILURE_SENTENCES: Record<string, string> = {
  'States.Timeout': 'A step ran past its time limit',
  'States.HeartbeatTimeout': 'A step stopped reporting progress',
  'States.TaskFailed': 'A step failed',
  'States.Permissions': 'A step was not allowed to do its work (missing permission)',
  'States.Runtime': 'The workflow could not pass data between its steps',
  'States.DataLimitExceeded': "A step's result was too large for the workflow",
  'States.BranchFailed': 'One of the parallel steps failed',
  'Lambda.ServiceException': 'The Lambda service failed to run a step',
  'Lambda.AWSLambdaException': 'The Lambda service failed to run a step',
  'Lambda.SdkClientException': 'The Lambda service could not be reached to run a step',
  'Lambda.TooManyRequestsException': 'Too many steps were running at once and retries ran out',
  'Lambda.ClientExecutionTimeoutException': 'The Lambda service took too long to run a step',
  'Lambda.Unknown': 'A step stopped unexpectedly (out of memory or time)',
  'Sandbox.Timedout': 'A step ran past its time limit',
  'Runtime.ExitError': 'A step crashed (it may have run out of memory)',
  'Function.ResponseSizeTooLarge': "A step's result was over Lambda's 6 MB response limit",
  ThrottlingException: 'Amazon Rekognition was busy and retries ran out',
  ProvisionedThroughputExceededException: 'The service was over its capacity and retries ran out',
  LimitExceededException: 'Amazon Rekognition was over its limits and retries ran out',
  ServiceUnreachable: 'A service the pipeline depends on could not be reached, and the retries ran out',
};

const MAX_REASON_LENGTH = 1000;

/**
 * A person-readable reason from a Catch's error object. On AWS the Cause of a Lambda error is
 * Lambda's JSON ({"errorType","errorMessage",...}); locally and for States.* errors it is plain
 * text. Our own errors' messages are already sentences; others get a sentence plus the detail.
 */
/** JavaScript's own error names: their messages were written for programmers, not as sentences. */
const GENERIC_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

export function failureReason(error: StepError | undefined): string {
  const name = typeof error?.Error === 'string' && error.Error.trim() ? error.Error.trim() : undefined;
  const detail = stepErrorMessage(error?.Cause);
  const sentence = name ? FAILURE_SENTENCES[name] : undefined;
  let reason: string;
  if (sentence) {
    reason = detail ? `${sentence}: ${detail}` : sentence;
  } else if (detail) {
    // A named pipeline error's message is a sentence already; a bare JavaScript error's is not.
    if (NETWORK_FAILURE.test(detail)) {
      reason = `A service the pipeline depends on could not be reached, and the retries ran out (${detail})`;
    } else {
      const bare = !name || GENERIC_ERRORS.has(name);
      reason = bare && !/^[A-Z]/.test(detail) ? `Processing failed: ${detail}` : detail;
    }
  } else {
    reason = name ? `Processing failed with ${name}` : 'Processing failed for an unknown reason';
  }
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
}

function listOf(items: string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
