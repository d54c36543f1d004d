/**
 * Decodes a photo once for both models: oriented (EXIF), alpha flattened onto white, 8-bit sRGB;
 * then a letterboxed square of at most 512 px for the detector and a 224 px centre crop for the
 * classifier. Decoding runs on libuv's pool (sharp), off the calling thread.
 */
import sharp, { type OutputInfo } from 'sharp';
import { CLASSIFIER_INPUT_SIZE } from './classifier';
import { DETECTOR_INPUT_SIZE, type DetectorInput } from './detector';

/** Letterbox colour: the mid-grey usual for detectors trained with letterboxed inputs. */
const PAD_VALUE = 114;

export interface PreparedImage {
  readonly detector: DetectorInput;
  /** RGB, 224 x 224. */
  readonly classifier: Buffer;
}

/** Pixel data that sharp cannot decode: the server answers it as an invalid image format. */
export class ImageDecodeError extends Error {
  constructor(cause: unknown) {
    super(`Image pixels do not decode: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ImageDecodeError';
  }
}

export async function prepareImage(image: Buffer): Promise<PreparedImage> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    // Smaller images are not enlarged for the detector: its own bilinear resize scored better on the
    // shared fixtures than sharp's upscaling kernels (cat.jpg: 0.45 against 0.29-0.31).
    decoded = await sharp(image)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize({
        width: DETECTOR_INPUT_SIZE,
        height: DETECTOR_INPUT_SIZE,
        fit: 'inside',
        withoutEnlargement: true,
      })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageDecodeError(error);
  }
  const { data, info } = decoded;
  if (info.channels !== 3)
    throw new ImageDecodeError(`expected 3 channels after conversion, got ${info.channels}`);
  const classifier = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    // A panorama squeezed into a square is unrecognisable (an 11,158 × 2,156 canyon scored a few % for
    // an ibex); its centre, at most twice as wide as high, is the scene ImageNet models know.
    .extract(centreAtMost(info.width, info.height, MAX_CLASSIFIER_ASPECT))
    // ImageNet models are trained and evaluated on centre crops of undistorted images.
    .resize({ width: CLASSIFIER_INPUT_SIZE, height: CLASSIFIER_INPUT_SIZE, fit: 'fill' })
    .raw()
    .toBuffer();
  return { detector: letterbox(data, info.width, info.height), classifier };
}

/** Longest side over shortest the classifier sees; wider (or taller) images are cropped to their centre. */
export const MAX_CLASSIFIER_ASPECT = 2;

/** The centre region of a width × height image whose longer side is at most `aspect` times the shorter. */
export function centreAtMost(
  width: number,
  height: number,
  aspect: number,
): { left: number; top: number; width: number; height: number } {
  const cropWidth = Math.min(width, Math.round(height * aspect));
  const cropHeight = Math.min(height, Math.round(width * aspect));
  return {
    left: Math.floor((width - cropWidth) / 2),
    top: Math.floor((height - cropHeight) / 2),
    width: cropWidth,
    height: cropHeight,
  };
}

function letterbox(data: Buffer, width: number, height: number): DetectorInput {
  const side = Math.max(width, height);
  const pixels = Buffer.alloc(side * side * 3, PAD_VALUE);
  const rowBytes = width * 3;
  for (let y = 0; y < height; y++) data.copy(pixels, y * side * 3, y * rowBytes, (y + 1) * rowBytes);
  return { pixels, side, width, height };
}
