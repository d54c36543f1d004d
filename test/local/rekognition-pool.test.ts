import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../local/rekognition/prepare';
import { ModelRecognizer } from '../../local/rekognition/recognizer';
import { RecognizerPool } from '../../local/rekognition/recognizer-pool';
import { FIXTURES } from './fixtures';

const FAKE_WORKER = new URL('./fake-recognizer-worker.mjs', import.meta.url);

/** What the fake worker answers besides a Recognition: the request's text and when and where it ran. */
interface FakeAnswer {
  readonly text: string;
  readonly threadId: number;
  readonly started: number;
  readonly ended: number;
}

let pool: RecognizerPool | undefined;
const fakePool = (size: number) => {
  pool = new RecognizerPool({ size, workerScript: FAKE_WORKER });
  return pool;
};
const ask = async (target: RecognizerPool, text: string) =>
  (await target.recognize(Buffer.from(text))) as unknown as FakeAnswer;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('RecognizerPool', () => {
  it('runs one request on each worker at once', async () => {
    // Prepare
    const target = fakePool(2);

    // Act
    const [a, b] = await Promise.all([ask(target, 'sleep:300'), ask(target, 'sleep:300')]);

    // Assess: two threads, and each started before the other ended.
    expect(a.threadId).not.toBe(b.threadId);
    expect(a.started).toBeLessThan(b.ended);
    expect(b.started).toBeLessThan(a.ended);
  });

  it('answers queued requests first come, first served', async () => {
    // Prepare
    const target = fakePool(1);
    const finished: string[] = [];

    // Act
    await Promise.all(
      ['sleep:50', 'first', 'second', 'third'].map((text) =>
        ask(target, text).then(() => finished.push(text)),
      ),
    );

    // Assess
    expect(finished).toEqual(['sleep:50', 'first', 'second', 'third']);
  });

  it('tells undecodable pixels apart from other failures', async () => {
    // Act
    const error = await fakePool(1)
      .recognize(Buffer.from('fail'))
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as Error).message).toBe('Image pixels do not decode: bad');
  });

  it('fails only the request whose worker died, and replaces the worker', async () => {
    // Prepare
    const target = fakePool(1);

    // Act
    const [crashed, after] = await Promise.allSettled([ask(target, 'crash'), ask(target, 'after')]);

    // Assess
    expect(crashed).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/worker stopped.*code 3/) },
    });
    expect(after).toMatchObject({ status: 'fulfilled', value: { text: 'after' } });
  });

  it('fails what is still queued when closed, and refuses new work', async () => {
    // Prepare
    const target = fakePool(1);
    const outcomes = Promise.allSettled([ask(target, 'sleep:200'), ask(target, 'queued')]);

    // Act
    await target.close();

    // Assess
    const stopping = { status: 'rejected', reason: { message: expect.stringContaining('stopping') } };
    expect(await outcomes).toMatchObject([stopping, stopping]);
    await expect(ask(target, 'late')).rejects.toThrow('stopping');
  });

  it('refuses a size that is not a whole number of workers', () => {
    // Assess
    expect(() => new RecognizerPool({ size: 0 })).toThrow('whole number of workers >= 1');
  });

  it('answers exactly what the models answer on this thread', async () => {
    // Prepare: the real worker and models, against a recognizer on the test's own thread.
    pool = new RecognizerPool({ size: 1 });
    const image = await readFile(path.join(FIXTURES, 'photos/cat.jpg'));
    const local = new ModelRecognizer();

    // Act
    const [inWorker, onThread] = await Promise.all([pool.recognize(image), local.recognize(image)]);

    // Assess
    expect(inWorker.classes).toEqual(onThread.classes);
    expect(inWorker.detections).toEqual(onThread.detections);
    expect(inWorker.classes[0].probability).toBeGreaterThan(0.5);
  });
});
