import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ObjectNotFound } from './errors';
import { isTombstone, type PhotoRef, type ThumbnailResult } from './model';
import { downloadObject } from './photo-object';

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

/** An image made from a photo, not yet written: JPEG, or PNG when it has transparency. */
export interface RenderedImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly format: 'jpeg' | 'png';
}

/** What an image made from a photo is read from, how it is made, and where it goes. */
export interface Derivation {
  /** What is read: the photo itself, or an image already made from it. */
  readonly source: { readonly bucket: string; readonly key: string };
  /** Largest object read. @default 100 MiB (a 50 MP photo as a PNG is far less than that) */
  readonly maxObjectBytes?: number;
  /** What the image is, for errors: "thumbnail", "display rendition". */
  readonly what: string;
  readonly render: (source: Uint8Array) => Promise<RenderedImage>;
  /** The image's key, which carries its format's extension. */
  readonly keyFor: (format: RenderedImage['format']) => string;
}

const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;

/**
 * Makes an image from a photo (its display rendition, its thumbnail) and writes it beside the photo
 * (putDerivedImage: taken back if the photo was deleted meanwhile). Returns where it is and its shape.
 */
export async function deriveImage(
  s3: S3Client,
  records: PhotoRecords,
  photo: PhotoRef,
  derivation: Derivation,
): Promise<ThumbnailResult> {
  const { source, what } = derivation;
  const maxBytes = derivation.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  const image = await derivation.render(await downloadObject(s3, source, maxBytes, `for ${what}s`));
  const key = derivation.keyFor(image.format);
  await putDerivedImage(s3, records, photo, { key, ...image }, what);
  return {
    key,
    width: image.width,
    height: image.height,
    format: image.format,
    sizeBytes: image.data.length,
  };
}
