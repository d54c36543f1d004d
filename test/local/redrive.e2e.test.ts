/**
 * A start-execution failure in the local cloud, from the template: StartExecution fails on every
 * attempt (the function's environment names a state machine that does not exist), so the photo's
 * record is marked FAILED with the reason and, after Lambda's two retries, the S3 event is a dead
 * letter. The redrive (what `npm run redrive` runs) sends it through start-execution again: READY.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PhotoRecord } from '../../lambda/shared/model';
import { START_FAILED_PREFIX } from '../../lambda/start-execution/start-execution';
import { readDeadLetters, redriveDeadLetters } from '../../local/dead-letters';
import { LOCAL_OWNER, readRecord, uploadPhoto } from '../../local/pipeline-run';
import { sleep, startTestCloud, type TestCloud } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 120_000;

let test: TestCloud;
beforeAll(async () => {
  test = await startTestCloud();
}, TEST_TIMEOUT);
afterAll(async () => {
  await test?.close();
}, TEST_TIMEOUT);

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await read();
  }
  return value;
}

describe('a start-execution failure in the local cloud', () => {
  it(
    'ends FAILED with the reason and a dead letter, and the redrive takes the photo to READY',
    async () => {
      const { cloud, clients, target, stateDir } = test;
      const startFunction = [...cloud.functions.values()].find((fn) =>
        // The function itself, not its PreTraffic hook (DeploymentImageProcStartExecutionPreTrafficHook…).
        fn.spec.logicalId.startsWith('ProcessingImageProcStartExecution'),
      );
      expect(startFunction).toBeDefined();
      // Read when its first execution environment starts: no upload has started one yet.
      startFunction!.spec.environment.STATE_MACHINE_ARN = `${cloud.outputs.ImageProcStateMachineArn}Missing`;
      const deadLetterDir = join(stateDir, 'dead-letters');

      const { photoId } = await uploadPhoto(clients, target.bucket, fixturePath('photos/fruits.jpg'));
      const letters = await poll(
        async () => readDeadLetters(deadLetterDir),
        (found) => found.length > 0,
        30_000,
      );
      const failed = (await readRecord(clients, target.table, LOCAL_OWNER, photoId)) as PhotoRecord | null;

      expect(letters).toHaveLength(1);
      expect(letters[0].error.errorType).toBe('StartExecutionFailed');
      expect(startFunction!.invocations).toBe(3); // the first attempt and Lambda's two retries
      expect(failed?.status).toBe('FAILED');
      expect(failed?.reason).toMatch(new RegExp(`^${START_FAILED_PREFIX}.*does not exist`, 'i'));
      console.log(`Start failure → FAILED: ${failed?.reason}`);

      const result = await redriveDeadLetters({
        deadLetterDir,
        env: cloud.clientEnvironment(),
        tableName: target.table,
        // Through the live alias, as `npm run redrive` and start-execution itself start executions.
        stateMachineArn: cloud.outputs.ImageProcLiveAliasArn,
      });
      const ready = await poll(
        async () => (await readRecord(clients, target.table, LOCAL_OWNER, photoId)) as PhotoRecord | null,
        (record) => record?.status !== 'PROCESSING',
        60_000,
      );

      expect(result).toEqual({ redriven: 1, failed: [] });
      expect(readDeadLetters(deadLetterDir)).toEqual([]);
      expect(ready).toMatchObject({ status: 'READY', reason: null });
      expect(ready?.labels.length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );
});
