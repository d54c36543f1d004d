/**
 * The photo set every phase runs on: the real JPEG and PNG photos of the shared fixtures, cycled to
 * the number of uploads asked for, so the raw bounds and the local cloud see the same bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const FIXTURES_DIR = fileURLToPath(new URL('../../shared/fixtures', import.meta.url));

/** Rekognition refuses images under 80 px a side; such photos would measure an early refusal. */
export const MIN_SIDE_PX = 80;

/** Folders of real photos. formats/, not-images/ and unsupported/ are rejected before any work. */
const PHOTO_FOLDERS = ['photos', 'exif', 'orientation'];

export interface BenchPhoto {
  /** Relative to the fixtures folder, e.g. photos/cat.jpg */
  name: string;
  path: string;
  bytes: Buffer;
  format: string;
  width: number;
  height: number;
}

/**
 * Whether a fixture (path relative to the fixtures folder) is one of the real photos: the photo folders,
 * plus the JPEG whose EXIF is broken but whose pixels are fine. The broken PNGs are left out: their
 * pixels cannot be decoded, so they would time a failure.
 */
export function isPhotoFixture(name: string): boolean {
  const [folder, file = ''] = name.split('/');
  if (!/\.(jpe?g|png)$/i.test(file)) return false;
  if (PHOTO_FOLDERS.includes(folder)) return true;
  return folder === 'broken' && /^invalid-exif-.*\.jpe?g$/i.test(file);
}

/** Whether the header says the photo is a JPEG or PNG that Rekognition would take (80 px a side or more). */
export function isLargeEnough(photo: Pick<BenchPhoto, 'format' | 'width' | 'height'>): boolean {
  return (
    (photo.format === 'jpeg' || photo.format === 'png') &&
    photo.width >= MIN_SIDE_PX &&
    photo.height >= MIN_SIDE_PX
  );
}

/** `count` items taken from `items` in order, starting again from the first when they run out. */
export function cycle<T>(items: readonly T[], count: number): T[] {
  if (items.length === 0) throw new Error('Nothing to cycle: the photo set is empty');
  return Array.from({ length: count }, (_, index) => items[index % items.length]);
}

/** The distinct photos of the set, sorted by name, read into memory. */
export async function loadPhotoSet(fixturesDir = FIXTURES_DIR): Promise<BenchPhoto[]> {
  const names = ['broken', ...PHOTO_FOLDERS]
    .flatMap((folder) => readdirSync(join(fixturesDir, folder)).map((file) => `${folder}/${file}`))
    .filter(isPhotoFixture)
    .sort();
  const photos: BenchPhoto[] = [];
  for (const name of names) {
    const path = join(fixturesDir, name);
    const bytes = readFileSync(path);
    const { format = '', width = 0, height = 0 } = await sharp(bytes).metadata();
    const photo = { name, path, bytes, format, width, height };
    if (isLargeEnough(photo)) photos.push(photo);
  }
  if (photos.length === 0) {
    throw new Error(`No photos of at least ${MIN_SIDE_PX} px a side under ${relative('.', fixturesDir)}`);
  }
  return photos;
}
