import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DeletePhotoDeps, deletePhoto } from '../../lambda/delete-photo/delete-photo';
import { apiEvent, BUCKET, bodyOf, clients, photoRecord, TABLE } from './api-helpers';
import { FakeTable, silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);

function del(photoId: string, sub: string | null = 'user-1') {
  return apiEvent({ routeKey: 'DELETE /photos/{photoId}', pathParameters: { photoId }, sub });
}

const deletedKeys = () => s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);

describe('delete-photo', () => {
  let deps: DeletePhotoDeps;
  let table: FakeTable;

  beforeEach(() => {
    dynamoMock.reset();
    s3Mock.reset();
    table = new FakeTable(dynamoMock);
    dynamoMock.on(DeleteCommand).callsFake(async (input) => {
      if (!table.get(input.Key)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
        });
      }
      table.items.delete(`${input.Key.owner}\u0000${input.Key.photoId}`);
      return {};
    });
    s3Mock.on(DeleteObjectCommand).resolves({});
    table.put(photoRecord({ photoId: 'p1' }));
    table.put(photoRecord({ owner: 'user-2', photoId: 'theirs' }));
    const { dynamo, s3 } = clients();
    deps = { dynamo, s3, tableName: TABLE, bucket: BUCKET, log: silentLog() };
  });

  it('removes the original, the thumbnail and the record, and answers 204', async () => {
    const response = await deletePhoto(del('p1'), deps);

    expect(response).toEqual({ statusCode: 204 });
    expect(deletedKeys()).toEqual([
      { Bucket: BUCKET, Key: 'Incoming/user-1/p1.jpg' },
      { Bucket: BUCKET, Key: 'Thumbnails/user-1/p1.jpg' },
    ]);
    expect(dynamoMock.commandCalls(DeleteCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { owner: 'user-1', photoId: 'p1' },
      ConditionExpression: 'attribute_exists(#photoId)',
      ExpressionAttributeNames: { '#photoId': 'photoId' },
    });
    expect(table.get({ owner: 'user-1', photoId: 'p1' })).toBeUndefined();
  });

  it('removes only the original when there is no thumbnail', async () => {
    table.put(photoRecord({ photoId: 'p2', status: 'REJECTED', thumbnail: null }));

    expect((await deletePhoto(del('p2'), deps)).statusCode).toBe(204);
    expect(deletedKeys()).toEqual([{ Bucket: BUCKET, Key: 'Incoming/user-1/p2.jpg' }]);
  });

  it("fails with 404 for another user's photo and touches nothing", async () => {
    const response = await deletePhoto(del('theirs'), deps);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toBe('No photo theirs');
    expect(s3Mock.calls()).toHaveLength(0);
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(table.get({ owner: 'user-2', photoId: 'theirs' })).toBeDefined();
  });

  it('fails with 404 for a photo that does not exist', async () => {
    const response = await deletePhoto(del('nope'), deps);

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toBe('No photo nope');
  });

  it('answers 204 when a concurrent delete removed the record first', async () => {
    dynamoMock
      .on(DeleteCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    expect((await deletePhoto(del('p1'), deps)).statusCode).toBe(204);
  });

  it('keeps the record when an object cannot be deleted, so the delete can be retried', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(new Error('SlowDown'));

    const response = await deletePhoto(del('p1'), deps);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response).message).toBe('Something went wrong on our side; try again.');
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(0);
    expect(table.get({ owner: 'user-1', photoId: 'p1' })).toBeDefined();
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
});
