import type { S3Client } from '@aws-sdk/client-s3';
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { errorName, errorReason } from '../shared/errors';
import type { GpsPosition, ImageMetadata } from '../shared/model';
import { getPhotoObject } from '../shared/photo-object';
import type { Log } from '../shared/powertools';

export interface ExtractSettings {
  /** First read, from byte 0. sharp needs only the first 64 KiB of nearly every JPEG. @default 65536 */
  readonly headBytes?: number;
  /** Extra bytes read past a JPEG header that ends beyond what was read. @default 16384 */
  readonly widenMarginBytes?: number;
  /** Largest object read whole when a header cannot be parsed from a part of it. @default 32 MiB */
  readonly maxWholeObjectBytes?: number;
}

/** The bytes read so far from the start of an object, and the object's full size. */
interface Head {
  bytes: Buffer;
  readonly totalSize: number;
}

interface ReadCtx {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
}

const DEFAULTS = { headBytes: 65_536, widenMarginBytes: 16_384, maxWholeObjectBytes: 32 * 1024 * 1024 };

/** Second step of the widening for formats other than JPEG, before the whole object. */
const SECOND_READ_BYTES = 1024 * 1024;

/**
 * Format, displayed dimensions, orientation and EXIF of an S3 object, reading as little of it as
 * the header needs. Never throws for unsupported or non-image content (format null tells the state
 * machine to reject it); throws ObjectNotFound when the object is gone.
 */
export async function extractMetadata(
  s3: S3Client,
  object: { bucket: string; key: string },
  log: Log,
  settings: ExtractSettings = {},
): Promise<ImageMetadata> {
  const { headBytes, widenMarginBytes, maxWholeObjectBytes } = { ...DEFAULTS, ...settings };
  const ctx = { s3, ...object };
  const head = await readFirstBytes(ctx, headBytes);
  if (head.totalSize === 0) {
    return emptyMetadata(0);
  }
  // Decided by content, before sharp sees a byte: libvips also loads things that are not photos,
  // SVG above all (librsvg would parse the whole document and could render it; its script elements
  // would run if a browser were ever served it as an image). Bytes without a raster image
  // signature are not an image, whatever the key's extension says.
  if (!looksLikeImage(head.bytes)) {
    log.info('Not an image: no image signature', { ...object, sizeBytes: head.totalSize });
    return emptyMetadata(head.totalSize);
  }

  if (isJpeg(head.bytes)) {
    await widenToJpegFrameHeader(ctx, head, widenMarginBytes, maxWholeObjectBytes);
  }
  let image = await readImageHeader(head.bytes);
  // Some formats keep what sharp needs further in (HEIF's boxes, a TIFF directory at the end, a
  // WebP, which libvips parses whole): read more, then the whole object.
  for (const size of [SECOND_READ_BYTES, maxWholeObjectBytes]) {
    if (image || head.bytes.length >= head.totalSize) break;
    await extendTo(ctx, head, Math.min(size, head.totalSize));
    image = await readImageHeader(head.bytes);
  }
  if (!image) {
    log.info('Not an image sharp can read', {
      ...object,
      bytesRead: head.bytes.length,
      sizeBytes: head.totalSize,
    });
    return emptyMetadata(head.totalSize);
  }

  const orientation =
    image.orientation && image.orientation >= 1 && image.orientation <= 8 ? image.orientation : null;
  const swapped = orientation !== null && orientation >= 5;
  return {
    format: image.format ?? null,
    width: (swapped ? image.height : image.width) ?? null,
    height: (swapped ? image.width : image.height) ?? null,
    orientation,
    sizeBytes: head.totalSize,
    ...(await readExif(head.bytes, object, log)),
  };
}

type ExifFields = Pick<ImageMetadata, 'capturedAt' | 'make' | 'model' | 'gps'>;

const NO_EXIF: ExifFields = { capturedAt: null, make: null, model: null, gps: null };

function emptyMetadata(sizeBytes: number): ImageMetadata {
  return { format: null, width: null, height: null, orientation: null, sizeBytes, ...NO_EXIF };
}

async function readImageHeader(bytes: Buffer): Promise<Metadata | undefined> {
  try {
    return await sharp(bytes).metadata();
  } catch {
    return undefined;
  }
}

/** EXIF is a bonus: a malformed block is logged and left out, never a reason to fail the photo. */
async function readExif(
  bytes: Buffer,
  object: { bucket: string; key: string },
  log: Log,
): Promise<ExifFields> {
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(bytes, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      makerNote: false,
      userComment: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      translateValues: false,
    });
  } catch (error) {
    log.warn('Unreadable EXIF left out', { ...object, reason: errorReason(error) });
    return NO_EXIF;
  }
  if (!tags) return NO_EXIF;
  if (Array.isArray(tags.errors) && tags.errors.length > 0) {
    log.warn('Part of the EXIF is malformed and left out', {
      ...object,
      reason: tags.errors.map(errorReason).join('; '),
    });
  }
  return {
    capturedAt: captureTime(tags.DateTimeOriginal, tags.OffsetTimeOriginal),
    make: text(tags.Make),
    model: text(tags.Model),
    gps: gpsPosition(tags),
  };
}

/** EXIF "2008:05:30 15:56:01" (camera local time) → "2008-05-30T15:56:01", plus the offset only when recorded. */
export function captureTime(dateTime: unknown, offset: unknown): string | null {
  const match =
    typeof dateTime === 'string' &&
    /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(dateTime.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const valid =
    year > 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60;
  if (!valid) return null;
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  const zone = typeof offset === 'string' ? offset.trim() : '';
  return /^[+-]\d{2}:\d{2}$/.test(zone) ? iso + zone : iso;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

/** GPS in decimal degrees, south and west negative; altitude negative below sea level (GPSAltitudeRef 1). */
export function gpsPosition(tags: Record<string, unknown>): GpsPosition | null {
  const latitude = degrees(tags.GPSLatitude, tags.GPSLatitudeRef, 'S');
  const longitude = degrees(tags.GPSLongitude, tags.GPSLongitudeRef, 'W');
  if (latitude === null || longitude === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
    return null;
  }
  const altitude =
    typeof tags.GPSAltitude === 'number' && Number.isFinite(tags.GPSAltitude) ? tags.GPSAltitude : null;
  const below = firstNumber(tags.GPSAltitudeRef) === 1;
  return { latitude, longitude, altitude: altitude === null ? null : below ? -Math.abs(altitude) : altitude };
}

function degrees(value: unknown, ref: unknown, negativeRef: 'S' | 'W'): number | null {
  const parts = typeof value === 'number' ? [value] : Array.isArray(value) ? value : [];
  if (
    parts.length === 0 ||
    parts.length > 3 ||
    !parts.every((p) => typeof p === 'number' && Number.isFinite(p))
  ) {
    return null;
  }
  const [d = 0, m = 0, s = 0] = parts as number[];
  const magnitude = Math.abs(d) + m / 60 + s / 3600;
  const negative = (typeof ref === 'string' && ref.trim().toUpperCase() === negativeRef) || d < 0;
  return negative ? -magnitude : magnitude;
}

function firstNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Uint8Array || Array.isArray(value))
    return typeof value[0] === 'number' ? value[0] : undefined;
  return undefined;
}

function isJpeg(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Signatures of the raster formats the pipeline can be configured to accept (KNOWN_FORMATS in
 * lib/config.ts). Only bytes with one of them are handed to sharp; SVG, PDF and text never are.
 */
function looksLikeImage(bytes: Buffer): boolean {
  const ascii = (start: number, end: number) => bytes.subarray(start, end).toString('latin1');
  return (
    isJpeg(bytes) ||
    ascii(0, 8) === '\x89PNG\r\n\x1a\n' ||
    ascii(0, 4) === 'II*\0' ||
    ascii(0, 4) === 'MM\0*' ||
    ascii(0, 3) === 'GIF' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ascii(4, 8) === 'ftyp' // HEIF, AVIF
  );
}

/**
 * How many bytes from the start hold the JPEG header up to and including the frame header (SOFn),
 * which carries the dimensions; EXIF (APP1) and everything else sharp reads come before it. When
 * the bytes stop mid-header, the answer is where the next segment's length can be read. Undefined
 * when the structure is not a JPEG header (sharp then decides).
 */
export function jpegHeaderLength(bytes: Buffer): number | undefined {
  let pos = 2;
  for (;;) {
    if (pos + 4 > bytes.length) return pos + 4;
    if (bytes[pos] !== 0xff) return undefined;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    const end = pos + 2 + bytes.readUInt16BE(pos + 2);
    const isFrameHeader =
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrameHeader || end > bytes.length) return end;
    pos = end;
  }
}

/** Reads more until the JPEG header up to the frame header is complete; never past the object's end or the cap. */
async function widenToJpegFrameHeader(
  ctx: ReadCtx,
  head: Head,
  marginBytes: number,
  maxBytes: number,
): Promise<void> {
  const limit = Math.min(head.totalSize, maxBytes);
  for (;;) {
    const needed = jpegHeaderLength(head.bytes);
    if (needed === undefined || needed <= head.bytes.length || head.bytes.length >= limit) return;
    await extendTo(ctx, head, Math.min(needed + marginBytes, limit));
  }
}

async function readFirstBytes(ctx: ReadCtx, count: number): Promise<Head> {
  try {
    const { bytes, totalSize } = await getRange(ctx, 0, count - 1);
    return { bytes, totalSize };
  } catch (error) {
    // S3 answers a range request on an empty object with InvalidRange (416).
    if (errorName(error) === 'InvalidRange') return { bytes: Buffer.alloc(0), totalSize: 0 };
    throw error;
  }
}

async function extendTo(ctx: ReadCtx, head: Head, size: number): Promise<void> {
  if (size <= head.bytes.length) return;
  const part = await getRange(ctx, head.bytes.length, size - 1);
  // A server that ignores Range sends the whole object from byte 0.
  head.bytes = part.start === 0 ? part.bytes : Buffer.concat([head.bytes, part.bytes]);
}

async function getRange(
  ctx: ReadCtx,
  first: number,
  last: number,
): Promise<{ bytes: Buffer; start: number; totalSize: number }> {
  const response = await getPhotoObject(ctx.s3, ctx, `bytes=${first}-${last}`);
  const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
  // "bytes 0-65535/811904"; without it the response is the whole object.
  const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.ContentRange?.trim() ?? '');
  return range
    ? { bytes, start: Number(range[1]), totalSize: Number(range[2]) }
    : { bytes, start: 0, totalSize: bytes.length };
}
