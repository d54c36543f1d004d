/**
 * End to end in the local cloud: the app's synthesized template on this machine, photos uploaded to
 * PhotoRepo through the SDK as a user would, every result read back through the SDK.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCOMING_PREFIX, THUMBNAIL_PREFIX } from '../../lambda/shared/model';
import { resolveConfig } from '../../lib/config';
import {
  LOCAL_OWNER,
  type PipelineResult,
  readRecord,
  runPipeline,
  uploadPhoto,
} from '../../local/pipeline-run';
import {
  eventObjectKey,
  executionsNamed,
  getObjectBytes,
  meanAbsoluteDifference,
  median,
  recordsWithKey,
  sleep,
  startTestCloud,
  type TestCloud,
  waitForTerminalRecordWithKey,
  wronglyOrientedVariants,
} from './e2e-helpers';
import {
  displayedSize,
  exiftoolTruth,
  expectationFor,
  fixturePath,
  isoCaptureTime,
  listFixtures,
} from './fixtures';

const TEST_TIMEOUT = 240_000;
const HOOK_TIMEOUT = 180_000;
const THUMBNAIL_BOX = 250;
/** Mean absolute pixel difference (0-255) between thumbnails. Calibrated on orientation/: the same
 * picture differs by about 3 (JPEG noise), a turned or mirrored one by 40 or more. */
const SAME_PICTURE_MAX_DIFFERENCE = 10;
const WRONG_ORIENTATION_MIN_DIFFERENCE = 30;
/** The SDK's own attempts per call (standard retry mode); one throttle more makes the Lambda fail. */
const SDK_MAX_ATTEMPTS = 3;

let env: TestCloud;

beforeAll(async () => {
  env = await startTestCloud();
}, HOOK_TIMEOUT);

afterAll(async () => {
  await env?.close();
}, HOOK_TIMEOUT);

describe('every shared fixture', () => {
  const fixtures = listFixtures().map(expectationFor);
  const results = new Map<string, PipelineResult>();
  const resultOf = (name: string) => {
    const result = results.get(name);
    if (!result) throw new Error(`${name} was not processed (see the beforeAll above)`);
    return result;
  };

  beforeAll(async () => {
    // Act: upload every fixture at once and wait for each to end, as `npm run pipeline` does.
    const processed = await runPipeline(
      env.clients,
      env.target,
      fixtures.map((f) => fixturePath(f.name)),
      { timeoutMs: HOOK_TIMEOUT - 20_000 },
    );
    for (const result of processed) results.set(path.relative(fixturePath(''), result.file), result);

    const durations = processed.map((r) => r.execution.durationMs ?? Number.NaN);
    console.log(
      [
        'Upload to terminal status, per fixture (execution duration, all uploaded at once, cold start included):',
        ...processed.map(
          (r) =>
            `  ${path.relative(fixturePath(''), r.file).padEnd(34)} ${r.status.padEnd(9)} ${r.execution.durationMs} ms`,
        ),
        `  median ${median(durations)} ms, worst ${Math.max(...durations)} ms over ${durations.length} files`,
      ].join('\n'),
    );
  }, TEST_TIMEOUT);

  it.each(fixtures)('$name ends $status', ({ name, status }) => {
    const result = resultOf(name);
    expect(result.status, `${name}: ${result.reason}`).toBe(status);
    // A READY photo's execution succeeded; a rejection and a failure both end in a Fail state.
    expect(result.execution.status).toBe(status === 'READY' ? 'SUCCEEDED' : 'FAILED');
  });

  it.each(fixtures.filter((f) => f.status === 'REJECTED' && f.format !== null))(
    '$name is rejected with a reason naming its type, and no thumbnail',
    async ({ name, format }) => {
      const result = resultOf(name);
      // The type sharp found in the content (HEIC and AVIF are HEIF to it), not the file's extension.
      expect(result.reason).toContain(`Unsupported image type ${format!.toUpperCase()}`);
      expect(result.thumbnail).toBeNull();
      await expectNoThumbnailObject(result);
    },
  );

  it.each(fixtures.filter((f) => f.status === 'REJECTED' && f.format === null))(
    '$name is rejected as not an image, judged by its content, and no thumbnail',
    async ({ name }) => {
      const result = resultOf(name);
      expect(result.reason).toMatch(/^Not an image: the file's content is not in an image format/);
      // Whatever the name says (a CSV named .heic): the reason names no type taken from it.
      expect(result.reason).not.toContain(path.extname(name).slice(1).toUpperCase());
      expect(result.thumbnail).toBeNull();
      await expectNoThumbnailObject(result);
    },
  );

  it.each(fixtures.filter((f) => f.status === 'FAILED'))(
    '$name fails with a readable reason, and no thumbnail',
    async ({ name }) => {
      const { reason, thumbnail } = resultOf(name);
      expect(reason).toEqual(expect.any(String));
      expect(reason!.trim().length).toBeGreaterThan(10);
      expect(reason).not.toContain('[object');
      expect(reason).not.toMatch(/\n|\bat .+:\d+:\d+/); // one line, no stack frames
      expect(reason).not.toMatch(/errorType|errorMessage/); // not Lambda's error JSON
      expect(thumbnail).toBeNull();
      await expectNoThumbnailObject(resultOf(name));
    },
  );

  it.each(fixtures.filter((f) => f.status === 'READY'))(
    '$name has a thumbnail in the bucket that fits the box and matches its record',
    async ({ name }) => {
      const { thumbnail } = resultOf(name);
      expect(thumbnail).not.toBeNull();
      expect(thumbnail!.key.startsWith(THUMBNAIL_PREFIX)).toBe(true);

      const image = await sharp(
        await getObjectBytes(env.clients, env.target.bucket, thumbnail!.key),
      ).metadata();

      expect({ width: image.width, height: image.height, format: image.format }).toEqual({
        width: thumbnail!.width,
        height: thumbnail!.height,
        format: thumbnail!.format,
      });
      expect(image.width).toBeLessThanOrEqual(THUMBNAIL_BOX);
      expect(image.height).toBeLessThanOrEqual(THUMBNAIL_BOX);
    },
  );

  it.each(fixtures.filter((f) => f.status === 'READY'))(
    '$name has the metadata exiftool reads',
    ({ name, format, exifReadable }) => {
      const truth = exiftoolTruth(name);
      const { metadata } = resultOf(name);

      expect(metadata.format).toBe(format);
      expect(metadata.sizeBytes).toBe(statSync(fixturePath(name)).size);
      expect({ width: metadata.width, height: metadata.height }).toEqual(displayedSize(truth));
      if (!exifReadable) {
        // Malformed EXIF is left out whole: exiftool salvages an Orientation of 1 from it, which
        // displays exactly like none.
        expect(metadata).toMatchObject({
          orientation: null,
          capturedAt: null,
          make: null,
          model: null,
          gps: null,
        });
        return;
      }
      // Inside a HEIF container (HEIC, AVIF) the EXIF Orientation is informative only: the decoder
      // applies the container's irot instead, and the pipeline records no orientation to apply.
      const heifContainer = format === 'heif' || format === 'avif';
      expect(metadata.orientation).toBe(heifContainer ? null : (truth.Orientation ?? null));
      expect(metadata.capturedAt).toBe(
        truth.DateTimeOriginal ? isoCaptureTime(truth.DateTimeOriginal, truth.OffsetTimeOriginal) : null,
      );
      expect(metadata.make).toBe(truth.Make?.trim() ?? null);
      expect(metadata.model).toBe(truth.Model?.trim() ?? null);
      if (truth.GPSLatitude === undefined) {
        expect(metadata.gps).toBeNull();
      } else {
        expect(Math.abs(metadata.gps!.latitude - truth.GPSLatitude)).toBeLessThan(1e-6);
        expect(Math.abs(metadata.gps!.longitude - truth.GPSLongitude!)).toBeLessThan(1e-6);
        expect(metadata.gps!.altitude).toBe(truth.GPSAltitude ?? null);
      }
    },
  );

  it.each(fixtures.filter((f) => (f.status === 'REJECTED' || f.status === 'FAILED') && f.format !== null))(
    '$name still records its format and dimensions',
    ({ name, format }) => {
      const { metadata } = resultOf(name);
      expect(metadata.format).toBe(format);
      expect({ width: metadata.width, height: metadata.height }).toEqual(displayedSize(exiftoolTruth(name)));
      expect(metadata.sizeBytes).toBe(statSync(fixturePath(name)).size);
    },
  );

  it.each(fixtures.filter((f) => f.format === null))(
    '$name records its size and no format or dimensions',
    ({ name }) => {
      const { metadata } = resultOf(name);
      // exiftool reads an SVG's width and height; the pipeline never hands an SVG to an image decoder.
      expect(metadata).toMatchObject({ format: null, width: null, height: null, orientation: null });
      expect(metadata.sizeBytes).toBe(statSync(fixturePath(name)).size);
    },
  );

  it.each([
    'orientation/landscape-1.jpg',
    'orientation/landscape-3.jpg',
    'orientation/landscape-6.jpg',
    'orientation/landscape-8.jpg',
  ])('%s gets an upright thumbnail, like landscape-1', async (name) => {
    const readThumbnail = (fixture: string) =>
      getObjectBytes(env.clients, env.target.bucket, resultOf(fixture).thumbnail!.key);
    const reference = await readThumbnail('orientation/landscape-1.jpg');
    const thumbnail = await readThumbnail(name);

    const { width, height } = await sharp(thumbnail).metadata();
    expect(width).toBeGreaterThan(height);
    expect(await meanAbsoluteDifference(thumbnail, reference)).toBeLessThan(SAME_PICTURE_MAX_DIFFERENCE);
    for (const [how, wrong] of Object.entries(await wronglyOrientedVariants(reference))) {
      const difference = await meanAbsoluteDifference(thumbnail, wrong);
      expect(difference, `difference from landscape-1 ${how}`).toBeGreaterThan(
        WRONG_ORIENTATION_MIN_DIFFERENCE,
      );
    }
  });

  it('finds a person in astronaut.png and a cat in cat.jpg', () => {
    const names = (fixture: string) => resultOf(fixture).labels.map((label) => label.name);
    expect(names('photos/astronaut.png')).toContain('Person');
    expect(names('photos/cat.jpg')).toContain('Cat');
  });

  it('gives every READY photo labels or a recorded reason why it has none', () => {
    const ready = listFixtures()
      .map(resultOf)
      .filter((result) => result.status === 'READY');
    const unexplained = ready.filter((result) => result.labels.length === 0 && !result.reason);
    expect(unexplained.map((result) => result.file)).toEqual([]);
  });

  // The READY photos under Rekognition's 80 px minimum (the three 32×32 PngSuite images, two 100 px
  // wide camera photos): detect-labels sends them enlarged, so they get labels or Rekognition's own
  // answer, never a refusal.
  const smallPhotos = fixtures
    .filter((f) => f.status === 'READY')
    .map((f) => f.name)
    .filter((name) => {
      const { width, height } = displayedSize(exiftoolTruth(name));
      return Math.min(width, height) < 80;
    });

  it('has small photos to send', () => {
    expect(smallPhotos).toEqual(
      expect.arrayContaining(['exif/canon-40d.jpg', 'photos/pngsuite-basn2c08.png']),
    );
  });

  it.each(smallPhotos)('%s (under 80 px a side) is READY with what Rekognition said about it', (name) => {
    const result = resultOf(name);
    expect(result.status).toBe('READY');
    expect(Math.min(result.metadata.width!, result.metadata.height!)).toBeLessThan(80);
    // Labels, or the reason only an answer from Rekognition gives: it was asked, not skipped.
    if (result.labels.length > 0) {
      expect(result.reason).toBeNull();
    } else {
      const { minConfidence } = resolveConfig().labels;
      expect(result.reason).toBe(
        `No labels: Rekognition found nothing it is at least ${minConfidence}% confident about`,
      );
    }
  });
});

describe('a duplicated upload event', () => {
  it(
    'starts no second execution and writes no second record, after the photo is READY',
    async () => {
      // Prepare
      const [first] = await runPipeline(env.clients, env.target, [fixturePath('photos/cat.jpg')]);
      expect(first.status).toBe('READY');
      const before = await readRecord(env.clients, env.target.table, LOCAL_OWNER, first.photoId);

      // Act
      await env.cloud.s3.redeliver(deliveryFor(first.key));
      await env.cloud.waitForIdle();

      // Assess
      await expectProcessedOnce(first.key, first.execution.name);
      expect(await readRecord(env.clients, env.target.table, LOCAL_OWNER, first.photoId)).toEqual(before);
    },
    TEST_TIMEOUT,
  );

  it(
    'starts no second execution and writes no second record, when it comes while the first is handled',
    async () => {
      // Prepare
      const { key } = await uploadPhoto(env.clients, env.target.bucket, fixturePath('photos/cat.jpg'));
      const delivery = await waitForDelivery(key);

      // Act: S3 delivers the same event again straight away (the first is usually still in start-execution).
      await env.cloud.s3.redeliver(delivery);
      await env.cloud.waitForIdle();

      // Assess
      const [record] = await recordsWithKey(env.clients, env.target.table, LOCAL_OWNER, key);
      expect(record.status).toBe('READY');
      await expectProcessedOnce(key, record.executionName);
    },
    TEST_TIMEOUT,
  );
});

describe('keys that need URL encoding', () => {
  const keys = [
    `${INCOMING_PREFIX}${LOCAL_OWNER}/My Photo+1 100%  été 日本.jpg`,
    // Already looks escaped: decoding it twice would give "100% literal.jpg".
    `${INCOMING_PREFIX}${LOCAL_OWNER}/100%25 literal.jpg`,
    `${INCOMING_PREFIX}${LOCAL_OWNER}/Vacances/Été 2024/plage #1 (copie) & co.jpg`,
    // The same letters decomposed (e + combining accent, as macOS file names are): a different key.
    `${INCOMING_PREFIX}${LOCAL_OWNER}/${'My Photo+1 100%  été 日本'.normalize('NFD')}.jpg`,
  ];

  it(
    'are processed, and the record keeps the exact key',
    async () => {
      // Prepare
      const body = readFileSync(fixturePath('photos/cat.jpg'));

      // Act
      for (const key of keys) {
        await env.clients.s3.send(
          new PutObjectCommand({
            Bucket: env.target.bucket,
            Key: key,
            Body: body,
            ContentType: 'image/jpeg',
          }),
        );
      }
      const records = await Promise.all(
        keys.map((key) =>
          waitForTerminalRecordWithKey(env.clients, env.target.table, LOCAL_OWNER, key, 180_000),
        ),
      );

      // Assess
      for (const [index, record] of records.entries()) {
        expect(record, keys[index]).toBeDefined();
        expect(record!.originalKey).toBe(keys[index]);
        expect(record!.status, `${keys[index]}: ${record!.reason}`).toBe('READY');
        expect(record!.labels.map((l) => l.name)).toContain('Cat');
        await getObjectBytes(env.clients, env.target.bucket, record!.thumbnail!.key);
      }
      expect(new Set(records.map((r) => r!.photoId)).size).toBe(keys.length);
    },
    TEST_TIMEOUT,
  );
});

describe('50 photos uploaded at once', () => {
  it(
    'all reach READY, each with its own record, none lost',
    async () => {
      // Prepare
      const files = Array.from({ length: 50 }, () => fixturePath('exif/canon-40d.jpg'));
      const started = Date.now();

      // Act
      const results = await runPipeline(env.clients, env.target, files, { concurrency: 50 });
      console.log(`50 photos at once: all terminal after ${Date.now() - started} ms`);

      // Assess
      expect(
        results.filter((r) => r.status !== 'READY').map((r) => `${r.key}: ${r.status} ${r.reason}`),
      ).toEqual([]);
      expect(new Set(results.map((r) => r.photoId)).size).toBe(50);
      for (const result of results) {
        const records = await recordsWithKey(env.clients, env.target.table, LOCAL_OWNER, result.key);
        expect(records.map((r) => r.status)).toEqual(['READY']);
        expect(result.execution.status).toBe('SUCCEEDED');
      }
      await env.cloud.waitForIdle();
      expect(
        existsSync(path.join(env.stateDir, 'dead-letters')),
        'no upload event ended in a dead letter',
      ).toBe(false);
    },
    TEST_TIMEOUT,
  );
});

describe('Rekognition throttling', () => {
  it(
    "is retried by the state machine once the SDK's own retries are spent",
    async () => {
      // Prepare
      await env.cloud.waitForIdle();
      const throttles = SDK_MAX_ATTEMPTS + 1;
      const throttledBefore = env.cloud.rekognition.stats.throttled;
      env.cloud.rekognition.throttleNext(throttles);

      // Act: as a user who has not uploaded this photo yet, so it is not a duplicate whose labels are
      // reused without asking Rekognition.
      const owner = 'throttled-user';
      const [result] = await runPipeline(env.clients, env.target, [fixturePath('photos/cat.jpg')], { owner });

      // Assess
      expect(result.status, String(result.reason)).toBe('READY');
      expect(result.labels.map((l) => l.name)).toContain('Cat');
      expect(env.cloud.rekognition.stats.throttled - throttledBefore).toBeGreaterThanOrEqual(throttles);
      const record = await readRecord(env.clients, env.target.table, owner, result.photoId);
      const history = await executionHistory(record!.executionId!);
      expect(scheduledCalls(history, detectLabelsFunctionArn())).toBeGreaterThan(1);
      expect(
        history
          .filter((e) => e.type === 'LambdaFunctionFailed')
          .map((e) => e.lambdaFunctionFailedEventDetails?.error),
      ).toContain('ProvisionedThroughputExceededException');
    },
    TEST_TIMEOUT,
  );
});

async function expectNoThumbnailObject(result: PipelineResult): Promise<void> {
  for (const extension of ['jpg', 'png']) {
    const key = `${THUMBNAIL_PREFIX}${LOCAL_OWNER}/${result.photoId}.${extension}`;
    const found = await env.clients.s3
      .send(new HeadObjectCommand({ Bucket: env.target.bucket, Key: key }))
      .then(
        () => true,
        (error: Error) => {
          if (error.name === 'NotFound' || error.name === 'NoSuchKey') return false;
          throw error;
        },
      );
    expect(found, key).toBe(false);
  }
}

/** The start-execution delivery of the upload event for `key`. */
function deliveryFor(key: string) {
  const delivery = env.cloud.s3.delivered.find((d) => eventObjectKey(d.event) === key);
  if (!delivery) throw new Error(`No upload event was delivered for ${key}`);
  return delivery;
}

async function waitForDelivery(key: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (env.cloud.s3.delivered.some((d) => eventObjectKey(d.event) === key)) return deliveryFor(key);
    await sleep(20);
  }
  return deliveryFor(key);
}

async function expectProcessedOnce(key: string, executionName: string): Promise<void> {
  const executions = await executionsNamed(
    env.clients,
    env.cloud.outputs.ImageProcStateMachineArn,
    executionName,
  );
  expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
  const records = await recordsWithKey(env.clients, env.target.table, LOCAL_OWNER, key);
  expect(records.map((r) => r.status)).toEqual(['READY']);
}

async function executionHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await env.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function detectLabelsFunctionArn(): string {
  // The function itself, not its PreTraffic hook (DeploymentDetectLabelsPreTrafficHook…).
  const matches = [...env.cloud.functions.values()].filter((fn) =>
    fn.spec.logicalId.startsWith('ProcessingDetectLabelsFunction'),
  );
  expect(matches.map((fn) => fn.spec.logicalId)).toHaveLength(1);
  return matches[0].spec.arn;
}

/**
 * How many times the history shows the function scheduled (a Lambda task, or the lambda:invoke
 * integration), by its ARN or a qualified one (the live alias the tasks invoke, a version, $LATEST).
 */
function scheduledCalls(history: HistoryEvent[], functionArn: string): number {
  const calls = (resource: string | undefined) => resource?.split(':').slice(0, 7).join(':') === functionArn;
  return history.filter(
    (event) =>
      (event.type === 'LambdaFunctionScheduled' &&
        calls(event.lambdaFunctionScheduledEventDetails?.resource)) ||
      (event.type === 'TaskScheduled' &&
        calls(
          (JSON.parse(event.taskScheduledEventDetails?.parameters ?? '{}') as { FunctionName?: string })
            .FunctionName,
        )),
  ).length;
}
