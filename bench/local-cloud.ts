/**
 * Phase 3: the whole pipeline through a warm local cloud, started as a user starts it (`npm start`,
 * here as a child process with a temporary state folder and free ports), photos uploaded to S3 as
 * `npm run pipeline` uploads them, and their DynamoDB records read until each is terminal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TERMINAL_STATUSES } from '../lambda/shared/photo-view';
import { resolveConfig } from '../lib/config';
import { costModelFor } from '../lib/cost-model';
import { type PipelineClients, pipelineClients, uploadPhoto } from '../local/pipeline-run';
import { freePort } from '../local/ports';
import { readRunningCloud } from '../local/running-cloud';
import { type CostResult, costPerMillion, type PricedExecution } from './cost';
import { mapLimit } from './map-limit';
import type { BenchPhoto } from './photos';
import type { Progress } from './progress';
import { percentile, perSecond } from './stats';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How long the measurement ran. */
  overMs: number;
}

export interface StepTime {
  step: string;
  p50Ms: number;
  p95Ms: number;
}

export interface LocalCloudResult {
  dynamoEngine: string;
  /** From spawning `npm start` to its "Local cloud running" banner (synthesis, web build, services). */
  startMs: number;
  /** From spawning to the Rekognition stand-in's model being loaded. */
  warmMs: number;
  /** Upload start to terminal record, one photo alone in a warm cloud, each of a few tries. */
  singleMs: number[];
  singleP50Ms: number;
  burst: {
    photos: number;
    uploadConcurrency: number;
    /** First upload start to last upload done. */
    uploadMs: number;
    /** First upload start to last terminal record. */
    elapsedMs: number;
    photosPerSecond: number;
    latencyP50Ms: number;
    latencyP95Ms: number;
    statuses: Record<string, number>;
    /** The main process's event-loop delay during the burst. */
    eventLoop: EventLoopDelay;
    /** Where a burst photo's time goes: waiting to start, then each state of the workflow. */
    steps: StepTime[];
    /** The stand-in's counters after the burst (DetectLabels calls, throttled ones, errors). */
    rekognitionStats: unknown;
  };
  /** What a million photos would cost on AWS: distinct photos run one at a time, default config. */
  cost: CostResult;
}

export interface LocalCloudOptions {
  photos: readonly BenchPhoto[];
  /** Photos the cloud processes at once before the timed single photo, to start every function's workers. */
  warmUpPhotos: number;
  singleTries: number;
  uploadConcurrency: number;
  /** Extra `npm start` flags, e.g. `--dynamodb-local`. */
  cloudFlags?: readonly string[];
  progress: Progress;
}

/** Records the pipeline writes, as far as the benchmark needs them. */
interface RecordState {
  photoId: string;
  status: string;
  updatedAt: string;
  executionId?: string | null;
  rekognitionCalls?: number;
}

export async function measureLocalCloud(options: LocalCloudOptions): Promise<LocalCloudResult> {
  const { progress } = options;
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-local-cloud-'));
  const child = await startChild(stateDir, options.cloudFlags ?? []);
  // Ctrl-C reaches the child too (same process group); still take the temporary folder away.
  const onInterrupt = () => {
    child.process.kill('SIGTERM');
    rmSync(stateDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  let clients: PipelineClients | undefined;
  try {
    progress.log('Local cloud: starting npm start (synthesis, web build, services)...');
    const spawned = Date.now();
    await child.waitForLine((line) => line.startsWith('Local cloud running'), 600_000);
    const bannerAt = child.lines.length;
    const startMs = Date.now() - spawned;
    const dynamoEngine = /DynamoDB .*\((.+)\)/.exec(
      child.lines.find((l) => /^\s+DynamoDB\s/.test(l)) ?? '',
    )?.[1];
    progress.log(`Local cloud: ready in ${(startMs / 1000).toFixed(1)} s; loading the Rekognition model...`);
    // From the banner on: the model may have loaded while this was busy.
    const warm = await child.waitForLine((line) => line.includes('Rekognition stand-in:'), 300_000, bannerAt);
    if (!warm.includes('loaded'))
      throw new Error(`The local cloud's recognizer did not load: ${warm.trim()}`);
    const warmMs = Date.now() - spawned;

    const running = readRunningCloud(stateDir);
    if (!running)
      throw new Error(`The local cloud printed its banner but no running cloud is recorded in ${stateDir}`);
    const sdk = pipelineClients(running.env);
    clients = sdk; // destroyed in finally
    const bucket = running.outputs.PhotoRepoBucketName;
    const table = running.outputs.ImageMetadataTableName;

    /** Uploads `photos` under `owner` and waits until each record is terminal; times in epoch ms. */
    const runPhotos = async (
      owner: string,
      photos: readonly BenchPhoto[],
      onProgress?: (terminal: number, uploaded: number) => void,
    ) => {
      const uploadStart = new Map<string, number>();
      let uploadsDone = 0;
      let uploadEnd = 0;
      const uploads = mapLimit(photos, options.uploadConcurrency, async (photo) => {
        const started = Date.now();
        const { photoId } = await uploadPhoto(sdk, bucket, photo.path, owner);
        uploadStart.set(photoId, started);
        uploadsDone++;
        uploadEnd = Date.now();
      });
      const deadline = Date.now() + 120_000 + photos.length * 5_000;
      let records: RecordState[] = [];
      for (;;) {
        records = await queryOwner(sdk, table, owner);
        const terminal = records.filter((r) => TERMINAL_STATUSES.includes(r.status as never));
        onProgress?.(terminal.length, uploadsDone);
        if (terminal.length === photos.length) break;
        if (Date.now() > deadline) {
          throw new Error(
            `Only ${terminal.length} of ${photos.length} photos reached a terminal status in time (state in ${stateDir})`,
          );
        }
        // Terminal times come from the records themselves (updatedAt), so a burst needs no fast polling.
        await sleep(photos.length > 1 ? 1000 : 50);
      }
      await uploads;
      return { records, uploadStart, uploadEnd };
    };

    progress.log(`Local cloud: warming up with ${options.warmUpPhotos} photos...`);
    await runPhotos('bench-warm-up', options.photos.slice(0, options.warmUpPhotos));

    progress.phase('Local cloud: warm single photo', options.singleTries);
    const singleMs: number[] = [];
    for (let i = 0; i < options.singleTries; i++) {
      const { records, uploadStart } = await runPhotos(`bench-single-${i}`, [options.photos[0]]);
      singleMs.push(Date.parse(records[0].updatedAt) - uploadStart.get(records[0].photoId)!);
      progress.update(i + 1);
    }
    progress.end();

    // The cost sample: each distinct photo once, one at a time, so that a Task's time is its
    // function's work and not a wait for a free execution environment (as in the burst below).
    const distinct = [...new Map(options.photos.map((photo) => [photo.path, photo])).values()].slice(
      0,
      COST_SAMPLE,
    );
    progress.phase('Local cloud: cost sample, one photo at a time', distinct.length);
    const priced: PricedExecution[] = [];
    for (const [i, photo] of distinct.entries()) {
      const {
        records: [record],
      } = await runPhotos(`bench-cost-${i}`, [photo]);
      if (record?.status === 'READY' && record.executionId) {
        priced.push({
          events: await historyOf(sdk, record.executionId),
          rekognitionCalls: record.rekognitionCalls ?? 0,
        });
      }
      progress.update(i + 1);
    }
    progress.end();
    // `npm start` runs the default config: its memory sizes and price table price these executions.
    const cost = costPerMillion(priced, costModelFor(resolveConfig()));

    const burstPhotos = options.photos;
    progress.phase(`Local cloud: burst of ${burstPhotos.length}`, burstPhotos.length);
    await child.eventLoopDelay(); // starts a fresh measurement
    const { records, uploadStart, uploadEnd } = await runPhotos(
      'bench-burst',
      burstPhotos,
      (terminal, uploaded) => progress.update(terminal, `${uploaded}/${burstPhotos.length} uploaded`),
    );
    const eventLoop = await child.eventLoopDelay();
    progress.end();

    const firstStart = Math.min(...uploadStart.values());
    const terminalAt = records.map((r) => Date.parse(r.updatedAt));
    const latencies = records.map((r) => Date.parse(r.updatedAt) - uploadStart.get(r.photoId)!);
    const elapsedMs = Math.max(...terminalAt) - firstStart;
    const statuses: Record<string, number> = {};
    for (const r of records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;

    progress.log('Local cloud: reading execution histories...');
    const steps = await stepTimes(sdk, records, uploadStart);
    const rekognitionStats = await fetch(`${running.env.AWS_ENDPOINT_URL_REKOGNITION}/_local/stats`)
      .then((response) => response.json())
      .catch(() => null);

    return {
      dynamoEngine: dynamoEngine ?? 'unknown',
      startMs,
      warmMs,
      singleMs,
      singleP50Ms: percentile(singleMs, 50),
      burst: {
        photos: burstPhotos.length,
        uploadConcurrency: options.uploadConcurrency,
        uploadMs: uploadEnd - firstStart,
        elapsedMs,
        photosPerSecond: perSecond(burstPhotos.length, elapsedMs),
        latencyP50Ms: percentile(latencies, 50),
        latencyP95Ms: percentile(latencies, 95),
        statuses,
        eventLoop,
        steps,
        rekognitionStats,
      },
      cost,
    };
  } finally {
    clients?.destroy();
    await child.stop();
    process.off('SIGINT', onInterrupt);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

interface Child {
  process: ChildProcess;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first matching line from lines[since] on; rejects if the child exits first. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, since?: number): Promise<string>;
  /** The child's event-loop delay since the last call (SIGUSR2, see local/main.ts). */
  eventLoopDelay(): Promise<EventLoopDelay>;
  stop(): Promise<void>;
}

async function startChild(stateDir: string, extraFlags: readonly string[]): Promise<Child> {
  const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const flags = ['web', 's3', 'dynamodb', 'stepfunctions', 'rekognition'].flatMap((name, i) => [
    `--${name}-port`,
    String(ports[i]),
  ]);
  // What `npm start` runs: one process with tsx's loader, so SIGUSR2 reaches the cloud itself.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/main.ts', '--state-dir', stateDir, ...flags, ...extraFlags],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitForLine = (match: (line: string) => boolean, timeoutMs: number, since = lines.length) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.slice(since).find(match);
      if (seen !== undefined) return resolve(seen);
      const done = (error: Error | null, line = '') => {
        listeners.delete(listener);
        clearTimeout(timer);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(line);
      };
      const listener = (line: string) => match(line) && done(null, line);
      const tail = () => [...lines, ...stderr].slice(-15).join('\n');
      const onExit = (code: number | null) =>
        done(new Error(`The local cloud exited (code ${code}) before it answered:\n${tail()}`));
      const timer = setTimeout(
        () => done(new Error(`The local cloud did not answer in ${timeoutMs / 1000} s:\n${tail()}`)),
        timeoutMs,
      );
      listeners.add(listener);
      child.once('exit', onExit);
    });

  return {
    process: child,
    lines,
    waitForLine,
    async eventLoopDelay() {
      const answer = waitForLine((line) => line.startsWith('event-loop-delay '), 10_000);
      child.kill('SIGUSR2');
      return JSON.parse((await answer).slice('event-loop-delay '.length)) as EventLoopDelay;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM'); // main.ts stops every service, DynamoDB Local's JVM included
      const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

async function queryOwner(clients: PipelineClients, table: string, owner: string): Promise<RecordState[]> {
  const records: RecordState[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    // One small query per poll, not a GetItem per photo: the cloud under test serves these too.
    const page = await clients.dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#owner = :owner',
        ProjectionExpression: 'photoId, #status, updatedAt, executionId, rekognitionCalls',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
        ExpressionAttributeValues: { ':owner': owner },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    // Photos only: the owner's partition also holds content index items (`content#…`, for duplicates).
    records.push(...((page.Items ?? []) as RecordState[]).filter((item) => !item.photoId.includes('#')));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

/**
 * p50/p95 of each part of a burst photo's time, from the execution histories: from upload start to
 * the execution's start (S3 event delivery and the start-execution function), then each Task and the
 * Parallel state as the history dates them.
 */
async function stepTimes(
  clients: PipelineClients,
  records: readonly RecordState[],
  uploadStart: ReadonlyMap<string, number>,
): Promise<StepTime[]> {
  const durations = new Map<string, number[]>();
  const add = (step: string, ms: number) => durations.set(step, [...(durations.get(step) ?? []), ms]);
  await mapLimit(records, 4, async (record) => {
    if (!record.executionId) return;
    const events = await historyOf(clients, record.executionId);
    const started = events.find((e) => e.type === 'ExecutionStarted');
    if (started?.timestamp)
      add('upload → execution start', started.timestamp.getTime() - uploadStart.get(record.photoId)!);
    const entered = new Map<string, number>();
    for (const event of events) {
      const name = event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
      if (!name || !event.timestamp || !/^(Task|Parallel)State(Entered|Exited)$/.test(event.type ?? ''))
        continue;
      if (event.type?.endsWith('Entered')) entered.set(name, event.timestamp.getTime());
      else if (entered.has(name)) add(name, event.timestamp.getTime() - entered.get(name)!);
    }
  });
  return [...durations].map(([step, values]) => ({
    step,
    p50Ms: percentile(values, 50),
    p95Ms: percentile(values, 95),
  }));
}

/** Distinct photos priced one at a time for the cost per million. */
const COST_SAMPLE = 10;

async function historyOf(clients: PipelineClients, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
