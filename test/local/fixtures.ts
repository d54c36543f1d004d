/**
 * The shared, read-only test images (`<repo>/../shared/fixtures`, described in its SOURCES.md), what
 * the pipeline must make of each, and exiftool's reading of them as the oracle for metadata.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PhotoStatus } from '../../lambda/shared/model';
import { resolveConfig } from '../../lib/config';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The shared, read-only test images: `<repo>/../shared/fixtures`. */
export const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');

export const fixturePath = (relativePath: string) => path.join(FIXTURES, relativePath);

export interface FixtureExpectation {
  /** Path relative to FIXTURES, e.g. `photos/cat.jpg`. */
  readonly name: string;
  readonly status: Exclude<PhotoStatus, 'PROCESSING'>;
  /** The format the pipeline records (sharp's name for it); null for content that is not an image. */
  readonly format: string | null;
  /** False where the EXIF is malformed: the photo is processed as if it had none. */
  readonly exifReadable: boolean;
}

/**
 * The pipeline's name for each fixture's format, by extension: sharp's, except that AV1-coded HEIF is
 * 'avif' (sharp calls the container of HEIC and AVIF alike 'heif'; lambda/extract-metadata's
 * formatName tells them apart). Not valid in not-images/, whose names lie.
 */
const SHARP_FORMAT_BY_EXTENSION: Record<string, string> = {
  jpg: 'jpeg',
  png: 'png',
  tiff: 'tiff',
  heif: 'heif',
  heic: 'heif',
  avif: 'avif',
  webp: 'webp',
};

/** The format the pipeline records for a fixture (test/lambda/extract-metadata.test.ts checks it does). */
export function sharpFormatOf(name: string): string {
  const format = SHARP_FORMAT_BY_EXTENSION[path.extname(name).slice(1).toLowerCase()];
  if (!format) throw new Error(`${name}: add the format sharp reports for its extension here.`);
  return format;
}

/** The formats the local cloud's default config lets past ImageTypeCheck. */
const ACCEPTED_FORMATS: readonly string[] = resolveConfig().supportedFormats;

/** The outcome SOURCES.md promises for a fixture, by its folder (and name, in broken/). */
export function expectationFor(name: string): FixtureExpectation {
  const [folder, file] = name.split('/');
  switch (folder) {
    case 'photos':
    case 'exif':
    case 'orientation':
      return { name, status: 'READY', format: sharpFormatOf(name), exifReadable: true };
    case 'unsupported':
    case 'formats': {
      // SOURCES.md: rejected while the configured formats exclude them, processed once accepted, so
      // this follows the config (by default JPEG, PNG, HEIF, AVIF, WebP and TIFF) instead of hard-coding.
      const format = sharpFormatOf(name);
      const status = ACCEPTED_FORMATS.includes(format) ? 'READY' : 'REJECTED';
      return { name, status, format, exifReadable: true };
    }
    case 'not-images':
      // Judged by content, whatever the file name says: no format, nothing to read EXIF from.
      return { name, status: 'REJECTED', format: null, exifReadable: false };
    case 'broken':
      if (file.startsWith('invalid-exif-')) {
        return { name, status: 'READY', format: sharpFormatOf(name), exifReadable: false };
      }
      if (file.startsWith('png-')) {
        return { name, status: 'FAILED', format: sharpFormatOf(name), exifReadable: true };
      }
  }
  throw new Error(`${name}: SOURCES.md says nothing about this fixture; add its expected outcome here.`);
}

/** Every image in the fixture folders (the top-level SOURCES.md and exiftool-truth.json are not images). */
export function listFixtures(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((folder) =>
      readdirSync(path.join(FIXTURES, folder.name))
        .filter((file) => !file.startsWith('.'))
        .map((file) => `${folder.name}/${file}`),
    )
    .sort();
}

/** One entry of exiftool-truth.json (`exiftool -json -n`): ImageWidth/Height are the STORED dimensions. */
export interface ExiftoolTruth {
  readonly SourceFile: string;
  readonly ImageWidth: number;
  readonly ImageHeight: number;
  readonly Orientation?: number;
  /** HEIF and AVIF only: the container's `irot` transform, in degrees. */
  readonly Rotation?: number;
  readonly DateTimeOriginal?: string;
  readonly OffsetTimeOriginal?: string;
  readonly Make?: string;
  readonly Model?: string;
  readonly GPSLatitude?: number;
  readonly GPSLongitude?: number;
  /** Metres above sea level (exiftool -n: negative below). */
  readonly GPSAltitude?: number;
}

let truth: Map<string, ExiftoolTruth> | undefined;

export function exiftoolTruth(name: string): ExiftoolTruth {
  truth ??= new Map(
    (JSON.parse(readFileSync(fixturePath('exiftool-truth.json'), 'utf8')) as ExiftoolTruth[]).map((t) => [
      t.SourceFile,
      t,
    ]),
  );
  const entry = truth.get(name);
  if (!entry) throw new Error(`exiftool-truth.json has no entry for ${name}`);
  return entry;
}

/**
 * Width and height as displayed: a quarter turn swaps them. In a HEIF container (HEIC, AVIF) the
 * turn is the `irot` box (exiftool's Rotation), which the decoder applies, and the EXIF Orientation
 * inside is informative only (SOURCES.md); elsewhere EXIF orientations 5-8 are quarter turns.
 */
export function displayedSize(t: ExiftoolTruth): { width: number; height: number } {
  const container = sharpFormatOf(t.SourceFile);
  const quarterTurn =
    container === 'heif' || container === 'avif'
      ? t.Rotation === 90 || t.Rotation === 270
      : t.Orientation !== undefined && t.Orientation >= 5 && t.Orientation <= 8;
  return quarterTurn
    ? { width: t.ImageHeight, height: t.ImageWidth }
    : { width: t.ImageWidth, height: t.ImageHeight };
}

/** exiftool's "2008:05:30 15:56:01" (and OffsetTimeOriginal, if any) as the pipeline's ISO 8601 "2008-05-30T15:56:01". */
export function isoCaptureTime(exifDateTime: string, offset = ''): string {
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(exifDateTime);
  if (!match) throw new Error(`Unexpected DateTimeOriginal in exiftool-truth.json: ${exifDateTime}`);
  const [, year, month, day, hour, minute, second] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`;
}
