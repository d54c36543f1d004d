import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BAD_CURSOR,
  type ListPhotosDeps,
  listPhotos,
  MAX_QUERY_CALLS,
} from '../../lambda/list-photos/list-photos';
import type { ListPhotosResponse } from '../../lambda/shared/api';
import { encodeCursor } from '../../lambda/shared/http';
import type { PhotoRecord } from '../../lambda/shared/model';
import { apiEvent, BUCKET, bodyOf, clients, photoRecord, serveQueries, TABLE } from './api-helpers';
import { silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);

/** n photos of an owner, uploaded a minute apart (p00 oldest); `tagged(i)` says which carry 'cat'. */
function library(owner: string, n: number, tagged: (i: number) => boolean = () => true): PhotoRecord[] {
  return Array.from({ length: n }, (_, i) =>
    photoRecord({
      owner,
      photoId: `${owner}-p${String(i).padStart(2, '0')}`,
      uploadedAt: new Date(Date.UTC(2025, 2, 1, 10, i)).toISOString(),
      tags: tagged(i) ? ['cat', 'pet'] : ['car'],
      labels: tagged(i) ? [{ name: 'Cat', confidence: 90 }] : [{ name: 'Car', confidence: 90 }],
    }),
  );
}

function list(query: Record<string, string> = {}, sub: string | null = 'user-1') {
  return apiEvent({ routeKey: 'GET /photos', query, sub });
}

const idsOf = (response: ListPhotosResponse) => response.photos.map((p) => p.photoId);
const queries = () => dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input);

describe('list-photos', () => {
  let deps: ListPhotosDeps;

  beforeEach(() => {
    dynamoMock.reset();
    s3Mock.reset();
    const { dynamo, s3 } = clients();
    deps = { dynamo, s3, tableName: TABLE, bucket: BUCKET, log: silentLog() };
  });

  it("lists the caller's photos newest first, 24 by default, from the ByUploadedAt index", async () => {
    serveQueries(dynamoMock, [...library('user-1', 30), ...library('user-2', 5)]);

    const body = bodyOf<ListPhotosResponse>(await listPhotos(list(), deps));

    expect(body.photos).toHaveLength(24);
    expect(body.photos[0].photoId).toBe('user-1-p29');
    expect(body.photos[23].photoId).toBe('user-1-p06');
    expect(body.nextCursor).toEqual(expect.any(String));
    expect(queries()[0]).toMatchObject({
      TableName: TABLE,
      IndexName: 'ByUploadedAt',
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': 'user-1' },
      ScanIndexForward: false,
      Limit: 24,
    });
  });

  it("only ever queries the caller's partition", async () => {
    serveQueries(dynamoMock, [...library('user-1', 3), ...library('user-2', 3)], 1);

    const body = bodyOf<ListPhotosResponse>(await listPhotos(list({ label: 'cat' }, 'user-2'), deps));

    expect(idsOf(body)).toEqual(['user-2-p02', 'user-2-p01', 'user-2-p00']);
    expect(queries().length).toBeGreaterThan(1);
    for (const input of queries()) {
      expect(input.KeyConditionExpression).toBe('#owner = :owner');
      expect(input.ExpressionAttributeValues?.[':owner']).toBe('user-2');
    }
  });

  it('shapes each photo as a PhotoSummary with a presigned thumbnail URL and no execution lookup', async () => {
    serveQueries(dynamoMock, [
      photoRecord({ photoId: 'with-thumb' }),
      photoRecord({
        photoId: 'no-thumb',
        status: 'REJECTED',
        thumbnail: null,
        uploadedAt: '2025-03-01T09:00:00.000Z',
      }),
    ]);

    const [withThumb, noThumb] = bodyOf<ListPhotosResponse>(await listPhotos(list(), deps)).photos;

    expect(withThumb).toMatchObject({
      photoId: 'with-thumb',
      key: 'Incoming/user-1/with-thumb.jpg',
      status: 'READY',
      labels: [{ name: 'Cat', confidence: 97.5 }],
      execution: { name: 'with-thumb-0123456789abcdef', status: null, durationMs: null },
      metadata: { format: 'jpeg', width: 640, height: 480 },
    });
    const url = new URL(withThumb.thumbnailUrl as string);
    expect(url.host).toBe(`${BUCKET}.s3.eu-west-1.amazonaws.com`);
    expect(url.pathname).toBe('/Thumbnails/user-1/with-thumb.jpg');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(noThumb).toMatchObject({ photoId: 'no-thumb', status: 'REJECTED', thumbnailUrl: null });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('answers an empty page with no cursor for a user without photos', async () => {
    serveQueries(dynamoMock, library('user-2', 3));

    expect(bodyOf(await listPhotos(list(), deps))).toEqual({ photos: [], nextCursor: null });
  });

  it('pages through every photo with the cursor, none twice, none skipped', async () => {
    serveQueries(dynamoMock, library('user-1', 5));

    const first = bodyOf<ListPhotosResponse>(await listPhotos(list({ limit: '2' }), deps));
    const second = bodyOf<ListPhotosResponse>(
      await listPhotos(list({ limit: '2', cursor: first.nextCursor as string }), deps),
    );
    const third = bodyOf<ListPhotosResponse>(
      await listPhotos(list({ limit: '2', cursor: second.nextCursor as string }), deps),
    );

    expect(idsOf(first)).toEqual(['user-1-p04', 'user-1-p03']);
    expect(idsOf(second)).toEqual(['user-1-p02', 'user-1-p01']);
    expect(idsOf(third)).toEqual(['user-1-p00']);
    expect(third.nextCursor).toBeNull();
    expect(queries()[1].ExclusiveStartKey).toEqual({
      owner: 'user-1',
      photoId: 'user-1-p03',
      uploadedAt: library('user-1', 5)[3].uploadedAt,
    });
  });

  it('fills a filtered page across several Query pages', async () => {
    // Every third photo is a cat; DynamoDB evaluates at most 4 items a call (its 1 MB page here).
    serveQueries(
      dynamoMock,
      library('user-1', 30, (i) => i % 3 === 0),
      4,
    );

    const body = bodyOf<ListPhotosResponse>(await listPhotos(list({ limit: '5', label: ' Cat ' }), deps));

    expect(idsOf(body)).toEqual(['user-1-p27', 'user-1-p24', 'user-1-p21', 'user-1-p18', 'user-1-p15']);
    expect(queries().length).toBeGreaterThan(1);
    expect(queries()[0]).toMatchObject({
      FilterExpression: 'contains(#tags, :label)',
      ExpressionAttributeNames: { '#owner': 'owner', '#tags': 'tags' },
      ExpressionAttributeValues: { ':owner': 'user-1', ':label': 'cat' },
    });
    const rest = bodyOf<ListPhotosResponse>(
      await listPhotos(list({ limit: '5', label: 'cat', cursor: body.nextCursor as string }), deps),
    );
    expect(idsOf(rest)).toEqual(['user-1-p12', 'user-1-p09', 'user-1-p06', 'user-1-p03', 'user-1-p00']);
  });

  it('ends a filtered page at the last photo kept when one Query matches more than the page holds', async () => {
    serveQueries(dynamoMock, library('user-1', 10));
    const seen: string[] = [];
    let cursor: string | null | undefined;

    do {
      const query: Record<string, string> = { limit: '3', label: 'cat', ...(cursor && { cursor }) };
      const page = bodyOf<ListPhotosResponse>(await listPhotos(list(query), deps));
      expect(page.photos.length).toBeLessThanOrEqual(3);
      seen.push(...idsOf(page));
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen).toEqual(
      library('user-1', 10)
        .map((r) => r.photoId)
        .reverse(),
    );
  });

  it(`stops after ${MAX_QUERY_CALLS} Query calls with a cursor to carry on, when matches are rare`, async () => {
    serveQueries(
      dynamoMock,
      library('user-1', 50, (i) => i === 0),
      1,
    );

    const body = bodyOf<ListPhotosResponse>(await listPhotos(list({ label: 'cat' }), deps));

    expect(queries()).toHaveLength(MAX_QUERY_CALLS);
    expect(body.photos).toEqual([]);
    expect(body.nextCursor).toEqual(expect.any(String));
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['ten'], ['']])(
    'fails with 400 when limit is %j',
    async (limit) => {
      const response = await listPhotos(list({ limit }), deps);

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).message).toBe(
        `limit must be a whole number from 1 to 100, got ${JSON.stringify(limit)}.`,
      );
      expect(queries()).toHaveLength(0);
    },
  );

  it('accepts limit 1 and 100', async () => {
    serveQueries(dynamoMock, library('user-1', 3));

    expect((await listPhotos(list({ limit: '1' }), deps)).statusCode).toBe(200);
    expect((await listPhotos(list({ limit: '100' }), deps)).statusCode).toBe(200);
  });

  it('fails with 400 when the label is too long', async () => {
    const response = await listPhotos(list({ label: 'x'.repeat(129) }), deps);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toBe('label must be at most 128 characters long.');
  });

  const key = { owner: 'user-1', photoId: 'user-1-p03', uploadedAt: '2025-03-01T10:03:00.000Z' };
  it.each([
    ['not base64url', 'not a cursor!'],
    ['base64url of something that is not JSON', Buffer.from('{owner').toString('base64url')],
    ['a JSON array', encodeCursor([1, 2] as never)],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a JSON string', Buffer.from('"user-1"').toString('base64url')],
    ['more than 2048 characters', 'A'.repeat(2049)],
    ['another owner', encodeCursor({ ...key, owner: 'user-2' })],
    ['an owner that only starts like the caller', encodeCursor({ ...key, owner: 'user-1x' })],
    ['an over-long owner', encodeCursor({ ...key, owner: `user-1${'x'.repeat(2000)}` })],
    ['an owner that is not a string', encodeCursor({ ...key, owner: ['user-1'] })],
    ['a missing key attribute', encodeCursor({ owner: 'user-1', photoId: 'user-1-p03' })],
    ['an extra attribute', encodeCursor({ ...key, status: 'READY' })],
    ['a photoId that is a number', encodeCursor({ ...key, photoId: 3 })],
    ['a photoId that is a DynamoDB attribute value', encodeCursor({ ...key, photoId: { S: 'user-1-p03' } })],
    ['an empty photoId', encodeCursor({ ...key, photoId: '' })],
    [
      'an over-long photoId (over the 1024-byte sort key limit)',
      encodeCursor({ ...key, photoId: 'p'.repeat(1100) }),
    ],
    ['a photoId just over the id length', encodeCursor({ ...key, photoId: 'p'.repeat(129) })],
    ['a photoId with characters ids never have', encodeCursor({ ...key, photoId: 'p 03/../x' })],
    ['the upload counter as the photoId', encodeCursor({ ...key, photoId: 'quota#2025-03-01' })],
    ['an uploadedAt that is a number', encodeCursor({ ...key, uploadedAt: 5 })],
    ['an uploadedAt that is null', encodeCursor({ ...key, uploadedAt: null })],
    ['an uploadedAt that is not a time', encodeCursor({ ...key, uploadedAt: 'yesterday' })],
    ['an over-long uploadedAt', encodeCursor({ ...key, uploadedAt: `${key.uploadedAt}${'9'.repeat(1500)}` })],
    ['an uploadedAt that is no date', encodeCursor({ ...key, uploadedAt: '2025-13-45T10:03:00.000Z' })],
    ['a tampered character', `${encodeCursor(key).slice(0, -2)}@@`],
  ])('fails with 400, not 500, for a cursor with %s', async (_, cursor) => {
    const response = await listPhotos(list({ cursor }), deps);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toBe(BAD_CURSOR);
    expect(bodyOf(response).message).toMatch(/^cursor is not one this API gave out/);
    expect(queries()).toHaveLength(0);
  });

  it('takes a cursor it gave out, as the ExclusiveStartKey', async () => {
    serveQueries(dynamoMock, library('user-1', 5));

    const response = await listPhotos(list({ cursor: encodeCursor(key) }), deps);

    expect(response.statusCode).toBe(200);
    expect(queries()[0].ExclusiveStartKey).toEqual(key);
  });

  it('fails with 401 without a signed-in user', async () => {
    const response = await listPhotos(list({}, null), deps);

    expect(response.statusCode).toBe(401);
    expect(queries()).toHaveLength(0);
  });

  it('answers 500 without details when DynamoDB fails', async () => {
    dynamoMock.on(QueryCommand).rejects(new Error('ProvisionedThroughputExceededException: table busy'));

    const response = await listPhotos(list(), deps);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response).message).toBe('Something went wrong on our side; try again.');
    expect(deps.log.error).toHaveBeenCalled();
  });
});
