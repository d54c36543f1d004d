import sharp from 'sharp';
import { invalidImageFormat, invalidParameters, RekognitionError, validationError } from './errors';

/**
 * Rekognition Image's fixed quotas (developer guide, "Guidelines and quotas"): JPEG or PNG only,
 * 5 MB as inline bytes, 15 MB from S3, 80 px minimum and 10,000 px maximum per side.
 */
export const REKOGNITION_IMAGE_LIMITS = {
  maxInlineBytes: 5 * 1024 * 1024,
  maxS3ObjectBytes: 15 * 1024 * 1024,
  minSidePx: 80,
  maxSidePx: 10_000,
} as const;

export type ImageFormat = 'jpeg' | 'png';

export interface ImageInfo {
  readonly format: ImageFormat;
  /** Stored dimensions (before any EXIF orientation is applied). */
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format by its magic bytes, as the service decides it: the file name or content type play no part. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  return undefined;
}

/** Size quota of one source; inline bytes over 5 MB fail the API's own length constraint. */
export function checkImageSize(byteLength: number, source: 'bytes' | 's3'): void {
  if (source === 'bytes' && byteLength > REKOGNITION_IMAGE_LIMITS.maxInlineBytes) {
    throw validationError(
      `'java.nio.HeapByteBuffer[pos=0 lim=${byteLength} cap=${byteLength}]'`,
      'image.bytes',
      `Member must have length less than or equal to ${REKOGNITION_IMAGE_LIMITS.maxInlineBytes}`,
    );
  }
  if (source === 's3' && byteLength > REKOGNITION_IMAGE_LIMITS.maxS3ObjectBytes) {
    throw new RekognitionError(
      'ImageTooLargeException',
      `Image size ${byteLength} bytes exceeds the maximum of ${REKOGNITION_IMAGE_LIMITS.maxS3ObjectBytes} bytes for an S3 object`,
    );
  }
}

/**
 * Checks what Rekognition checks before analysing: the format and the dimensions. Reads the header
 * only; pixel data that does not decode is found later, by the detector.
 */
export async function inspectImage(bytes: Buffer): Promise<ImageInfo> {
  const format = sniffImageFormat(bytes);
  if (!format) throw invalidImageFormat();
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes).metadata());
  } catch {
    throw invalidImageFormat();
  }
  if (!width || !height) throw invalidImageFormat();
  const { minSidePx, maxSidePx } = REKOGNITION_IMAGE_LIMITS;
  if (width > maxSidePx || height > maxSidePx) {
    throw new RekognitionError(
      'ImageTooLargeException',
      `Input image dimensions ${width} x ${height} exceed maximum dimension size of ${maxSidePx} pixels`,
    );
  }
  // AWS answers an image under the minimum with its generic parameter error, not a format error.
  if (width < minSidePx || height < minSidePx) throw invalidParameters();
  return { format, width, height };
}
