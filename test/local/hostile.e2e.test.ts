/**
 * Hostile and careless uploads, end to end in the local cloud: each ends in its truthful terminal
 * state within seconds, never a timeout, never an oversized state output or record. The files are
 * made here (test/lambda/hostile-files.ts); nothing hostile is checked in.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timelineFrom } from '../../lambda/get-photo/timeline';
import { MAX_TEXT_LENGTH } from '../../lambda/shared/bounds';
import { LOCAL_OWNER, type PipelineResult, runPipeline } from '../../local/pipeline-run';
import { smallJpeg, tiffWithMake, tinySegmentsJpeg } from '../lambda/hostile-files';
import { recordsWithKey, startTestCloud, type TestCloud } from './e2e-helpers';

const HOOK_TIMEOUT = 180_000;
/**
 * "Within seconds", cold starts included, five uploads at once on two cores: far below the function
 * timeout (30 s) these cases used to run into, or the 20 s of ~250 ranged GETs.
 */
const WITHIN_SECONDS_MS = 10_000;
const MiB = 1024 * 1024;

let env: TestCloud;
let dir: string;
const results = new Map<string, PipelineResult>();
const resultOf = (name: string) => {
  const result = results.get(name);
  if (!result) throw new Error(`${name} was not processed (see beforeAll)`);
  return result;
};

beforeAll(async () => {
  // Prepare
  dir = mkdtempSync(path.join(tmpdir(), 'hostile-uploads-'));
  const files: Record<string, Buffer> = {
    'empty.jpg': Buffer.alloc(0),
    'huge-make.tiff': tiffWithMake(`Hostile ${'M'.repeat(1_000_000)}`),
    'tiny-segments-4mib.jpg': tinySegmentsJpeg(await smallJpeg(200, 150), 4 * MiB),
    'tiny-segments-9mib.jpg': tinySegmentsJpeg(await smallJpeg(200, 150), 9 * MiB),
    // The same picture without the padding: what a READY photo costs here, for comparison.
    'control.jpg': await smallJpeg(200, 150),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
  env = await startTestCloud();

  // Act: all at once, as `npm run pipeline` sends them.
  const started = Date.now();
  const processed = await runPipeline(
    env.clients,
    env.target,
    Object.keys(files).map((name) => path.join(dir, name)),
    { timeoutMs: 90_000 },
  );
  const wallMs = Date.now() - started;
  for (const result of processed) results.set(path.basename(result.file), result);
  const steps = await Promise.all(processed.map((r) => stepTimes(r.key)));
  console.log(
    [
      `Hostile uploads (all at once, cold start included; wall time for all: ${wallMs} ms):`,
      '  case                      outcome   execution  reason',
      ...processed.map(
        (r) =>
          `  ${path.basename(r.file).padEnd(25)} ${r.status.padEnd(9)} ${`${r.execution.durationMs} ms`.padStart(9)}  ${r.reason ?? ''}`,
      ),
      'Time per step:',
      ...processed.map((r, i) => `  ${path.basename(r.file).padEnd(25)} ${steps[i]}`),
    ].join('\n'),
  );
}, HOOK_TIMEOUT);

/** "ExtractImageMetadata 120 ms, ..." for the Task and Parallel states of the photo's execution. */
async function stepTimes(key: string): Promise<string> {
  const [record] = await recordsWithKey(env.clients, env.target.table, LOCAL_OWNER, key);
  if (!record?.executionId) return '(no execution)';
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await env.clients.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: record.executionId, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return timelineFrom(events)
    .filter((step) => step.type === 'Task' || step.type === 'Parallel')
    .map((step) => `${step.name} ${step.durationMs} ms`)
    .join(', ');
}

afterAll(async () => {
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, HOOK_TIMEOUT);

describe('hostile uploads in the local cloud', () => {
  it('rejects an empty .jpg as empty within seconds, not after a timeout', () => {
    const result = resultOf('empty.jpg');

    expect(result.status, result.reason ?? '').toBe('REJECTED');
    expect(result.reason).toMatch(/^The file is empty/);
    expect(result.metadata).toMatchObject({ format: null, sizeBytes: 0 });
    expect(result.execution.durationMs).toBeLessThan(WITHIN_SECONDS_MS);
  });

  it('processes a TIFF with a 1,000,000-character Make to READY, with small metadata and record', async () => {
    const result = resultOf('huge-make.tiff');
    const [record] = await recordsWithKey(env.clients, env.target.table, LOCAL_OWNER, result.key);

    // TIFF is among the default formats: it gets its display rendition and thumbnail like any photo.
    expect(result.status, result.reason ?? '').toBe('READY');
    expect(result.metadata.format).toBe('tiff');
    expect(result.rendition).not.toBeNull();
    expect((result.metadata.make ?? '').length).toBeLessThanOrEqual(MAX_TEXT_LENGTH);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(4096);
    // The whole READY path (rendition, labels, thumbnail) on a busy two-core machine: about 20 s at worst.
    expect(result.execution.durationMs).toBeLessThan(60_000);
  });

  it('processes a 4 MiB JPEG header of a million tiny segments to READY within seconds', () => {
    const result = resultOf('tiny-segments-4mib.jpg');

    expect(result.status, result.reason ?? '').toBe('READY');
    expect(result.metadata).toMatchObject({ format: 'jpeg', width: 200, height: 150 });
    expect(result.thumbnail).not.toBeNull();
    // Labels and a thumbnail too: compare with control.jpg, the same picture without the padding.
    expect(result.execution.durationMs).toBeLessThan(20_000);
  });

  it('fails a JPEG whose header goes on past 8 MiB with that reason, within seconds', () => {
    const result = resultOf('tiny-segments-9mib.jpg');

    expect(result.status, result.reason ?? '').toBe('FAILED');
    expect(result.reason).toMatch(/^The image's header is larger than 8 MiB/);
    expect(result.execution.durationMs).toBeLessThan(WITHIN_SECONDS_MS);
  });
});
