/**
 * Helpers for the end-to-end tests: a local cloud per test file, reads through the same SDK clients
 * a user has, image comparison, and child processes of the CLIs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import sharp, { type Sharp } from 'sharp';
import type { PhotoRecord } from '../../lambda/shared/model';
import { TERMINAL_STATUSES } from '../../lambda/shared/photo-view';
import type { PipelineConfig } from '../../lib/config';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { type PipelineClients, type PipelineTarget, pipelineClients } from '../../local/pipeline-run';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly clients: PipelineClients;
  readonly target: PipelineTarget;
  readonly stateDir: string;
  close(): Promise<void>;
}

/** A local cloud on free ports with a fresh state directory, and SDK clients for it. */
export async function startTestCloud(options: { config?: PipelineConfig } = {}): Promise<TestCloud> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'photo-e2e-'));
  const cloud = await startLocalCloud({
    stateDir,
    config: options.config,
    // Every service on a free port, the web app and API included: tests never clash with `npm start`.
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  }).catch((error: unknown) => {
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  });
  const clients = pipelineClients(cloud.clientEnvironment());
  return {
    cloud,
    clients,
    target: { bucket: cloud.outputs.PhotoRepoBucketName, table: cloud.outputs.ImageMetadataTableName },
    stateDir,
    async close() {
      clients.destroy();
      await cloud.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Every record in the owner's partition whose originalKey is `key` (Query, all pages). */
export async function recordsWithKey(
  clients: PipelineClients,
  table: string,
  owner: string,
  key: string,
): Promise<PhotoRecord[]> {
  const found: PhotoRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#owner = :owner',
        FilterExpression: '#originalKey = :key',
        ExpressionAttributeNames: { '#owner': 'owner', '#originalKey': 'originalKey' },
        ExpressionAttributeValues: { ':owner': owner, ':key': key },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    found.push(...((page.Items ?? []) as PhotoRecord[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

/** Waits until the (single) record for `key` is READY, REJECTED or FAILED; the last one seen when time is up. */
export async function waitForTerminalRecordWithKey(
  clients: PipelineClients,
  table: string,
  owner: string,
  key: string,
  timeoutMs: number,
): Promise<PhotoRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  let record: PhotoRecord | undefined;
  while (Date.now() < deadline) {
    [record] = await recordsWithKey(clients, table, owner, key);
    if (record && TERMINAL_STATUSES.includes(record.status)) return record;
    await sleep(250);
  }
  return record;
}

/** Executions of the state machine with that name (ListExecutions, all pages). */
export async function executionsNamed(
  clients: PipelineClients,
  stateMachineArn: string,
  name: string,
): Promise<ExecutionListItem[]> {
  const found: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken }));
    found.push(...(page.executions ?? []).filter((execution) => execution.name === name));
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

export async function getObjectBytes(clients: PipelineClients, bucket: string, key: string): Promise<Buffer> {
  const response = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/** The object key an S3 event notification carries, decoded (form encoding: `+` is a space). */
export function eventObjectKey(event: unknown): string | undefined {
  const key = (event as { Records?: { s3?: { object?: { key?: string } } }[] }).Records?.[0]?.s3?.object?.key;
  return key === undefined ? undefined : decodeURIComponent(key.replace(/\+/g, ' '));
}

const COMPARE_WIDTH = 64;
const COMPARE_HEIGHT = 48;

/**
 * Mean absolute difference (0-255) between two images' RGB pixels, both scaled to the same small
 * size first: small for the same picture whatever the JPEG noise, large for a turned or mirrored one.
 */
export async function meanAbsoluteDifference(a: Buffer, b: Buffer): Promise<number> {
  const pixels = (image: Buffer) =>
    sharp(image)
      .resize(COMPARE_WIDTH, COMPARE_HEIGHT, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
  const [pa, pb] = await Promise.all([pixels(a), pixels(b)]);
  let total = 0;
  for (let i = 0; i < pa.length; i++) total += Math.abs(pa[i] - pb[i]);
  return total / pa.length;
}

/** The seven wrong ways to show an image: turned a quarter, half or three quarters, and mirrored. */
export async function wronglyOrientedVariants(image: Buffer): Promise<Record<string, Buffer>> {
  const variant = (transform: (s: Sharp) => Sharp) => transform(sharp(image)).png().toBuffer();
  return {
    'rotated 90°': await variant((s) => s.rotate(90)),
    'rotated 180°': await variant((s) => s.rotate(180)),
    'rotated 270°': await variant((s) => s.rotate(270)),
    'mirrored left-right': await variant((s) => s.flop()),
    'mirrored top-bottom': await variant((s) => s.flip()),
    transposed: await variant((s) => s.rotate(90).flop()),
    transversed: await variant((s) => s.rotate(270).flop()),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Processes (other than this one) whose command line contains `text`, as "pid: args". */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let args: string;
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // Exited while we looked.
    }
    if (args.includes(text)) found.push(`${entry}: ${args}`);
  }
  return found;
}

/** A CLI of this repo run as its npm script runs it, in its own process group, its output collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves once stdout contains `text`; rejects when the process exits first or time is up. */
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
}

/**
 * The node arguments of the npm script that runs `script` (package.json is the one source: a test
 * takes the path a user's `npm run` takes, tsx loader or precompiled launcher), without npm itself.
 */
export function npmScriptArguments(script: string): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const command = Object.values(scripts).find((line) => line.split(' ').at(-1) === script);
  const [program, ...args] = command?.split(' ') ?? [];
  if (program !== 'node') throw new Error(`No npm script runs ${script} with node`);
  return args;
}

export function runCli(script: string, args: string[]): CliProcess {
  const child = spawn(process.execPath, [...npmScriptArguments(script), ...args], {
    cwd: REPO_ROOT,
    detached: true, // its own process group, so a test can clean up everything it started
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(text, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          if (out.includes(text)) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`No "${text}" within ${timeoutMs} ms. stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then((code) => {
          done();
          if (!out.includes(text))
            reject(new Error(`Exited (${code}) before printing "${text}". stdout:\n${out}\nstderr:\n${err}`));
        });
        check();
      });
    },
  };
}

/** Kills whatever is left of a CLI's process group, even when its leader has exited (cleanup after a failed test). */
export function killProcessGroup(cli: CliProcess | undefined): void {
  if (!cli?.child.pid) return;
  try {
    process.kill(-cli.child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
