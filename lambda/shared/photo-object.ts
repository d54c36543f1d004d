import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { CorruptImage, errorName, ImageTooLarge, ObjectNotFound } from './errors';

/**
 * GetObject on a photo the pipeline is processing (optionally a byte range). A missing object means
 * the photo was deleted before it could be processed: that becomes ObjectNotFound, an error with a
 * sentence a person can read, which the state machine does not retry.
 */
export async function getPhotoObject(
  s3: S3Client,
  photo: { readonly bucket: string; readonly key: string },
  range?: string,
): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(new GetObjectCommand({ Bucket: photo.bucket, Key: photo.key, Range: range }));
  } catch (error) {
    if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound') {
      throw new ObjectNotFound(
        `The photo s3://${photo.bucket}/${photo.key} no longer exists; it was probably deleted before it could be processed.`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The whole object, or ImageTooLarge (without reading the body) when S3 says it is over `maxBytes`;
 * `purpose` ends the sentence ("for thumbnails").
 */
export async function downloadObject(
  s3: S3Client,
  photo: { readonly bucket: string; readonly key: string },
  maxBytes: number,
  purpose: string,
): Promise<Uint8Array> {
  const response = await getPhotoObject(s3, photo);
  if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
    // Not read at all: the body stream is dropped unconsumed.
    const size = (response.ContentLength / 1024 / 1024).toFixed(1);
    throw new ImageTooLarge(
      `The file is ${size} MB, over the ${maxBytes / 1024 / 1024} MB limit ${purpose}.`,
    );
  }
  if (!response.Body) {
    throw new CorruptImage(`The photo s3://${photo.bucket}/${photo.key} has no content.`);
  }
  return response.Body.transformToByteArray();
}
