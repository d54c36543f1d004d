import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ListPhotosResponse, PhotoSummary } from '../shared/api';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  decodeCursor,
  encodeCursor,
  HttpError,
  json,
  PHOTO_ID,
  presignedGet,
  respond,
} from '../shared/http';
import { type PhotoRecord, TABLE_KEYS } from '../shared/model';
import { toPhotoView } from '../shared/photo-view';
import type { Log } from '../shared/powertools';

export interface ListPhotosDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly tableName: string;
  readonly bucket: string;
  readonly log: Log;
}

export interface ListQuery {
  readonly limit: number;
  /** Where the previous page stopped: a key of the ByUploadedAt index, in the caller's partition. */
  readonly startKey: Record<string, string> | undefined;
  /** Lower-case label name the photos must carry; undefined for all photos. */
  readonly label: string | undefined;
}

export const DEFAULT_LIMIT = 24;
export const MAX_LIMIT = 100;
const MAX_LABEL_LENGTH = 128;
/** Items a filtered Query evaluates per call: matches are counted after the Limit applies. */
const FILTERED_QUERY_LIMIT = 100;
/**
 * Query calls one request makes at most. A rare label in a large library could otherwise read the
 * whole partition in one request; the page then ends short, with a nextCursor to carry on.
 */
export const MAX_QUERY_CALLS = 10;

export const BAD_CURSOR =
  'cursor is not one this API gave out for your listing; list again without it to start from your newest photo.';
/** The attributes of a ByUploadedAt key: the table's key and the index's sort key. */
const CURSOR_FIELDS = [TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, TABLE_KEYS.byUploadedAtSortKey].sort();

/** GET /photos?limit=&cursor=&label= : the caller's photos, newest first, each with a thumbnail URL. */
export async function listPhotos(event: ApiEvent, deps: ListPhotosDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const query = parseListQuery(event.queryStringParameters ?? {}, owner);
    const { records, lastKey } = await queryPhotos(owner, query, deps);
    const photos = await Promise.all(records.map((record) => summaryOf(record, deps)));
    const response: ListPhotosResponse = { photos, nextCursor: lastKey ? encodeCursor(lastKey) : null };
    return json(200, response);
  });
}

export function parseListQuery(params: Record<string, string | undefined>, owner: string): ListQuery {
  const { limit: rawLimit, cursor, label: rawLabel } = params;
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw new HttpError(
        400,
        `limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(rawLimit)}.`,
      );
    }
  }
  const label = rawLabel?.trim().toLowerCase() || undefined;
  if (label && label.length > MAX_LABEL_LENGTH) {
    throw new HttpError(400, `label must be at most ${MAX_LABEL_LENGTH} characters long.`);
  }
  return { limit, startKey: cursor === undefined ? undefined : cursorKey(cursor, owner), label };
}

/** `uploadedAt` as start-execution writes it (Date.toISOString). */
const UPLOADED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The index key in a cursor. A cursor is opaque but not signed, so everything in it is checked before
 * it reaches DynamoDB as ExclusiveStartKey: exactly the three key attributes, each a string of the
 * shape this API writes (which also keeps each far inside DynamoDB's key size limits), and the
 * caller's own partition. Anything else is the same 400, whatever was changed.
 */
export function cursorKey(cursor: string, owner: string): Record<string, string> {
  const key = decodeCursor(cursor);
  const photoId = key?.[TABLE_KEYS.sortKey];
  const uploadedAt = key?.[TABLE_KEYS.byUploadedAtSortKey];
  const valid =
    key !== undefined &&
    JSON.stringify(Object.keys(key).sort()) === JSON.stringify(CURSOR_FIELDS) &&
    key[TABLE_KEYS.partitionKey] === owner &&
    typeof photoId === 'string' &&
    PHOTO_ID.test(photoId) &&
    typeof uploadedAt === 'string' &&
    UPLOADED_AT.test(uploadedAt) &&
    !Number.isNaN(Date.parse(uploadedAt));
  if (!valid) throw new HttpError(400, BAD_CURSOR);
  return key as Record<string, string>;
}

/**
 * Reads the ByUploadedAt index newest first until the page is full or the partition ends. With a
 * label filter, DynamoDB applies Limit before the filter, so one call may match fewer photos than
 * wanted (or none): calls go on from where the last one stopped, and when one matches more than
 * the page has room for, the page ends at the last photo kept and the cursor points there.
 */
async function queryPhotos(
  owner: string,
  query: ListQuery,
  deps: ListPhotosDeps,
): Promise<{ records: PhotoRecord[]; lastKey: Record<string, unknown> | undefined }> {
  const records: PhotoRecord[] = [];
  let startKey: Record<string, unknown> | undefined = query.startKey;
  for (let call = 0; call < MAX_QUERY_CALLS; call++) {
    const room = query.limit - records.length;
    const result = await deps.dynamo.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: TABLE_KEYS.byUploadedAtIndex,
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: {
          '#owner': TABLE_KEYS.partitionKey,
          ...(query.label && { '#tags': 'tags' }),
        },
        ExpressionAttributeValues: { ':owner': owner, ...(query.label && { ':label': query.label }) },
        ...(query.label && { FilterExpression: 'contains(#tags, :label)' }),
        ScanIndexForward: false,
        Limit: query.label ? Math.max(room, FILTERED_QUERY_LIMIT) : room,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (result.Items ?? []) as PhotoRecord[];
    if (items.length > room) {
      const kept = items.slice(0, room);
      records.push(...kept);
      return { records, lastKey: indexKeyOf(kept[kept.length - 1]) };
    }
    records.push(...items);
    startKey = result.LastEvaluatedKey;
    if (!startKey || records.length === query.limit) break;
  }
  return { records, lastKey: startKey };
}

/** The ByUploadedAt key of an item, as DynamoDB's LastEvaluatedKey would give it. */
function indexKeyOf(record: PhotoRecord): Record<string, unknown> {
  return { owner: record.owner, photoId: record.photoId, uploadedAt: record.uploadedAt };
}

async function summaryOf(record: PhotoRecord, deps: ListPhotosDeps): Promise<PhotoSummary> {
  return {
    // No DescribeExecution per photo: the record's status is what a listing needs.
    ...toPhotoView(record),
    thumbnailUrl: record.thumbnail?.key
      ? await presignedGet(deps.s3, deps.bucket, record.thumbnail.key)
      : null,
  };
}
