/**
 * The local cloud's command lines as a developer runs them: `npm run pipeline` on its own, `npm start`
 * until Ctrl-C with `npm run pipeline` using it, and a port conflict. Each leaves no process behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '../../lambda/shared/photo-view';
import { describePhoto, LOCAL_OWNER, pipelineClients, readRecord } from '../../local/pipeline-run';
import { type CliProcess, killProcessGroup, processesMentioning, runCli } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 240_000;
const HOOK_TIMEOUT = 180_000;
const ALL_PORTS_FREE = [
  '--s3-port',
  '0',
  '--dynamodb-port',
  '0',
  '--stepfunctions-port',
  '0',
  '--rekognition-port',
  '0',
  '--web-port',
  '0',
];

/** What the issue says `npm run pipeline -- --json` prints for each photo. */
const RESULT_KEYS = [
  'file',
  'photoId',
  'key',
  'status',
  'reason',
  'metadata',
  'labels',
  'thumbnail',
  'execution',
];
/**
 * Printed too, beyond the list: the view the API also serves carries the upload time, the
 * display rendition (null when the original serves as it is), the photo it duplicates (null when none)
 * and its processing attempts.
 */
const EXTRA_RESULT_KEYS = ['uploadedAt', 'rendition', 'duplicateOf', 'attempts'];
const METADATA_KEYS = [
  'format',
  'width',
  'height',
  'orientation',
  'sizeBytes',
  'capturedAt',
  'make',
  'model',
  'gps',
];
const EXECUTION_KEYS = ['name', 'status', 'durationMs'];

const started: CliProcess[] = [];
const stateDirs: string[] = [];

function run(script: string, args: string[]): CliProcess {
  const cli = runCli(script, args);
  started.push(cli);
  return cli;
}

function newStateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'photo-cli-e2e-'));
  stateDirs.push(dir);
  return dir;
}

afterAll(async () => {
  // Only what a failed test left running.
  for (const cli of started) killProcessGroup(cli);
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT);

describe('npm run pipeline, then npm start with npm run pipeline using it', () => {
  let stateDir: string;

  beforeAll(() => {
    stateDir = newStateDir();
  });

  it(
    'npm run pipeline with no cloud running starts one for the run, prints JSON, and stops it',
    async () => {
      // Act
      const pipeline = run('local/pipeline.ts', ['--json', '--state-dir', stateDir, fixturePath('exif')]);
      const exitCode = await pipeline.exited;

      // Assess
      expect(exitCode, pipeline.stderr()).toBe(0);
      expectOneResultPerFile(pipeline.stdout(), fixturePath('exif'));
      expect(leftBehind(stateDir)).toEqual([]);
      // The SDK's multi-line Node-version warning is replaced by one line (local/node-notice.ts).
      expect(pipeline.stderr()).not.toContain('NodeVersionSupportWarning');
    },
    TEST_TIMEOUT,
  );

  it(
    'npm start runs the cloud until SIGINT, npm run pipeline uses it, and nothing is left behind',
    async () => {
      // Prepare
      // On DynamoDB Local (opt-in), so that its JVM's shutdown is checked too.
      const cloud = run('local/main.ts', ['--state-dir', stateDir, '--dynamodb-local', ...ALL_PORTS_FREE]);
      await cloud.waitForOutput('Local cloud running', HOOK_TIMEOUT);
      // The leak check below can see the cloud's processes: DynamoDB Local's java names the state dir.
      expect(processesMentioning(stateDir).some((p) => p.includes('DynamoDBLocal.jar'))).toBe(true);
      // It listens on every interface, and says so.
      expect(cloud.stderr()).toMatch(/DynamoDB Local .* listens on every network interface/);

      // Act: a run against the running cloud
      const folder = fixturePath('orientation');
      const pipeline = run('local/pipeline.ts', ['--json', '--state-dir', stateDir, folder]);
      const exitCode = await pipeline.exited;

      // Assess: the photos are in the running cloud, not in a private one the run started
      expect(exitCode, pipeline.stderr()).toBe(0);
      const results = expectOneResultPerFile(pipeline.stdout(), folder);
      const running = JSON.parse(readFileSync(path.join(stateDir, 'running.json'), 'utf8')) as {
        env: Record<string, string>;
        outputs: Record<string, string>;
      };
      const clients = pipelineClients(running.env);
      try {
        for (const result of results) {
          const record = await readRecord(
            clients,
            running.outputs.ImageMetadataTableName,
            LOCAL_OWNER,
            result.photoId,
          );
          expect(record?.status).toBe(result.status);
          expect((await describePhoto(clients, record!)).execution.status).toBe('SUCCEEDED');
        }
      } finally {
        clients.destroy();
      }

      // Act: Ctrl-C
      process.kill(cloud.child.pid!, 'SIGINT');
      const cloudExit = await cloud.exited;

      // Assess
      expect(cloudExit, cloud.stderr()).toBe(0);
      expect(cloud.stdout()).toContain('Stopped.');
      expect(leftBehind(stateDir)).toEqual([]);
      expect(readdirSync(stateDir)).not.toContain('running.json');
    },
    TEST_TIMEOUT,
  );
});

describe('npm start on a port already in use', () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => blocker?.close(resolve));
  });

  it(
    'fails with a message naming the port and the flag to change it',
    async () => {
      // Prepare
      const stateDir = newStateDir();

      // Act
      const cloud = run('local/main.ts', [
        '--state-dir',
        stateDir,
        ...ALL_PORTS_FREE,
        '--s3-port',
        String(port),
      ]);
      const exitCode = await cloud.exited;

      // Assess
      expect(exitCode).toBe(1);
      expect(cloud.stderr()).toContain(`Port ${port}`);
      expect(cloud.stderr()).toContain('--s3-port');
      expect(leftBehind(stateDir)).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});

/** Processes whose command line names the state dir (DynamoDB Local's java runs with -dbPath inside it). */
function leftBehind(stateDir: string): string[] {
  return processesMentioning(stateDir);
}

interface PrintedResult {
  file: string;
  photoId: string;
  status: string;
}

/** Parses `--json` output: one object a line, one per file of the folder, each in the shape. */
function expectOneResultPerFile(stdout: string, folder: string): PrintedResult[] {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const results = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const files = readdirSync(folder)
    .filter((name) => !name.startsWith('.'))
    .map((name) => path.join(folder, name))
    .sort();

  expect(results.map((r) => r.file).sort()).toEqual(files);
  for (const result of results) {
    expect(Object.keys(result).sort()).toEqual([...RESULT_KEYS, ...EXTRA_RESULT_KEYS].sort());
    expect(result).toMatchObject({
      file: expect.any(String),
      photoId: expect.any(String),
      key: expect.any(String),
      labels: expect.any(Array),
    });
    expect(TERMINAL_STATUSES).toContain(result.status);
    expect(result.reason === null || typeof result.reason === 'string').toBe(true);
    expect(Object.keys(result.metadata as object).sort()).toEqual([...METADATA_KEYS].sort());
    expect(Object.keys(result.execution as object).sort()).toEqual([...EXECUTION_KEYS].sort());
    for (const label of result.labels as object[]) {
      expect(label).toEqual({ name: expect.any(String), confidence: expect.any(Number) });
    }
    if (result.thumbnail !== null) {
      expect(result.thumbnail).toMatchObject({ key: expect.any(String), width: expect.any(Number) });
    }
  }
  return results as unknown as PrintedResult[];
}
