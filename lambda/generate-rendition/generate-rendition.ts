import type { S3Client } from '@aws-sdk/client-s3';
import { attachIccProfile, decodeImage, encodeError } from '../shared/decode-image';
import { type ImageMetadata, type PhotoRef, renditionKey } from '../shared/model';
import { deriveImage, type PhotoRecords, type RenderedImage } from '../shared/photo-records';
import { REKOGNITION_LIMITS } from '../shared/rekognition-limits';
import type { RenditionResult } from '../shared/workflow';

export interface RenditionSettings {
  /** Key prefix of renditions, ending in '/'. */
  readonly prefix: string;
  /** The rendition fits a square of this side, aspect ratio kept, never enlarged. */
  readonly maxSide: number;
  /** Largest width × height decoded; bigger images fail with ImageTooLarge before any pixel is decoded. */
  readonly maxImagePixels: number;
  /** Largest object downloaded. @default 100 MiB */
  readonly maxObjectBytes?: number;
}

export type RenderedRendition = RenderedImage;

/** JPEG quality of renditions: indistinguishable from the original at display size, about 0.5 MB at 2048 px. */
const JPEG_QUALITY = 85;

/** What each format's original cannot do, for the rendition's reason. JPEG and PNG serve as they are. */
const FORMAT_GAPS: Readonly<Record<string, string>> = {
  heif: 'HEIF/HEIC: most browsers cannot show it and Rekognition cannot read it',
  avif: 'AVIF: Rekognition cannot read it, and older browsers cannot show it',
  webp: 'WebP: Rekognition cannot read it',
  tiff: 'TIFF: browsers cannot show it and Rekognition cannot read it',
  gif: 'GIF: Rekognition cannot read it',
};

/**
 * Why a photo needs a display rendition, from its metadata alone; null when the original serves as it
 * is. A rendition is made when a browser or Rekognition cannot take the original (its format; over
 * Rekognition's 15 MB or 10,000 px a side) or when it is very large to show (its longer side over
 * twice the rendition's).
 */
export function renditionReason(metadata: ImageMetadata, maxSide: number): string | null {
  const { format, width, height, sizeBytes } = metadata;
  if (!format) return null;
  if (!(REKOGNITION_LIMITS.formats as readonly string[]).includes(format)) {
    return FORMAT_GAPS[format] ?? `${format.toUpperCase()}: Rekognition cannot read it`;
  }
  if (sizeBytes > REKOGNITION_LIMITS.maxBytes) {
    return `The file is ${(sizeBytes / 1024 / 1024).toFixed(1)} MB, over the ${REKOGNITION_LIMITS.maxBytes / 1024 / 1024} MB Rekognition reads`;
  }
  const longer = Math.max(width ?? 0, height ?? 0);
  if (longer > REKOGNITION_LIMITS.maxSidePx) {
    return `The image is ${width}×${height} px, over Rekognition's ${REKOGNITION_LIMITS.maxSidePx.toLocaleString('en-US')} px per side`;
  }
  if (longer > 2 * maxSide) {
    return `The image is ${width}×${height} px, large to show in a browser`;
  }
  return null;
}

/**
 * Writes the photo's display rendition when it needs one (see renditionReason), then makes sure the
 * photo was not deleted meanwhile; if it was, takes the rendition back and fails with ObjectNotFound.
 * Same reasoning as generate-thumbnail: delete-photo removes both possible rendition keys after the
 * tombstone, and this consistent read after writing sees any tombstone written before that.
 */
export async function generateRendition(
  s3: S3Client,
  photo: PhotoRef & { readonly metadata: ImageMetadata },
  settings: RenditionSettings,
  records: PhotoRecords,
): Promise<RenditionResult> {
  const reason = renditionReason(photo.metadata, settings.maxSide);
  if (!reason) return { rendition: null };
  const written = await deriveImage(s3, records, photo, {
    source: photo,
    maxObjectBytes: settings.maxObjectBytes,
    what: 'display rendition',
    render: (original) => renderRendition(original, settings),
    keyFor: (format) => renditionKey(photo.owner, photo.photoId, format, settings.prefix),
  });
  return { rendition: { ...written, reason } };
}

/**
 * The upright, metadata-free (no EXIF, no GPS) rendition that fits a `maxSide` square: JPEG, or PNG when
 * the photo has transparency. Both are formats every browser shows and Rekognition reads. A HEIC's
 * pixels come from libheif in the camera's colour space (an iPhone's Display P3), so its profile is
 * attached to the JPEG instead of the pixels being read as sRGB; everything else is converted to sRGB.
 */
export async function renderRendition(
  original: Uint8Array,
  settings: Pick<RenditionSettings, 'maxSide' | 'maxImagePixels'>,
): Promise<RenderedRendition> {
  const decodeSettings = { maxImagePixels: settings.maxImagePixels, purpose: 'for display renditions' };
  const decoded = await decodeImage(original, decodeSettings);
  const format = decoded.hasAlpha ? 'png' : 'jpeg';
  const pipeline = decoded.image
    .resize({ width: settings.maxSide, height: settings.maxSide, fit: 'inside', withoutEnlargement: true })
    // 8-bit sRGB whatever the input (16-bit TIFF, CMYK): what browsers and Rekognition expect.
    .toColourspace('srgb');
  const output =
    format === 'png' ? pipeline.png({ compressionLevel: 8 }) : pipeline.jpeg({ quality: JPEG_QUALITY });
  let data: Buffer;
  let width: number;
  let height: number;
  try {
    ({
      data,
      info: { width, height },
    } = await output.toBuffer({ resolveWithObject: true }));
  } catch (error) {
    throw encodeError(error, decoded.width, decoded.height, decodeSettings);
  }
  if (format === 'jpeg' && decoded.iccProfile) data = attachIccProfile(data, decoded.iccProfile);
  return { data, width, height, format };
}
