import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { errorName, ObjectNotFound } from './errors';

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
