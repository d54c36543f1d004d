import type { S3Client } from '@aws-sdk/client-s3';
import sharp, { type Metadata } from 'sharp';
import { CorruptImage, errorReason, ImageTooLarge } from '../shared/errors';
import type { PhotoRef, Rendition, ThumbnailResult } from '../shared/model';
import { thumbnailKey } from '../shared/model';
import { deriveImage, type PhotoRecords, type RenderedImage } from '../shared/photo-records';

export type { PhotoRecords } from '../shared/photo-records';

export interface ThumbnailSettings {
  /** Key prefix of thumbnails, ending in '/'. */
  readonly prefix: string;
  readonly maxWidth: number;
  readonly maxHeight: number;
  /** Largest width × height decoded; bigger images fail with ImageTooLarge before any pixel is decoded. */
  readonly maxImagePixels: number;
  /** Largest object downloaded. @default 100 MiB (a 50 MP photo as a PNG is far less than that) */
  readonly maxObjectBytes?: number;
}

export type Thumbnail = RenderedImage;

/**
 * Writes the thumbnail, then makes sure the photo was not deleted meanwhile; if it was, takes the
 * thumbnail back and fails with ObjectNotFound (RecordFailure then finds no record to write to).
 *
 * Why after, and why the record: delete-photo deletes the original, then replaces the record with a
 * tombstone, then deletes both possible thumbnail keys. A thumbnail written before that last step is
 * removed by it; one written after it was written after the tombstone, so this consistent read sees
 * the tombstone and removes it. Either way nothing is left, in every interleaving (a check before
 * writing could not promise that: the delete can land between the check and the write). DynamoDB
 * answers the same on AWS and locally; S3 would answer 403, not 404, for a missing original here
 * (no s3:ListBucket).
 */
export async function generateThumbnail(
  s3: S3Client,
  photo: PhotoRef & { readonly rendition?: Rendition | null },
  settings: ThumbnailSettings,
  records: PhotoRecords,
): Promise<ThumbnailResult> {
  // A photo with a display rendition (HEIC, TIFF, AVIF, WebP, very large) is thumbnailed from it: the
  // rendition is upright, at most a few MB, and already decoded once from a format sharp may not
  // decode at all (HEVC-coded HEIC); the original is read only when it serves as it is.
  return deriveImage(s3, records, photo, {
    source: photo.rendition ? { bucket: photo.bucket, key: photo.rendition.key } : photo,
    maxObjectBytes: settings.maxObjectBytes,
    what: 'thumbnail',
    render: (original) => renderThumbnail(original, settings),
    keyFor: (format) => thumbnailKey(photo.owner, photo.photoId, format, settings.prefix),
  });
}

/**
 * An upright (EXIF orientation applied), metadata-free thumbnail that fits the box: JPEG, or PNG when
 * the original has transparency. The header is checked first so a decompression bomb stops before
 * any decoding, and decoding stops at the first error instead of producing a half-grey picture.
 */
export async function renderThumbnail(original: Uint8Array, settings: ThumbnailSettings): Promise<Thumbnail> {
  let header: Metadata;
  try {
    header = await sharp(original).metadata();
  } catch (error) {
    throw new CorruptImage(`The file cannot be read as an image (${errorReason(error)}).`, { cause: error });
  }
  if (header.width * header.height > settings.maxImagePixels) {
    throw tooLarge(header.width, header.height, settings.maxImagePixels);
  }
  const format = header.hasAlpha ? 'png' : 'jpeg';
  try {
    const pipeline = sharp(original, { limitInputPixels: settings.maxImagePixels, failOn: 'error' })
      .autoOrient()
      .resize({
        width: settings.maxWidth,
        height: settings.maxHeight,
        fit: 'inside',
        withoutEnlargement: true,
      })
      // 8-bit sRGB whatever the input (16-bit PNG, CMYK JPEG): what browsers expect, and smaller.
      .toColourspace('srgb');
    const output =
      format === 'png'
        ? pipeline.png({ compressionLevel: 8 })
        : pipeline.jpeg({ quality: 80, mozjpeg: false });
    const { data, info } = await output.toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, format };
  } catch (error) {
    if (/pixel limit/i.test(errorReason(error))) {
      throw tooLarge(header.width, header.height, settings.maxImagePixels);
    }
    throw new CorruptImage(`The image data is corrupt and cannot be decoded (${errorReason(error)}).`, {
      cause: error,
    });
  }
}

function tooLarge(width: number, height: number, maxPixels: number): ImageTooLarge {
  return new ImageTooLarge(
    `The image is ${width}×${height} px (${megapixels(width * height)} MP), over the ${megapixels(maxPixels)} MP limit for thumbnails.`,
  );
}

function megapixels(pixels: number): string {
  return (pixels / 1_000_000).toFixed(1).replace(/\.0$/, '');
}
