/**
 * Phase 1, the raw bound: the sharp work the pipeline does for each photo (the header read of
 * ExtractImageMetadata, the thumbnail of GenerateThumbnail), with nothing around it: no S3, no
 * workflow, no worker threads. The local cloud can only be slower than this.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { mapLimit } from './map-limit';
import type { BenchPhoto } from './photos';
import type { Progress } from './progress';
import { perSecond } from './stats';

export interface RawSharpResult {
  photos: number;
  inFlight: number;
  elapsedMs: number;
  photosPerSecond: number;
}

/** The pipeline's default box (lib/config.ts thumbnail). */
const THUMBNAIL_BOX = 250;

/** What GenerateThumbnail renders: upright, inside the box, sRGB; JPEG, or PNG when there is alpha. */
async function metadataAndThumbnail(bytes: Buffer): Promise<void> {
  const header = await sharp(bytes).metadata();
  const pipeline = sharp(bytes, { failOn: 'error' })
    .autoOrient()
    .resize({ width: THUMBNAIL_BOX, height: THUMBNAIL_BOX, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  await (header.hasAlpha ? pipeline.png({ compressionLevel: 8 }) : pipeline.jpeg({ quality: 80 })).toBuffer();
}

export async function measureRawSharp(
  photos: readonly BenchPhoto[],
  inFlight: number,
  progress: Progress,
): Promise<RawSharpResult> {
  progress.phase('Raw sharp (metadata + thumbnail)', photos.length);
  // One untimed pass over the distinct photos: libvips loads its codecs on first use.
  for (const photo of new Set(photos)) await metadataAndThumbnail(photo.bytes);
  let done = 0;
  const started = performance.now();
  await mapLimit(photos, inFlight, async (photo) => {
    await metadataAndThumbnail(photo.bytes);
    progress.update(++done);
  });
  const elapsedMs = performance.now() - started;
  progress.end();
  return { photos: photos.length, inFlight, elapsedMs, photosPerSecond: perSecond(photos.length, elapsedMs) };
}
