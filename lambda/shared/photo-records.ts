import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { isTombstone, type PhotoRef } from './model';

/** The ImageMetadata table, read once after a derived image is written: is the photo still there? */
export interface PhotoRecords {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Whether the photo's record is gone or a tombstone (a consistent read: it must see a delete that just happened). */
export async function photoDeleted(records: PhotoRecords, photo: PhotoRef): Promise<boolean> {
  const { Item } = await records.dynamo.send(
    new GetCommand({
      TableName: records.tableName,
      Key: { owner: photo.owner, photoId: photo.photoId },
      ConsistentRead: true,
      ProjectionExpression: '#status',
      ExpressionAttributeNames: { '#status': 'status' },
    }),
  );
  return !Item || isTombstone(Item);
}
