import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AsyncInvocationQueue } from '../../local/lambda/async-queue';
import { LocalFunction } from '../../local/lambda/runtime';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lambda-async-queue-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the local Lambda's async queue", () => {
  it('keeps accepted events across instances until each is settled, oldest first', () => {
    const queue = new AsyncInvocationQueue(join(dir, 'queue'));
    const first = queue.add({ functionArn: 'arn:a', event: { n: 1 }, source: 'S3 notification' });
    const second = queue.add({ functionArn: 'arn:b', event: { n: 2 }, source: 'An EventBridge rule' });

    // A new instance on the same directory is the next start of the cloud.
    const reopened = new AsyncInvocationQueue(join(dir, 'queue'));
    expect(reopened.pending()).toEqual([first, second]);

    reopened.settle(first);
    expect(new AsyncInvocationQueue(join(dir, 'queue')).pending()).toEqual([second]);
    reopened.settle(second);
    reopened.settle(second); // settling twice is harmless
    expect(reopened.pending()).toEqual([]);
  });

  it('skips files that are not whole entries (a torn write, a stray file) and leaves them for a person', () => {
    const queue = new AsyncInvocationQueue(dir);
    const kept = queue.add({ functionArn: 'arn:a', event: {}, source: 'S3 notification' });
    writeFileSync(join(dir, '000000000000001-torn.json'), '{"functionArn":"arn:');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, '000000000000002-renamed.json'), JSON.stringify({ ...kept, id: 'other' }));

    expect(queue.pending()).toEqual([kept]);
    expect(readdirSync(dir)).toHaveLength(4);
  });
});

/** A local function whose handler module is `code`. */
function functionRunning(name: string, code: string): LocalFunction {
  const entry = join(dir, `${name}.mjs`);
  writeFileSync(entry, code);
  return new LocalFunction(
    {
      logicalId: name,
      name,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      entry,
      handlerExport: 'handler',
      environment: { PATH: process.env.PATH ?? '' },
      timeoutSeconds: 30,
      memoryMb: 128,
      concurrency: 1,
    },
    join(dir, 'logs'),
  );
}

describe('an async invoke interrupted by the shutdown', () => {
  it("reports 'interrupted', not a failure: the event stays queued, nothing is dead-lettered", async () => {
    const fn = functionRunning(
      'slow',
      'export const handler = () => new Promise((resolve) => setTimeout(resolve, 10_000));\n',
    );
    const failures: unknown[] = [];
    const outcome = fn.invokeAsync({}, { retries: 2, retryDelayMs: 10, onFailure: (e) => failures.push(e) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await fn.close();

    expect(await outcome).toBe('interrupted');
    expect(failures).toEqual([]);
  }, 30_000);

  it("reports 'settled' after the failure destination took an event that failed every attempt", async () => {
    const fn = functionRunning('failing', 'export const handler = () => { throw new Error("no"); };\n');
    const failures: unknown[] = [];
    try {
      expect(
        await fn.invokeAsync({ n: 1 }, { retries: 1, retryDelayMs: 10, onFailure: (e) => failures.push(e) }),
      ).toBe('settled');
      expect(failures).toEqual([{ n: 1 }]);
    } finally {
      await fn.close();
    }
  }, 30_000);
});
