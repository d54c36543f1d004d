import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite } from '../shared/errors';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  HttpError,
  noContent,
  photoIdParam,
  respond,
} from '../shared/http';
import {
  contentId,
  DELETED_STATUS,
  isTombstone,
  type PhotoRecord,
  type PhotoTombstone,
  renditionKey,
  TOMBSTONE_RETENTION_DAYS,
  thumbnailKey,
} from '../shared/model';
import type { Log } from '../shared/powertools';

export interface DeletePhotoDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucket: string;
  readonly log: Log;
  readonly now?: () => Date;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * DELETE /photos/{photoId}: the original, then the record (replaced by a tombstone), then the
 * thumbnail and the display rendition. The photo may still be processing, so the order is what makes the delete race-free:
 *
 * 1. The original goes first: from then on every step that reads it fails (ObjectNotFound). If
 *    anything below fails, the record is still there, so the user can delete it again.
 * 2. The record is replaced by a tombstone (PhotoTombstone): the pipeline's later writes need a
 *    PROCESSING record of their execution, so none lands (record-photo ends quietly), and a
 *    duplicate or late S3 event of this upload finds it and starts nothing (start-execution).
 * 3. Both possible thumbnail and rendition keys go last, whether or not the record knows them yet: one
 *    written before this step is removed here; one written after it was written after the
 *    tombstone, and generate-thumbnail / generate-rendition, which read the record after writing,
 *    remove it themselves.
 *
 * A photo already deleted (a tombstone) is 404, like GET; its objects are deleted again first, so a
 * retry after a failure part-way still leaves nothing (S3 deletes of a missing key succeed).
 */
export async function deletePhoto(event: ApiEvent, deps: DeletePhotoDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const photoId = photoIdParam(event);
    const { Item } = await deps.dynamo.send(
      new GetCommand({ TableName: deps.tableName, Key: { owner, photoId }, ConsistentRead: true }),
    );
    // The owner is part of the key: another user's photo is not found, 404 and never 403.
    if (!Item) throw new HttpError(404, `No photo ${photoId}`);
    const record = Item as PhotoRecord | PhotoTombstone;
    await deleteObject(deps, record.originalKey);
    if (!isTombstone(record)) {
      await leaveTombstone(record, deps);
      await forgetContent(record, deps);
    }
    // Derived images: the thumbnail and the display rendition, each under both possible keys.
    const thumbnails = [
      ...new Set([
        ...(isTombstone(record) ? [] : [record.thumbnail?.key, record.rendition?.key]),
        thumbnailKey(owner, photoId, 'jpeg'),
        thumbnailKey(owner, photoId, 'png'),
        renditionKey(owner, photoId, 'jpeg'),
        renditionKey(owner, photoId, 'png'),
      ]),
    ].filter((key): key is string => !!key);
    await Promise.all(thumbnails.map((key) => deleteObject(deps, key)));
    deps.log.info(isTombstone(record) ? 'Deleted photo cleaned up again' : 'Photo deleted', {
      owner,
      photoId,
      status: record.status,
      keys: [record.originalKey, ...thumbnails],
    });
    if (isTombstone(record)) throw new HttpError(404, `No photo ${photoId}`);
    return noContent();
  });
}

async function deleteObject(deps: DeletePhotoDeps, key: string): Promise<void> {
  await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
}

/**
 * Removes the owner's content index item for the photo's bytes if it names this photo (see
 * CONTENT_ID_PREFIX): the deleted photo's ETag must not outlive it, and no later upload could be a
 * duplicate of it anyway (its tombstone fails the check). An item that names another photo (a copy
 * uploaded later and labelled afresh) is left alone.
 */
async function forgetContent(record: PhotoRecord, deps: DeletePhotoDeps): Promise<void> {
  const sizeBytes = record.metadata?.sizeBytes;
  if (!record.etag || typeof sizeBytes !== 'number') return;
  await conditionalWrite(
    deps.dynamo.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: { owner: record.owner, photoId: contentId(record.etag, sizeBytes) },
        ConditionExpression: '#source = :photoId',
        ExpressionAttributeNames: { '#source': 'sourcePhotoId' },
        ExpressionAttributeValues: { ':photoId': record.photoId },
      }),
    ),
  );
}

/** Replaces the record with its tombstone (a whole-item put: metadata, GPS and labels go with the record). */
async function leaveTombstone(record: PhotoRecord, deps: DeletePhotoDeps): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const tombstone: PhotoTombstone = {
    owner: record.owner,
    photoId: record.photoId,
    status: DELETED_STATUS,
    bucket: record.bucket,
    originalKey: record.originalKey,
    executionName: record.executionName,
    deletedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + TOMBSTONE_RETENTION_DAYS * DAY_SECONDS,
  };
  // Refused when the item vanished since it was read: the photo is gone either way.
  await conditionalWrite(
    deps.dynamo.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: tombstone,
        // Never creates an item for a photo that has none.
        ConditionExpression: 'attribute_exists(#photoId)',
        ExpressionAttributeNames: { '#photoId': 'photoId' },
      }),
    ),
  );
}
