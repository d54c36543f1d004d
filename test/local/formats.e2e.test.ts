/**
 * Every photo people have, end to end in the local cloud: the HEIC, HEIF, AVIF, WebP and TIFF fixtures
 * uploaded as a user would, each READY with exiftool's metadata, an upright thumbnail and an upright,
 * metadata-free display rendition that the API offers and DELETE removes; the not-images REJECTED; the
 * 11,158 px panorama labelled through its rendition; and `supportedFormats: ['jpeg', 'png']` rejecting
 * them all again, as the reference pipeline did.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoDetail } from '../../lambda/shared/api';
import { RENDITION_PREFIX } from '../../lambda/shared/model';
import { resolveConfig } from '../../lib/config';
import { type PipelineResult, runPipeline } from '../../local/pipeline-run';
import { getObjectBytes, meanAbsoluteDifference, startTestCloud, type TestCloud } from './e2e-helpers';
import { displayedSize, exiftoolTruth, expectationFor, fixturePath, listFixtures } from './fixtures';

const HOOK_TIMEOUT = 240_000;
const TEST_TIMEOUT = 60_000;
/** Calibrated like pipeline.e2e.test.ts: the same picture differs by a few units, a turned one by 40+. */
const SAME_PICTURE_MAX_DIFFERENCE = 10;

const formats = listFixtures().filter(
  (name) => name.startsWith('formats/') || name.startsWith('unsupported/'),
);
const notImages = listFixtures().filter((name) => name.startsWith('not-images/'));

const relative = (file: string) => path.relative(fixturePath(''), file);

/** Hostile variants of real fixtures, written to a temporary folder: a cut-off HEIC and an AVIF pixel bomb. */
function hostileFiles(folder: string): { truncated: string; bomb: string } {
  const heic = readFileSync(fixturePath('formats/iphone-13-pro-max.heic'));
  const truncated = path.join(folder, 'truncated.heic');
  writeFileSync(truncated, heic.subarray(0, Math.floor(heic.length / 2)));
  // Every ispe (image spatial extent) box claims 30000 x 30000 px: 900 MP, over the 50 MP limit.
  const avif = Buffer.from(readFileSync(fixturePath('formats/kimono.avif')));
  for (let at = avif.indexOf('ispe'); at !== -1; at = avif.indexOf('ispe', at + 4)) {
    avif.writeUInt32BE(30_000, at + 8);
    avif.writeUInt32BE(30_000, at + 12);
  }
  const bomb = path.join(folder, 'bomb.avif');
  writeFileSync(bomb, avif);
  return { truncated, bomb };
}

describe('with the default formats', () => {
  let env: TestCloud;
  let hostileFolder: string;
  let hostile: { truncated: string; bomb: string };
  const results = new Map<string, PipelineResult>();
  const resultOf = (name: string) => {
    const result = results.get(name);
    if (!result) throw new Error(`${name} was not processed (see beforeAll)`);
    return result;
  };
  const bytesOf = (key: string) => getObjectBytes(env.clients, env.target.bucket, key);

  beforeAll(async () => {
    env = await startTestCloud();
    hostileFolder = mkdtempSync(path.join(tmpdir(), 'hostile-formats-'));
    hostile = hostileFiles(hostileFolder);
    const processed = await runPipeline(
      env.clients,
      env.target,
      [...[...formats, ...notImages].map(fixturePath), hostile.truncated, hostile.bomb],
      { timeoutMs: HOOK_TIMEOUT - 60_000 },
    );
    for (const result of processed) {
      results.set(
        result.file.startsWith(hostileFolder) ? path.basename(result.file) : relative(result.file),
        result,
      );
    }
    console.log(
      [
        'Formats through the pipeline (execution duration, all uploaded at once):',
        ...processed.map(
          (r) =>
            `  ${relative(r.file).padEnd(34)} ${r.status.padEnd(9)} ${String(r.execution.durationMs).padStart(6)} ms  ${r.rendition ? `rendition ${r.rendition.width}x${r.rendition.height}` : ''}  ${r.labels.map((l) => l.name).join(', ') || r.reason || ''}`,
        ),
      ].join('\n'),
    );
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await env?.close();
    if (hostileFolder) rmSync(hostileFolder, { recursive: true, force: true });
  }, HOOK_TIMEOUT);

  it('has the formats SOURCES.md describes to process', () => {
    expect(formats.length).toBeGreaterThanOrEqual(9);
    expect(formats.map((name) => path.extname(name))).toEqual(
      expect.arrayContaining(['.heic', '.heif', '.avif', '.webp', '.tiff']),
    );
  });

  it.each(formats)('%s is READY, with the format and metadata exiftool reads', (name) => {
    // Assess
    const result = resultOf(name);
    const truth = exiftoolTruth(name);
    expect(result.status, `${name}: ${result.reason}`).toBe('READY');
    expect(result.metadata.format).toBe(expectationFor(name).format);
    expect({ width: result.metadata.width, height: result.metadata.height }).toEqual(displayedSize(truth));
    expect(result.metadata.make).toBe(truth.Make ?? null);
    expect(result.metadata.model).toBe(truth.Model ?? null);
    if (truth.GPSLatitude === undefined) {
      expect(result.metadata.gps).toBeNull();
    } else {
      expect(result.metadata.gps?.latitude).toBeCloseTo(truth.GPSLatitude, 6);
      expect(result.metadata.gps?.longitude).toBeCloseTo(truth.GPSLongitude as number, 6);
      expect(result.metadata.gps?.altitude).toBeCloseTo(truth.GPSAltitude as number, 3);
    }
  });

  it.each(formats)(
    '%s has an upright display rendition under Renditions/ without EXIF or GPS',
    async (name) => {
      // Prepare
      const { rendition, metadata } = resultOf(name);
      expect(rendition, `${name} has a rendition`).not.toBeNull();

      // Act
      const bytes = await bytesOf(rendition!.key);
      const decoded = await sharp(bytes).metadata();

      // Assess: as displayed (the container's irot applied, a HEIC's EXIF Orientation not applied again).
      expect(rendition!.key.startsWith(RENDITION_PREFIX)).toBe(true);
      expect({ width: decoded.width, height: decoded.height, format: decoded.format }).toEqual({
        width: rendition!.width,
        height: rendition!.height,
        format: rendition!.format,
      });
      expect(Math.max(decoded.width, decoded.height)).toBeLessThanOrEqual(2048);
      expect(decoded.width / decoded.height).toBeCloseTo(metadata.width! / metadata.height!, 2);
      expect(decoded.exif).toBeUndefined();
      expect(decoded.xmp).toBeUndefined();
    },
    TEST_TIMEOUT,
  );

  it.each(formats)('%s has a thumbnail of the same upright picture as its rendition', async (name) => {
    // Prepare
    const { thumbnail, rendition } = resultOf(name);

    // Act
    const [thumbnailBytes, renditionBytes] = await Promise.all([
      bytesOf(thumbnail!.key),
      bytesOf(rendition!.key),
    ]);

    // Assess
    const decoded = await sharp(thumbnailBytes).metadata();
    expect(Math.max(decoded.width, decoded.height)).toBeLessThanOrEqual(250);
    expect(decoded.width / decoded.height).toBeCloseTo(rendition!.width / rendition!.height, 1);
    expect(await meanAbsoluteDifference(thumbnailBytes, renditionBytes)).toBeLessThan(
      SAME_PICTURE_MAX_DIFFERENCE,
    );
  });

  it('shows kimono-rotate90.avif upright: its irot applied, it looks like kimono.avif', async () => {
    const [rotated, upright] = await Promise.all([
      bytesOf(resultOf('formats/kimono-rotate90.avif').thumbnail!.key),
      bytesOf(resultOf('formats/kimono.avif').thumbnail!.key),
    ]);

    expect(await meanAbsoluteDifference(rotated, upright)).toBeLessThan(SAME_PICTURE_MAX_DIFFERENCE);
  });

  it('shows the iPhone HEIC portrait: irot applied once, EXIF Orientation 6 not applied again', () => {
    const { metadata, rendition } = resultOf('formats/iphone-13-pro-max.heic');

    expect({ width: metadata.width, height: metadata.height, orientation: metadata.orientation }).toEqual({
      width: 3024,
      height: 4032,
      orientation: null,
    });
    expect(rendition).toMatchObject({ width: 1536, height: 2048, format: 'jpeg' });
  });

  it('labels the 11,158 px WebP panorama through its rendition, within Rekognition’s 10,000 px', () => {
    const { labels, reason, rendition } = resultOf('formats/bryce-panorama.webp');

    expect(rendition).toMatchObject({ width: 2048, height: 396 });
    expect(reason).toBeNull();
    expect(labels.length).toBeGreaterThan(0);
  });

  it.each(notImages)('%s is REJECTED as not an image, with no thumbnail or rendition', async (name) => {
    const result = resultOf(name);

    expect(result.status).toBe('REJECTED');
    expect(result.reason).toMatch(/^Not an image: the file's content is not in an image format/);
    expect(result.thumbnail).toBeNull();
    expect(result.rendition).toBeNull();
    const renditionHead = env.clients.s3.send(
      new HeadObjectCommand({
        Bucket: env.target.bucket,
        Key: `${RENDITION_PREFIX}${path.basename(result.key).replace(/\.[^.]+$/, '')}.jpg`,
      }),
    );
    await expect(renditionHead).rejects.toThrow();
  });

  it.each([
    [
      'truncated.heic',
      /^The file is truncated: its 'mdat' box needs [\d,]+ bytes, but the file ends [\d,]+ bytes into it\.$/,
    ],
    ['bomb.avif', /^The image is 30000×30000 px \(900 MP\), over the 50 MP limit for display renditions\.$/],
  ])('ends %s FAILED with a sentence saying why, and nothing written for it', (name, reason) => {
    const result = resultOf(name);

    expect(result.status).toBe('FAILED');
    expect(result.reason).toMatch(reason);
    expect(result.thumbnail).toBeNull();
    expect(result.rendition).toBeNull();
  });

  it('offers the rendition in the API’s photo view, and DELETE removes it', async () => {
    // Prepare
    const { photoId, rendition } = resultOf('formats/iphone-13-pro-max.heic');
    const api = `${env.cloud.endpoints.web}/api/photos/${photoId}`;
    const headers = { 'X-Local-User': 'local-user' };

    // Act
    const detail = (await (await fetch(api, { headers })).json()) as PhotoDetail;
    const shown = await fetch(detail.urls.rendition as string);
    const deleted = await fetch(api, { method: 'DELETE', headers });

    // Assess
    expect(detail.rendition).toMatchObject({ key: rendition!.key, width: 1536, height: 2048 });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/jpeg');
    expect(deleted.status).toBe(204);
    await expect(
      env.clients.s3.send(new HeadObjectCommand({ Bucket: env.target.bucket, Key: rendition!.key })),
    ).rejects.toThrow();
  });
});

describe("with supportedFormats ['jpeg', 'png'], the reference's behaviour", () => {
  let env: TestCloud;
  let processed: PipelineResult[];

  beforeAll(async () => {
    env = await startTestCloud({ config: resolveConfig({ supportedFormats: ['jpeg', 'png'] }) });
    processed = await runPipeline(env.clients, env.target, formats.map(fixturePath), {
      timeoutMs: HOOK_TIMEOUT - 60_000,
    });
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await env?.close();
  }, HOOK_TIMEOUT);

  it('rejects every HEIC, HEIF, AVIF, WebP and TIFF, naming its type, with nothing written for it', () => {
    for (const result of processed) {
      const format = expectationFor(relative(result.file)).format as string;
      expect(result.status, relative(result.file)).toBe('REJECTED');
      expect(result.reason).toBe(
        `Unsupported image type ${format.toUpperCase()}: this pipeline accepts JPEG and PNG`,
      );
      expect(result.thumbnail).toBeNull();
      expect(result.rendition).toBeNull();
    }
  });
});
