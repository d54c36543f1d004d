/**
 * The shared, read-only test images (`<repo>/../shared/fixtures`, described in its SOURCES.md), what
 * the pipeline must make of each, and exiftool's reading of them as the oracle for metadata.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PhotoStatus } from '../../lambda/shared/model';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The shared, read-only test images: `<repo>/../shared/fixtures`. */
export const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');

export const fixturePath = (relativePath: string) => path.join(FIXTURES, relativePath);

export interface FixtureExpectation {
  /** Path relative to FIXTURES, e.g. `photos/cat.jpg`. */
  readonly name: string;
  readonly status: Exclude<PhotoStatus, 'PROCESSING'>;
  /** False where the EXIF is malformed: the photo is processed as if it had none. */
  readonly exifReadable: boolean;
}

/** The outcome SOURCES.md promises for a fixture, by its folder (and name, in broken/). */
export function expectationFor(name: string): FixtureExpectation {
  const [folder, file] = name.split('/');
  switch (folder) {
    case 'photos':
    case 'exif':
    case 'orientation':
      return { name, status: 'READY', exifReadable: true };
    case 'unsupported':
      return { name, status: 'REJECTED', exifReadable: true };
    case 'broken':
      if (file.startsWith('invalid-exif-')) return { name, status: 'READY', exifReadable: false };
      if (file.startsWith('png-')) return { name, status: 'FAILED', exifReadable: true };
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
  readonly DateTimeOriginal?: string;
  readonly Make?: string;
  readonly Model?: string;
  readonly GPSLatitude?: number;
  readonly GPSLongitude?: number;
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

/** Width and height as displayed: EXIF orientations 5-8 turn the picture a quarter, swapping them. */
export function displayedSize(t: ExiftoolTruth): { width: number; height: number } {
  const quarterTurn = t.Orientation !== undefined && t.Orientation >= 5 && t.Orientation <= 8;
  return quarterTurn
    ? { width: t.ImageHeight, height: t.ImageWidth }
    : { width: t.ImageWidth, height: t.ImageHeight };
}

/** exiftool's "2008:05:30 15:56:01" as the pipeline's ISO 8601 "2008-05-30T15:56:01". */
export function isoCaptureTime(exifDateTime: string): string {
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(exifDateTime);
  if (!match) throw new Error(`Unexpected DateTimeOriginal in exiftool-truth.json: ${exifDateTime}`);
  const [, year, month, day, hour, minute, second] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}`;
}
