import type { S3Client } from '@aws-sdk/client-s3';
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { boundedText } from '../shared/bounds';
import { errorName, errorReason, ImageTooLarge } from '../shared/errors';
import type { GpsPosition, ImageMetadata } from '../shared/model';
import { getPhotoObject } from '../shared/photo-object';
import type { Log } from '../shared/powertools';

export interface ExtractSettings {
  /** First read, from byte 0. sharp needs only the first 64 KiB of nearly every JPEG. @default 65536 */
  readonly headBytes?: number;
  /** Extra bytes read past a JPEG header that ends beyond what was read. @default 16384 */
  readonly widenMarginBytes?: number;
  /**
   * Most bytes read to find the end of a JPEG's header. A file whose header goes on past it fails
   * with ImageTooLarge: no photo has megabytes of segments before its pixels. @default 8 MiB
   */
  readonly maxHeaderBytes?: number;
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

const DEFAULTS = {
  headBytes: 65_536,
  widenMarginBytes: 16_384,
  maxHeaderBytes: 8 * 1024 * 1024,
  maxWholeObjectBytes: 32 * 1024 * 1024,
};

/**
 * Each further read of a JPEG header makes what is held at least this many times larger, so a
 * header of any size takes a handful of ranged GETs (64 KiB, 256 KiB, 1 MiB, 4 MiB, 8 MiB), not one
 * per segment.
 */
const HEADER_READ_GROWTH = 4;

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
  const { headBytes, widenMarginBytes, maxHeaderBytes, maxWholeObjectBytes } = { ...DEFAULTS, ...settings };
  const ctx = { s3, ...object };
  const head = await readFirstBytes(ctx, headBytes);
  if (head.totalSize === 0) {
    log.info('Empty object: nothing to read', object);
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
    await widenToJpegHeader(ctx, head, widenMarginBytes, maxHeaderBytes);
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
    format: formatName(image),
    width: (swapped ? image.height : image.width) ?? null,
    height: (swapped ? image.width : image.height) ?? null,
    orientation,
    sizeBytes: head.totalSize,
    ...(await readExif(head.bytes, object, log)),
  };
}

/**
 * The pipeline's name for an image's format: sharp's, except that AV1-coded HEIF is 'avif' (sharp and
 * libheif call the container of both HEIC and AVIF 'heif'), so `supportedFormats` can accept one
 * without the other, and HEIC keeps 'heif'.
 */
export function formatName(header: Pick<Metadata, 'format' | 'compression'>): string | null {
  if (header.format === 'heif' && header.compression === 'av1') return 'avif';
  return header.format ?? null;
}

type ExifFields = Pick<ImageMetadata, 'capturedAt' | 'make' | 'model' | 'gps'>;

const NO_EXIF: ExifFields = { capturedAt: null, make: null, model: null, gps: null };

function emptyMetadata(sizeBytes: number): ImageMetadata {
  return { format: null, width: null, height: null, orientation: null, sizeBytes, ...NO_EXIF };
}

async function readImageHeader(bytes: Buffer): Promise<Metadata | undefined> {
  try {
    // No pixel limit for a header (nothing is decoded): a bomb gets its real size recorded, and the
    // steps that decode refuse it as too large, instead of it passing for "not an image".
    return await sharp(bytes, { limitInputPixels: false }).metadata();
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
    // Bounded: a file may hold a megabyte of Make, and this metadata travels as a state's output.
    make: boundedText(tags.Make),
    model: boundedText(tags.Model),
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

/** How far a scan of a JPEG header got; see scanJpegHeader. */
export type JpegHeaderScan =
  /** The header is held whole: it ends at `end` (the first scan header included). */
  | { readonly state: 'complete'; readonly end: number }
  /** The bytes stop inside the header: at least `needed` bytes are needed; resume at `resumeAt`. */
  | { readonly state: 'incomplete'; readonly needed: number; readonly resumeAt: number }
  /** Not the structure of a JPEG header (sharp then decides). */
  | { readonly state: 'invalid' };

/**
 * Walks a JPEG's segments from `from` (a segment boundary a previous scan returned; 2, right after
 * SOI, to start) up to the first scan header (SOS): that is what libjpeg reads for the header, and
 * EXIF (APP1) and the frame header (SOFn) with the dimensions come before it. Linear in the bytes
 * walked, so a resumed scan never reads a segment twice.
 */
export function scanJpegHeader(bytes: Buffer, from = 2): JpegHeaderScan {
  let pos = from;
  let frameHeaderSeen = false;
  for (;;) {
    if (pos + 4 > bytes.length) return { state: 'incomplete', needed: pos + 4, resumeAt: pos };
    if (bytes[pos] !== 0xff) return { state: 'invalid' };
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9) return { state: 'invalid' }; // end of image before any scan
    const length = bytes.readUInt16BE(pos + 2);
    if (length < 2) return { state: 'invalid' };
    const end = pos + 2 + length;
    if (end > bytes.length) return { state: 'incomplete', needed: end, resumeAt: pos };
    if (marker === 0xda) return frameHeaderSeen ? { state: 'complete', end } : { state: 'invalid' };
    frameHeaderSeen ||=
      marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    pos = end;
  }
}

/**
 * How many bytes from the start hold the JPEG header, up to and including the first scan header;
 * when the bytes stop mid-header, how many are needed at least. Undefined when the structure is not
 * a JPEG header.
 */
export function jpegHeaderLength(bytes: Buffer): number | undefined {
  const scan = scanJpegHeader(bytes);
  return scan.state === 'complete' ? scan.end : scan.state === 'incomplete' ? scan.needed : undefined;
}

/**
 * Reads more until the JPEG header is held whole, never past the object's end. Each read at least
 * quadruples what is held and the scan resumes where it stopped, so it takes a handful of ranged
 * GETs whatever the segments; a header that goes on past `maxBytes` is ImageTooLarge.
 */
async function widenToJpegHeader(
  ctx: ReadCtx,
  head: Head,
  marginBytes: number,
  maxBytes: number,
): Promise<void> {
  const limit = Math.min(head.totalSize, maxBytes);
  let resumeAt = 2;
  for (;;) {
    const scan = scanJpegHeader(head.bytes, resumeAt);
    // Complete, not a JPEG header, or a file that ends inside its header: sharp decides.
    if (scan.state !== 'incomplete' || head.bytes.length >= head.totalSize) return;
    if (head.bytes.length >= limit) {
      throw new ImageTooLarge(
        `The image's header is larger than ${maxBytes / 1024 / 1024} MiB: this pipeline reads at most that much to find an image's dimensions, and no photo's header comes near it.`,
      );
    }
    resumeAt = scan.resumeAt;
    await extendTo(
      ctx,
      head,
      Math.min(Math.max(scan.needed + marginBytes, head.bytes.length * HEADER_READ_GROWTH), limit),
    );
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
  // "bytes 0-65535/811904"; without it the response is the whole object.
  const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.ContentRange?.trim() ?? '');
  if (range && Number(range[2]) === 0) {
    // An empty object. S3 answers InvalidRange (above), but a server that answers 206 "bytes 0-0/0"
    // promising one byte it never sends (s3rver) would leave the read waiting until the function
    // times out: the size is known, so the body is not read.
    destroyBody(response.Body);
    return { bytes: Buffer.alloc(0), start: 0, totalSize: 0 };
  }
  const bytes = Buffer.from((await response.Body?.transformToByteArray()) ?? new Uint8Array());
  return range
    ? { bytes, start: Number(range[1]), totalSize: Number(range[2]) }
    : { bytes, start: 0, totalSize: bytes.length };
}

function destroyBody(body: unknown): void {
  const destroy = (body as { destroy?: unknown } | undefined)?.destroy;
  if (typeof destroy === 'function') destroy.call(body);
}
