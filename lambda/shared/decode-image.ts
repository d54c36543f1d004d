/**
 * Decodes an uploaded photo to upright pixels, whatever the format the pipeline accepts: sharp's
 * libvips for JPEG, PNG, WebP, GIF, TIFF and AVIF (AV1 in a HEIF container), and libheif compiled to
 * WebAssembly (libheif-js, with libde265) for HEVC-coded HEIC/HEIF, which the prebuilt libvips cannot
 * decode (it is built without an HEVC decoder, for patent reasons) although it reads their headers.
 *
 * Orientation is applied exactly once, as the decoder shows it: libheif applies a HEIF container's
 * `irot`/`imir` transforms (and sharp's metadata reports the transformed size), while the EXIF
 * Orientation inside a HEIC only records what the camera did and is never applied again; EXIF (or TIFF)
 * orientation is applied to the other formats.
 *
 * Hostile files end quickly with a readable error: the declared size is checked against the pixel limit
 * before any pixel is decoded (a decompression bomb in a HEIF `ispe` box stops there), and data that
 * does not decode is CorruptImage, never a half-grey picture.
 */
import factory, { type LibHeif } from 'libheif-js/libheif-wasm/libheif-bundle.mjs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { CorruptImage, errorReason, ImageTooLarge } from './errors';

export interface DecodeSettings {
  /** Largest width × height decoded; bigger images fail with ImageTooLarge before decoding. */
  readonly maxImagePixels: number;
  /** The purpose, for error messages ("for renditions"). */
  readonly purpose: string;
}

export interface DecodedImage {
  /** A sharp pipeline over the upright pixels (8-bit sRGB once encoded); add resize and an encoder. */
  readonly image: Sharp;
  /** Upright size. */
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  readonly decoder: 'sharp' | 'libheif';
  /**
   * The original's ICC profile, when the pixels are handed to sharp raw and so untagged (libheif):
   * an encoder attaches it, so colours (an iPhone's Display P3) are not read as sRGB.
   */
  readonly iccProfile: Buffer | null;
}

/** Whether sharp's prebuilt libvips decodes this image itself (it reads every HEIF header, but decodes only AV1). */
export function sharpDecodes(header: Pick<Metadata, 'format' | 'compression'>): boolean {
  return header.format !== 'heif' || header.compression === 'av1';
}

/**
 * The image's upright pixels as a sharp pipeline. Errors: CorruptImage (unreadable header or pixel
 * data: for sharp-decoded formats the pixels are decoded when the pipeline runs, so wrap its output
 * with `encodeError`), ImageTooLarge (over the pixel limit).
 */
export async function decodeImage(bytes: Uint8Array, settings: DecodeSettings): Promise<DecodedImage> {
  let header: Metadata;
  try {
    // No pixel limit for reading the header (no pixel is decoded): a bomb's size is then known, and
    // refused below with a sentence that says so, instead of sharp's "exceeds pixel limit".
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new CorruptImage(`The file cannot be read as an image (${errorReason(error)}).`, { cause: error });
  }
  // The header's size is the displayed one for HEIF (libheif applies irot); a quarter turn does not change the product.
  if (header.width * header.height > settings.maxImagePixels) {
    throw tooLarge(header.width, header.height, settings);
  }
  if (header.format === 'heif') {
    // libheif decodes what it can of a cut-off file and fills the missing tiles in grey; a photo that
    // lost its end must fail, not be shown half grey.
    const truncation = isoBoxTruncation(bytes);
    if (truncation) throw new CorruptImage(`The file is truncated: ${truncation}.`);
  }
  if (!sharpDecodes(header)) return decodeWithLibheif(bytes, header, settings);
  const image = sharp(bytes, { limitInputPixels: settings.maxImagePixels, failOn: 'error' }).autoOrient();
  const size = header.autoOrient ?? { width: header.width, height: header.height };
  return { image, ...size, hasAlpha: header.hasAlpha, decoder: 'sharp', iccProfile: null };
}

/** A decode error from running a pipeline that decodeImage returned, as a readable error. */
export function encodeError(error: unknown, width: number, height: number, settings: DecodeSettings): Error {
  if (error instanceof CorruptImage || error instanceof ImageTooLarge) return error;
  if (/pixel limit/i.test(errorReason(error))) return tooLarge(width, height, settings);
  return new CorruptImage(`The image data is corrupt and cannot be decoded (${errorReason(error)}).`, {
    cause: error,
  });
}

/**
 * Why an ISO base media file (HEIF, HEIC, AVIF) is cut short, or null when its top-level boxes all end
 * within the file: each box starts with its size (32-bit, or 1 and a 64-bit size after the type, or 0
 * for "to the end of the file").
 */
export function isoBoxTruncation(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length)
      return `${bytes.length - at} bytes after the last box, too few for a box header`;
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    let size = view.getUint32(at);
    let headerSize = 8;
    if (size === 1) {
      if (at + 16 > bytes.length) return `the '${type}' box's 64-bit size is cut off`;
      size = Number(view.getBigUint64(at + 8));
      headerSize = 16;
    } else if (size === 0) {
      return null;
    }
    if (size < headerSize) return `the '${type}' box at byte ${at} has an impossible size of ${size} bytes`;
    if (at + size > bytes.length) {
      return `its '${type}' box needs ${size.toLocaleString('en-US')} bytes, but the file ends ${(bytes.length - at).toLocaleString('en-US')} bytes into it`;
    }
    at += size;
  }
  return null;
}

export function tooLarge(width: number, height: number, settings: DecodeSettings): ImageTooLarge {
  return new ImageTooLarge(
    `The image is ${width}×${height} px (${megapixels(width * height)} MP), over the ${megapixels(settings.maxImagePixels)} MP limit ${settings.purpose}.`,
  );
}

function megapixels(pixels: number): string {
  return (pixels / 1_000_000).toFixed(1).replace(/\.0$/, '');
}

/**
 * libheif's WebAssembly module, instantiated once per execution environment (about 0.1 s; the wasm is
 * inlined in the bundle, so the Lambda asset needs no extra file).
 */
let libheif: Promise<LibHeif> | undefined;

async function decodeWithLibheif(
  bytes: Uint8Array,
  header: Metadata,
  settings: DecodeSettings,
): Promise<DecodedImage> {
  libheif ??= factory();
  const heif = await libheif;
  const context = heif.heif_context_alloc();
  try {
    const read = heif.heif_context_read_from_memory(context, bytes);
    if (read.code.value !== heif.heif_error_code.heif_error_Ok.value) {
      throw new CorruptImage(`The HEIF file cannot be read (libheif: ${String(read.message)}).`);
    }
    const handle = heif.heif_js_context_get_primary_image_handle(context);
    if (isHeifError(handle)) {
      throw new CorruptImage(
        `The HEIF file has no readable primary image (libheif: ${String(handle.message)}).`,
      );
    }
    try {
      // libheif's own view of the size (transforms applied): checked too, should it disagree with sharp's.
      const width = heif.heif_image_handle_get_width(handle);
      const height = heif.heif_image_handle_get_height(handle);
      if (width * height > settings.maxImagePixels) throw tooLarge(width, height, settings);
      const hasAlpha = heif.heif_image_handle_has_alpha_channel(handle) !== 0;
      const channels = hasAlpha ? 4 : 3;
      const decoded = await heif.heif_js_decode_image2(
        handle,
        heif.heif_colorspace.heif_colorspace_RGB,
        hasAlpha
          ? heif.heif_chroma.heif_chroma_interleaved_RGBA
          : heif.heif_chroma.heif_chroma_interleaved_RGB,
      );
      if (isHeifError(decoded)) {
        throw new CorruptImage(
          `The image data is corrupt and cannot be decoded (libheif: ${String(decoded.message)}).`,
        );
      }
      try {
        const plane = decoded.channels.find(
          (channel) => channel.id.value === heif.heif_channel.heif_channel_interleaved.value,
        );
        if (!plane || plane.width !== width || plane.height !== height) {
          throw new CorruptImage(
            'The image data is corrupt and cannot be decoded (libheif returned no pixels).',
          );
        }
        const pixels = packRows(plane.data, width, height, plane.stride, channels);
        return {
          image: sharp(pixels, { raw: { width, height, channels } }),
          width,
          height,
          hasAlpha,
          decoder: 'libheif',
          iccProfile: header.icc ?? null,
        };
      } finally {
        heif.heif_image_release(decoded.image);
      }
    } finally {
      heif.heif_image_handle_release(handle);
    }
  } finally {
    heif.heif_context_free(context);
  }
}

function isHeifError(value: unknown): value is { code: unknown; message: unknown } {
  return !value || (typeof value === 'object' && 'code' in value && value.code !== undefined);
}

/** The rows without their stride padding, copied out of the WebAssembly memory (which the next decode reuses). */
function packRows(data: Uint8Array, width: number, height: number, stride: number, channels: number): Buffer {
  const row = width * channels;
  if (stride === row) return Buffer.from(data.subarray(0, row * height));
  const pixels = Buffer.allocUnsafe(row * height);
  for (let y = 0; y < height; y++) pixels.set(data.subarray(y * stride, y * stride + row), y * row);
  return pixels;
}

/** Largest payload of one APP2 ICC_PROFILE segment: 65,535 minus the length field, signature and sequence bytes. */
const ICC_SEGMENT_BYTES = 65_535 - 2 - 12 - 2;

/**
 * A JPEG with an ICC profile attached as APP2 ICC_PROFILE segments (ICC.1 Annex B), right after SOI,
 * without transforming any pixel: the pixels are in that profile's space already (libheif's output), so
 * browsers and sharp read the colours as the camera meant them. Only a JPEG with no profile of its own.
 */
export function attachIccProfile(jpeg: Buffer, icc: Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('attachIccProfile needs a JPEG');
  const count = Math.ceil(icc.length / ICC_SEGMENT_BYTES);
  if (count === 0 || count > 255) return jpeg;
  const segments: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = icc.subarray(i * ICC_SEGMENT_BYTES, (i + 1) * ICC_SEGMENT_BYTES);
    const head = Buffer.alloc(4 + 12 + 2);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(2 + 12 + 2 + part.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = i + 1;
    head[17] = count;
    segments.push(head, part);
  }
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}
