/**
 * Fault injection in the local cloud (issue 8): a Lambda environment crashing mid-invoke, Rekognition
 * throttling past every retry, DynamoDB unreachable for seconds, and a burst with all of these
 * injected. Whatever happens, every photo must end READY,
 * REJECTED or FAILED with a reason a person can read: none lost, none left PROCESSING.
 *
 * The aborted execution and a single RUNNING execution across a restart are in reconciler.e2e.test.ts;
 * throttling that one state-machine retry absorbs is in pipeline.e2e.test.ts. The cloud stopped in the
 * middle of a burst is not here yet: S3 deliveries in flight at shutdown are not replayed on the next
 * start, so a photo whose record was written but whose execution never started stays PROCESSING.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoRecord } from '../../lambda/shared/model';
import { TERMINAL_STATUSES } from '../../lambda/shared/photo-view';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { LocalFunction } from '../../local/lambda/runtime';
import { type PipelineClients, pipelineClients, uploadPhoto } from '../../local/pipeline-run';
import { sleep, startTestCloud, type TestCloud } from './e2e-helpers';
import { fixturePath } from './fixtures';

/** Fixture photos of at least 80 px a side, cycled through by the bursts. */
const PHOTOS = ['cat.jpg', 'coffee.png', 'fruits.jpg', 'astronaut.png', 'phone-jolla.jpg'].map((name) =>
  fixturePath(`photos/${name}`),
);
/**
 * Photos in the burst with faults. 500 is the number; override with FAULT_BURST_PHOTOS (the
 * count that fits ~3 minutes on 2 cores is what this file runs by default, see BURST_DEFAULT).
 */
const BURST_DEFAULT = 500;
const BURST_PHOTOS = Number(process.env.FAULT_BURST_PHOTOS ?? BURST_DEFAULT);

const STUCK = 'PROCESSING';
const rows: { case: string; outcome: string; ms: number }[] = [];

/**
 * A reason a person can read: a sentence, not an error class name alone, not "undefined", not a
 * stack trace.
 */
function readableProblem(reason: unknown): string | null {
  if (typeof reason !== 'string' || reason.trim() === '') return `no reason (${String(reason)})`;
  if (/\bundefined\b|\bnull\b|\[object Object\]/.test(reason)) return `"${reason}" shows a missing value`;
  if (/\n\s+at |\bat .+\(.*:\d+:\d+\)/.test(reason)) return `"${reason}" is a stack trace`;
  if (/^[\w.]+$/.test(reason.trim())) return `"${reason}" is an error name, not a sentence`;
  if (reason.trim().split(/\s+/).length < 3) return `"${reason}" is not a sentence`;
  // A sentence starts with a capital; a bare system message ("connect ECONNREFUSED 127.0.0.1:8000") does not.
  if (!/^[A-Z0-9"“]/.test(reason.trim())) return `"${reason}" is a raw error message, not a sentence`;
  return null;
}

/** Every record in an owner's partition, by photo id (Query, all pages, consistent). */
async function partition(clients: PipelineClients, table: string, owner: string) {
  const records = new Map<string, PhotoRecord>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as PhotoRecord[]) records.set(item.photoId, item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

/** Polls the owner's partition until every photo id has a terminal record, or time is up. */
async function waitForTerminal(
  clients: PipelineClients,
  table: string,
  owner: string,
  photoIds: readonly string[],
  timeoutMs: number,
): Promise<Map<string, PhotoRecord>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await partition(clients, table, owner).catch(() => new Map<string, PhotoRecord>());
    const done = photoIds.every((id) => {
      const status = records.get(id)?.status;
      return status !== undefined && TERMINAL_STATUSES.includes(status);
    });
    if (done || Date.now() > deadline) return records;
    await sleep(500);
  }
}

interface Tally {
  counts: Record<string, number>;
  missing: string[];
  stuck: string[];
  unreadable: string[];
}

function tally(photoIds: readonly string[], records: Map<string, PhotoRecord>): Tally {
  const result: Tally = { counts: {}, missing: [], stuck: [], unreadable: [] };
  for (const id of photoIds) {
    const record = records.get(id);
    const status = record?.status ?? 'no record';
    result.counts[status] = (result.counts[status] ?? 0) + 1;
    if (!record) result.missing.push(id);
    else if (!TERMINAL_STATUSES.includes(record.status))
      result.stuck.push(`${id}: ${record.status}, execution ${record.executionName ?? 'none recorded'}`);
    else if (record.status !== 'READY') {
      const problem = readableProblem(record.reason);
      if (problem) result.unreadable.push(`${id} ${record.status}: ${problem}`);
    }
  }
  return result;
}

const describeCounts = (t: Tally) =>
  Object.entries(t.counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');

/** The distinct reasons of the photos that did not end READY, with how many had each. */
function describeReasons(photoIds: readonly string[], records: Map<string, PhotoRecord>): string {
  const reasons = new Map<string, number>();
  for (const id of photoIds) {
    const record = records.get(id);
    if (!record || record.status === 'READY') continue;
    const reason = `${record.status} "${record.reason}"`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  return [...reasons].map(([reason, n]) => `${n}× ${reason}`).join('; ');
}

/** Keys of uploads start-execution gave up on (Lambda's retries spent), from the local dead-letter files. */
function deadLetteredKeys(stateDir: string): Set<string> {
  const dir = path.join(stateDir, 'dead-letters');
  const keys = new Set<string>();
  if (!existsSync(dir)) return keys;
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      for (const match of line.matchAll(/"key":"([^"]+)"/g)) keys.add(decodeURIComponent(match[1]));
    }
  }
  return keys;
}

function functionNamed(cloud: LocalCloud, handlerDir: string): LocalFunction {
  const fn = [...cloud.functions.values()].find((f) => f.spec.entry.includes(`/lambda/${handlerDir}/`));
  if (!fn) throw new Error(`No local function runs lambda/${handlerDir}`);
  return fn;
}

/** Uploads `count` photos (cycling PHOTOS), `parallel` at a time, calling `during(i)` before upload i. */
async function uploadBurst(
  clients: PipelineClients,
  bucket: string,
  owner: string,
  count: number,
  parallel: number,
  during: (index: number) => void = () => {},
) {
  const uploads: { photoId: string; key: string }[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        during(index);
        uploads[index] = await uploadPhoto(clients, bucket, PHOTOS[index % PHOTOS.length], owner);
      }
    }),
  );
  return uploads;
}

let env: TestCloud;

beforeAll(async () => {
  env = await startTestCloud();
  await env.cloud.rekognition.warmUp();
}, 120_000);

afterAll(async () => {
  const width = Math.max(...rows.map((r) => r.case.length));
  const outcomeWidth = Math.max(...rows.map((r) => r.outcome.length));
  console.log(
    [
      `${'CASE'.padEnd(width)}  ${'OUTCOME'.padEnd(outcomeWidth)}  TIME`,
      ...rows.map(
        (r) => `${r.case.padEnd(width)}  ${r.outcome.padEnd(outcomeWidth)}  ${(r.ms / 1000).toFixed(1)} s`,
      ),
    ].join('\n'),
  );
  const closing = Date.now();
  await env?.close();
  console.log(`closing the cloud after the faults: ${Date.now() - closing} ms`);
}, 180_000);

describe('fault injection in the local cloud', () => {
  it('a Lambda environment crashing mid-invoke fails the photo with a readable reason; a fresh environment takes the next', async () => {
    const { clients, target, cloud } = env;
    const owner = 'crash-user';
    const started = Date.now();
    functionNamed(cloud, 'extract-metadata').crashNext(1);
    const crashed = await uploadPhoto(clients, target.bucket, PHOTOS[0], owner);
    const records = await waitForTerminal(clients, target.table, owner, [crashed.photoId], 60_000);
    const record = records.get(crashed.photoId);
    // Runtime.ExitError is not a Lambda service error, so no Retry takes it: the Catch records FAILED.
    expect(record?.status).not.toBe(STUCK);
    expect(['READY', 'FAILED']).toContain(record?.status);
    if (record?.status === 'FAILED') expect(readableProblem(record.reason)).toBeNull();
    rows.push({
      case: 'worker crash mid-invoke',
      outcome: `${record?.status}: ${record?.reason ?? ''}`,
      ms: Date.now() - started,
    });

    const after = await uploadPhoto(clients, target.bucket, PHOTOS[0], owner);
    const next = await waitForTerminal(clients, target.table, owner, [after.photoId], 60_000);
    expect(next.get(after.photoId)?.status).toBe('READY');
  }, 150_000);

  it('Rekognition throttling beyond every retry fails the photo with a readable reason', async () => {
    const { clients, target, cloud } = env;
    const owner = 'throttle-user';
    await cloud.waitForIdle();
    const started = Date.now();
    // More than the SDK's 3 attempts × the state machine's 6 DetectLabels attempts.
    cloud.rekognition.throttleNext(1_000);
    try {
      const { photoId } = await uploadPhoto(clients, target.bucket, PHOTOS[1], owner);
      const records = await waitForTerminal(clients, target.table, owner, [photoId], 150_000);
      const record = records.get(photoId);
      expect(record?.status).toBe('FAILED');
      expect(record?.reason).toMatch(/capacity/);
      expect(readableProblem(record?.reason)).toBeNull();
      rows.push({
        case: 'Rekognition throttled past every retry',
        outcome: `FAILED: ${record?.reason}`,
        ms: Date.now() - started,
      });
    } finally {
      cloud.rekognition.throttleNext(0);
    }
  }, 180_000);

  it('DynamoDB unreachable for 3 seconds while photos are in flight leaves none PROCESSING', async () => {
    const { clients, target, cloud } = env;
    const owner = 'dynamo-outage-user';
    await cloud.waitForIdle();
    const started = Date.now();
    const uploads = await uploadBurst(clients, target.bucket, owner, 8, 4);
    await sleep(300);
    await cloud.dynamo.unreachableFor(3_000);
    const ids = uploads.map((u) => u.photoId);
    const records = await waitForTerminal(clients, target.table, owner, ids, 120_000);
    const result = tally(ids, records);
    rows.push({
      case: 'DynamoDB unreachable 3 s (8 photos)',
      outcome: `${describeCounts(result)} (${describeReasons(ids, records)})`,
      ms: Date.now() - started,
    });
    expect(result.stuck).toEqual([]);
    expect(result.unreadable).toEqual([]);
    const deadLettered = deadLetteredKeys(env.stateDir);
    expect(uploads.filter((u) => !records.has(u.photoId) && !deadLettered.has(u.key))).toEqual([]);
  }, 180_000);

  it(`a burst of ${BURST_PHOTOS} photos with throttling, crashes and a DynamoDB outage: 0 lost, 0 stuck, every reason readable`, async () => {
    const { clients, target, cloud } = env;
    const owner = 'burst-user';
    await cloud.waitForIdle();
    const started = Date.now();
    const extract = functionNamed(cloud, 'extract-metadata');
    const thumbnail = functionNamed(cloud, 'generate-thumbnail');
    let outage: Promise<void> | undefined;
    const uploads = await uploadBurst(clients, target.bucket, owner, BURST_PHOTOS, 8, (index) => {
      const at = (fraction: number) => index === Math.floor(BURST_PHOTOS * fraction);
      if (at(0.1)) cloud.rekognition.throttleNext(12);
      if (at(0.25)) extract.crashNext(1);
      if (at(0.4)) outage = cloud.dynamo.unreachableFor(2_000);
      if (at(0.6)) thumbnail.crashNext(1);
      if (at(0.75)) cloud.rekognition.throttleNext(12);
    });
    await outage;
    const uploadedMs = Date.now() - started;
    const ids = uploads.map((u) => u.photoId);
    const records = await waitForTerminal(clients, target.table, owner, ids, 240_000);
    const result = tally(ids, records);
    const deadLettered = deadLetteredKeys(env.stateDir);
    const lost = uploads.filter((u) => !records.has(u.photoId) && !deadLettered.has(u.key));
    rows.push({
      case: `burst of ${BURST_PHOTOS} with faults (uploaded in ${(uploadedMs / 1000).toFixed(1)} s)`,
      outcome: `${describeCounts(result)}; ${lost.length} lost, ${result.stuck.length} stuck (${describeReasons(ids, records)})`,
      ms: Date.now() - started,
    });
    expect(lost).toEqual([]);
    expect(result.stuck).toEqual([]);
    expect(result.unreadable).toEqual([]);
  }, 420_000);
});

describe('the cloud stopped and restarted mid-burst', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'photo-e2e-faults-restart-'));
  let cloud: LocalCloud | undefined;
  let clients: PipelineClients | undefined;
  const start = async () => {
    cloud = await startLocalCloud({
      stateDir,
      ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
    });
    clients = pipelineClients(cloud.clientEnvironment());
    return { cloud, clients };
  };
  const stop = async () => {
    clients?.destroy();
    await cloud?.close();
    clients = undefined;
    cloud = undefined;
  };
  afterAll(async () => {
    await stop();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('ends every photo of a 30-photo burst READY, REJECTED or FAILED with a readable reason once the cloud is back', async () => {
    const owner = 'restart-user';
    const first = await start();
    const table = first.cloud.outputs.ImageMetadataTableName;
    const bucket = first.cloud.outputs.PhotoRepoBucketName;
    const uploads = await uploadBurst(first.clients, bucket, owner, 30, 6);
    // Stop while the burst is in every stage: events queued, records written, executions running.
    await sleep(1_000);
    const atShutdown = await partition(first.clients, table, owner);
    const processingAtShutdown = [...atShutdown.values()].filter((r) => r.status === STUCK).length;
    const noRecordAtShutdown = uploads.filter((u) => !atShutdown.has(u.photoId)).length;
    await stop();

    const again = await start();
    const restarted = Date.now();
    const ids = uploads.map((u) => u.photoId);
    // Every upload was accepted by S3, so every one must get a record and end: the S3 events not yet
    // handled at the stop are delivered again from Lambda's queue, and executions RUNNING at the stop
    // end ABORTED, which the reconciler turns into FAILED.
    const records = await waitForTerminal(again.clients, table, owner, ids, 120_000);
    const result = tally(ids, records);
    rows.push({
      case: `restart mid-burst (30; at the stop ${processingAtShutdown} PROCESSING, ${noRecordAtShutdown} without a record)`,
      outcome: `${describeCounts(result)} (${describeReasons(ids, records)})`,
      ms: Date.now() - restarted,
    });
    expect(result.missing).toEqual([]);
    expect(result.stuck).toEqual([]);
    expect(result.unreadable).toEqual([]);
    // The stop caught the burst midway, or this test proves nothing.
    expect(processingAtShutdown + noRecordAtShutdown).toBeGreaterThan(0);
  }, 240_000);
});
