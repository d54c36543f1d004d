import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ObjectNotFound } from './errors';
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

/**
 * Writes an image made from a photo (its thumbnail, its display rendition) beside it, then makes sure
 * the photo was not deleted meanwhile; if it was, takes the image back and fails with ObjectNotFound.
 * delete-photo removes every possible derived key after writing its tombstone, and this consistent
 * read after the write sees any tombstone written before then: either way nothing is left behind.
 */
export async function putDerivedImage(
  s3: S3Client,
  records: PhotoRecords,
  photo: PhotoRef,
  image: { readonly key: string; readonly data: Buffer; readonly format: string },
  /** What the image is, for the error: "thumbnail", "display rendition". */
  what: string,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: photo.bucket,
      Key: image.key,
      Body: image.data,
      ContentType: `image/${image.format}`,
      // Rewritten in place when the photo is uploaded again, so caches must revalidate.
      CacheControl: 'no-cache',
    }),
  );
  if (await photoDeleted(records, photo)) {
    await s3.send(new DeleteObjectCommand({ Bucket: photo.bucket, Key: image.key }));
    throw new ObjectNotFound(
      `The photo ${photo.photoId} was deleted while it was being processed; its ${what} was removed.`,
    );
  }
}
