/**
 * `npm run reprocess` end to end, as a user runs it, against the local cloud: a Distributed Map over
 * a couple of hundred uploads (mostly byte-identical copies of one tiny PNG, so that recognition stays
 * cheap, plus a few distinct photos, a non-image that ends REJECTED and a corrupt PNG that ends
 * FAILED). The photos are first processed under one config; the cloud is then started again on the
 * same state with a different thumbnail size, a new pipeline version: the dry run counts and prices
 * the photos to redo, a run with the corrupt photo fails past the tolerated failures (0%: the config
 * is changed for that too), a run without it redoes the rest, the next skips everything, and --all
 * would redo everything.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoRecord } from '../../lambda/shared/model';
import { type PipelineConfigOverrides, resolveConfig } from '../../lib/config';
import { estimateReprocessCost } from '../../lib/cost-model';
import { pipelineVersion } from '../../lib/pipeline-version';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { LOCAL_OWNER, type PipelineClients, pipelineClients } from '../../local/pipeline-run';
import { removeRunningCloud, writeRunningCloud } from '../../local/running-cloud';
import { type CliProcess, killProcessGroup, recordsWithKey, runCli } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 150_000;
/** Uploading and processing the 200 photos: about 50 s on a quiet 2-core machine, twice that when busy. */
const UPLOAD_TIMEOUT = 240_000;
const COPIES = 195;
const DISTINCT = ['photos/pngsuite-basn3p08.png', 'photos/pngsuite-basn6a16.png', 'photos/cat.jpg'];
const NOT_AN_IMAGE = 'not-images/document.pdf';
const CORRUPT = 'broken/png-badcrc.png';
const TOTAL = COPIES + DISTINCT.length + 2;

/** The config the photos are first processed under, then the changed one (a new pipeline version). */
const FIRST: PipelineConfigOverrides = { reprocess: { maxConcurrency: 8 } };
const CHANGED: PipelineConfigOverrides = {
  thumbnail: { maxWidth: 200, maxHeight: 200 },
  reprocess: { maxConcurrency: 8, toleratedFailurePercentage: 0 },
};

let stateDir: string;
let cloud: LocalCloud | undefined;
let clients: PipelineClients | undefined;
let cli: CliProcess | undefined;
const keys = new Map<string, string>();

async function startCloud(overrides: PipelineConfigOverrides) {
  cloud = await startLocalCloud({
    stateDir,
    config: resolveConfig(overrides),
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  });
  clients = pipelineClients(cloud.clientEnvironment());
  // What `npm start` writes: the CLI finds this cloud through it.
  writeRunningCloud(stateDir, { pid: process.pid, env: cloud.clientEnvironment(), outputs: cloud.outputs });
}

async function stopCloud() {
  removeRunningCloud(stateDir);
  clients?.destroy();
  await cloud?.close();
  cloud = undefined;
}

/** `npm run reprocess -- <args> --json --state-dir <dir>`: its exit code and last stdout line as JSON. */
async function reprocess(...args: string[]) {
  cli = runCli('local/reprocess.ts', [...args, '--json', '--state-dir', stateDir]);
  const code = await cli.exited;
  const lines = cli.stdout().trim().split('\n');
  return { code, json: JSON.parse(lines[lines.length - 1]) as Record<string, unknown>, stderr: cli.stderr() };
}

async function record(key: string): Promise<PhotoRecord | undefined> {
  const [found] = await recordsWithKey(clients!, cloud!.outputs.ImageMetadataTableName, LOCAL_OWNER, key);
  return found;
}

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'photo-reprocess-'));
  await startCloud(FIRST);
  const bucket = cloud!.outputs.PhotoRepoBucketName;
  const uploads: [string, string][] = [
    ...Array.from({ length: COPIES }, (_, i): [string, string] => [
      `copy-${i}`,
      'photos/pngsuite-basn2c08.png',
    ]),
    ...DISTINCT.map((name, i): [string, string] => [`distinct-${i}`, name]),
    ['not-an-image', NOT_AN_IMAGE],
    // Listed first (keys are listed in order): the run that fails on it stops early.
    ['a-corrupt', CORRUPT],
  ];
  let next = 0;
  const upload = async () => {
    while (next < uploads.length) {
      const [id, fixture] = uploads[next++];
      const key = `Incoming/${LOCAL_OWNER}/${id}${path.extname(fixture)}`;
      keys.set(id, key);
      await clients!.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(fixturePath(fixture)) }),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, upload));
  await cloud!.waitForIdle();
}, UPLOAD_TIMEOUT);

afterAll(async () => {
  killProcessGroup(cli);
  await stopCloud();
  rmSync(stateDir, { recursive: true, force: true });
}, TEST_TIMEOUT);

describe('npm run reprocess against the local cloud', () => {
  it(
    'processed the uploads under the first config: the dry run would redo only the failed photo',
    async () => {
      expect((await record(keys.get('copy-0')!))?.status).toBe('READY');
      expect(await record(keys.get('not-an-image')!)).toMatchObject({
        status: 'REJECTED',
        pipelineVersion: pipelineVersion(resolveConfig(FIRST)),
      });
      expect((await record(keys.get('a-corrupt')!))?.status).toBe('FAILED');

      const { code, json } = await reprocess('--dry-run');

      expect(code).toBe(0);
      expect(json).toMatchObject({
        photos: 1,
        skipped: TOTAL - 1,
        skippedBy: { 'up-to-date': TOTAL - 1 },
        pipelineVersion: pipelineVersion(resolveConfig(FIRST)),
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'after a settings change, counts every photo and prices the run with the cost model',
    async () => {
      await stopCloud();
      await startCloud(CHANGED);

      const { code, json } = await reprocess('--dry-run');

      expect(code).toBe(0);
      const estimate = estimateReprocessCost(resolveConfig(), TOTAL, 0);
      expect(json).toMatchObject({
        photos: TOTAL,
        skipped: 0,
        pipelineVersion: pipelineVersion(resolveConfig(CHANGED)),
      });
      expect(json.estimatedCostUsd).toBeCloseTo(estimate.totalUsd, 5);
    },
    TEST_TIMEOUT,
  );

  it(
    'fails the run, saying why, when more photos fail than tolerated (the corrupt one, 0% tolerated)',
    async () => {
      const { code, json, stderr } = await reprocess();

      expect(code).toBe(1);
      expect(json).toMatchObject({
        status: 'FAILED',
        error: 'States.ExceedToleratedFailureThreshold',
        failed: 1,
      });
      expect(stderr).toMatch(
        /The reprocess run failed: 1 photo\(s\) failed, more than the \d+% the workflow tolerates/,
      );
      // ImageProc runs the stopped children had started still finish.
      await cloud!.waitForIdle();
      const corrupt = await record(keys.get('a-corrupt')!);
      expect(corrupt).toMatchObject({ status: 'FAILED', attempts: 2 });
      expect(corrupt?.reason).toBeTruthy();
    },
    TEST_TIMEOUT,
  );

  it(
    'redoes every photo not yet made under the new version once the corrupt one is gone',
    async () => {
      await clients!.s3.send(
        new DeleteObjectCommand({ Bucket: cloud!.outputs.PhotoRepoBucketName, Key: keys.get('a-corrupt')! }),
      );

      const { code, json } = await reprocess();

      expect(code).toBe(0);
      expect(json).toMatchObject({ status: 'SUCCEEDED', failed: 0, stopped: 0 });
      // The failed run redid a few photos before it stopped (8 at a time, the corrupt one first in the
      // listing): those are up to date now and skipped; this run redoes the rest.
      expect(Number(json.processed) + Number(json.rejected) + Number(json.skipped)).toBe(TOTAL - 1);
      expect(Number(json.processed)).toBeGreaterThan(TOTAL / 2);
      expect(json.skippedBy).toEqual(Number(json.skipped) > 0 ? { 'up-to-date': json.skipped } : {});
      const copy = await record(keys.get('copy-7')!);
      expect(copy).toMatchObject({
        status: 'READY',
        pipelineVersion: pipelineVersion(resolveConfig(CHANGED)),
      });
      expect(copy?.attemptHistory?.at(-1)?.retriedBy).toBe('reprocess');
      expect(await record(keys.get('not-an-image')!)).toMatchObject({
        status: 'REJECTED',
        pipelineVersion: pipelineVersion(resolveConfig(CHANGED)),
      });
    },
    TEST_TIMEOUT,
  );

  it(
    'skips everything on the next run, and --all would redo everything',
    async () => {
      const again = await reprocess();
      const all = await reprocess('--dry-run', '--all');

      expect(again.code).toBe(0);
      expect(again.json).toMatchObject({
        processed: 0,
        rejected: 0,
        failed: 0,
        skipped: TOTAL - 1,
        skippedBy: { 'up-to-date': TOTAL - 1 },
      });
      expect(all.json).toMatchObject({ photos: TOTAL - 1, skipped: 0 });
    },
    TEST_TIMEOUT,
  );

  it(
    '--all redoes the photos that are up to date too',
    async () => {
      // A few photos keep the run short: the copies past the first five go.
      const bucket = cloud!.outputs.PhotoRepoBucketName;
      for (let i = 5; i < COPIES; i++) {
        await clients!.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keys.get(`copy-${i}`)! }));
      }
      const kept = 5 + DISTINCT.length + 1;
      const before = await record(keys.get('distinct-2')!);

      const { code, json } = await reprocess('--all');

      expect(code).toBe(0);
      expect(json).toMatchObject({
        status: 'SUCCEEDED',
        processed: kept - 1,
        rejected: 1,
        failed: 0,
        skipped: 0,
      });
      const after = await record(keys.get('distinct-2')!);
      expect(after).toMatchObject({
        status: 'READY',
        attempts: (before?.attempts ?? 1) + 1,
        pipelineVersion: pipelineVersion(resolveConfig(CHANGED)),
      });
      const names = (labels: readonly { name: string }[] | undefined) => labels?.map((l) => l.name);
      expect(names(after?.labels)).toContain('Cat');
      expect(names(after?.labels)).toEqual(names(before?.labels));
      expect(after?.attemptHistory?.at(-1)).toMatchObject({
        retriedBy: 'reprocess',
        executionName: before?.executionName,
      });
    },
    TEST_TIMEOUT,
  );
});
