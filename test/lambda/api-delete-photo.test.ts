import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DeletePhotoDeps, deletePhoto } from '../../lambda/delete-photo/delete-photo';
import { findOwnPhoto } from '../../lambda/shared/http';
import type { PhotoTombstone } from '../../lambda/shared/model';
import { apiEvent, BUCKET, bodyOf, clients, photoRecord, TABLE } from './api-helpers';
import { FakeTable, silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);

const NOW = '2025-03-01T10:00:30.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;

function del(photoId: string, sub: string | null = 'user-1') {
  return apiEvent({ routeKey: 'DELETE /photos/{photoId}', pathParameters: { photoId }, sub });
}

const deletedKeys = () => s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key);

describe('delete-photo', () => {
  let deps: DeletePhotoDeps;
  let table: FakeTable;
  /** Every S3 delete and table write, in order. */
  let steps: string[];

  beforeEach(() => {
    dynamoMock.reset();
    s3Mock.reset();
    table = new FakeTable(dynamoMock);
    steps = [];
    s3Mock.on(DeleteObjectCommand).callsFake(async (input) => {
      steps.push(`delete ${input.Key}`);
      return {};
    });
    table.put(photoRecord({ photoId: 'p1' }));
    table.put(photoRecord({ owner: 'user-2', photoId: 'theirs' }));
    const { dynamo, s3 } = clients();
    deps = { dynamo, s3, tableName: TABLE, bucket: BUCKET, log: silentLog(), now: () => new Date(NOW) };
  });

  /** Records the tombstone put among the S3 deletes, applying it as DynamoDB would (attribute_exists). */
  function traceTombstone() {
    dynamoMock.on(PutCommand).callsFake(async (input) => {
      steps.push(`tombstone ${input.Item.photoId}`);
      if (!table.get(input.Item)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      }
      table.put(input.Item);
      return {};
    });
  }

  it('deletes the original, replaces the record with a tombstone, then deletes the thumbnails and renditions; 204', async () => {
    // Prepare
    traceTombstone();

    // Act
    const response = await deletePhoto(del('p1'), deps);

    // Assess
    expect(response).toEqual({ statusCode: 204 });
    expect(steps).toEqual([
      'delete Incoming/user-1/p1.jpg',
      'tombstone p1',
      'delete Thumbnails/user-1/p1.jpg',
      'delete Thumbnails/user-1/p1.png',
      'delete Renditions/user-1/p1.jpg',
      'delete Renditions/user-1/p1.png',
    ]);
    expect(table.get({ owner: 'user-1', photoId: 'p1' })).toEqual<PhotoTombstone>({
      owner: 'user-1',
      photoId: 'p1',
      status: 'DELETED',
      bucket: BUCKET,
      originalKey: 'Incoming/user-1/p1.jpg',
      executionName: 'p1-0123456789abcdef',
      deletedAt: NOW,
      expiresAt: NOW_SECONDS + 15 * 24 * 60 * 60,
    });
  });

  it('removes the content index item that names the photo, so its ETag does not outlive it', async () => {
    // Prepare
    const etag = '0cc175b9c0f1b6a831c399e269772661';
    table.put(photoRecord({ photoId: 'p1', etag }));
    const indexKey = { owner: 'user-1', photoId: `content#${etag}#123456` };
    table.put({ ...indexKey, sourcePhotoId: 'p1' });

    // Act
    const response = await deletePhoto(del('p1'), deps);

    // Assess
    expect(response.statusCode).toBe(204);
    expect(table.get(indexKey)).toBeUndefined();
  });

  it('leaves a content index item that names another photo (a later copy labelled afresh)', async () => {
    const etag = '0cc175b9c0f1b6a831c399e269772661';
    table.put(photoRecord({ photoId: 'p1', etag }));
    const indexKey = { owner: 'user-1', photoId: `content#${etag}#123456` };
    table.put({ ...indexKey, sourcePhotoId: 'p2' });

    expect((await deletePhoto(del('p1'), deps)).statusCode).toBe(204);

    expect(table.get(indexKey)).toEqual({ ...indexKey, sourcePhotoId: 'p2' });
  });

  it('writes the tombstone only over an existing item, and without uploadedAt (never listed)', async () => {
    await deletePhoto(del('p1'), deps);

    const put = dynamoMock.commandCalls(PutCommand)[0].args[0].input;
    expect(put).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_exists(#photoId)',
      ExpressionAttributeNames: { '#photoId': 'photoId' },
    });
    expect(put.Item).not.toHaveProperty('uploadedAt');
    expect(put.Item).not.toHaveProperty('metadata');
  });

  it('deletes the thumbnail and rendition of a PROCESSING photo whose record does not know them yet', async () => {
    table.put(photoRecord({ photoId: 'p2', status: 'PROCESSING', thumbnail: null, labels: [], tags: [] }));

    expect((await deletePhoto(del('p2'), deps)).statusCode).toBe(204);
    expect(deletedKeys()).toEqual([
      'Incoming/user-1/p2.jpg',
      'Thumbnails/user-1/p2.jpg',
      'Thumbnails/user-1/p2.png',
      'Renditions/user-1/p2.jpg',
      'Renditions/user-1/p2.png',
    ]);
    expect(table.get({ owner: 'user-1', photoId: 'p2' })).toMatchObject({ status: 'DELETED' });
  });

  it('deletes a thumbnail key the record names even when it is not the derived one', async () => {
    table.put(
      photoRecord({
        photoId: 'p3',
        thumbnail: { key: 'Thumbnails/old/p3.jpg', width: 1, height: 1, format: 'jpeg', sizeBytes: 1 },
      }),
    );

    await deletePhoto(del('p3'), deps);

    expect(deletedKeys()).toContain('Thumbnails/old/p3.jpg');
    expect(deletedKeys()).toContain('Thumbnails/user-1/p3.png');
  });

  it('deletes a rendition key the record names', async () => {
    table.put(
      photoRecord({
        photoId: 'p4',
        rendition: {
          key: 'Renditions/old/p4.jpg',
          width: 2048,
          height: 1536,
          format: 'jpeg',
          sizeBytes: 1,
          reason: 'HEIF/HEIC: most browsers cannot show it and Rekognition cannot read it',
        },
      }),
    );

    await deletePhoto(del('p4'), deps);

    expect(deletedKeys()).toContain('Renditions/old/p4.jpg');
    expect(deletedKeys()).toContain('Renditions/user-1/p4.png');
  });

  it('fails with 404 for a photo already deleted (a tombstone), after deleting its objects again', async () => {
    await deletePhoto(del('p1'), deps);
    s3Mock.resetHistory();
    dynamoMock.resetHistory();

    const response = await deletePhoto(del('p1'), deps);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toBe('No photo p1');
    expect(deletedKeys()).toEqual([
      'Incoming/user-1/p1.jpg',
      'Thumbnails/user-1/p1.jpg',
      'Thumbnails/user-1/p1.png',
      'Renditions/user-1/p1.jpg',
      'Renditions/user-1/p1.png',
    ]);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 204 when a concurrent delete removed the item before the tombstone', async () => {
    traceTombstone();
    s3Mock.on(DeleteObjectCommand, { Key: 'Incoming/user-1/p1.jpg' }).callsFake(async () => {
      table.items.delete('user-1\u0000p1');
      return {};
    });

    expect((await deletePhoto(del('p1'), deps)).statusCode).toBe(204);
    expect(table.get({ owner: 'user-1', photoId: 'p1' })).toBeUndefined();
  });

  it("fails with 404 for another user's photo and touches nothing", async () => {
    const response = await deletePhoto(del('theirs'), deps);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toBe('No photo theirs');
    expect(s3Mock.calls()).toHaveLength(0);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(table.get({ owner: 'user-2', photoId: 'theirs' })).toMatchObject({ status: 'READY' });
  });

  it('fails with 404 for a photo that does not exist', async () => {
    const response = await deletePhoto(del('nope'), deps);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toBe('No photo nope');
    expect(table.get({ owner: 'user-1', photoId: 'nope' })).toBeUndefined();
  });

  it('keeps the record when the original cannot be deleted, so the delete can be retried', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(new Error('SlowDown'));

    const response = await deletePhoto(del('p1'), deps);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response).message).toBe('Something went wrong on our side; try again.');
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
    expect(table.get({ owner: 'user-1', photoId: 'p1' })).toMatchObject({ status: 'READY' });
  });

  it('fails with 400 for a malformed photoId', async () => {
    const response = await deletePhoto(del('../../Incoming'), deps);

    expect(response.statusCode).toBe(400);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('fails with 401 without a signed-in user', async () => {
    const response = await deletePhoto(del('p1', null), deps);

    expect(response.statusCode).toBe(401);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('makes the photo routes answer 404 for a tombstone', async () => {
    await deletePhoto(del('p1'), deps);

    await expect(findOwnPhoto(deps.dynamo, TABLE, 'user-1', 'p1')).rejects.toMatchObject({
      statusCode: 404,
      message: 'No photo p1',
    });
  });
});
