/**
 * The reconciler run from the template in the local cloud: an execution that stops outside the
 * definition's catches (StopExecution, or RUNNING when the cloud stops) sends its status-change event
 * through the EventBridge rule to ReconcilePhoto, which marks the photo FAILED with the reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { PhotoRecord } from '../../lambda/shared/model';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import {
  LOCAL_OWNER,
  type PipelineClients,
  pipelineClients,
  readRecord,
  uploadPhoto,
} from '../../local/pipeline-run';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 120_000;
const ABORTED_REASON = 'Processing stopped: the execution was aborted';

const stateDir = mkdtempSync(path.join(tmpdir(), 'photo-e2e-reconciler-'));
let cloud: LocalCloud | undefined;
let clients: PipelineClients | undefined;

async function start() {
  cloud = await startLocalCloud({
    stateDir,
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  });
  clients = pipelineClients(cloud.clientEnvironment());
  return { cloud, clients };
}

/** The running cloud, or a new one on the same state directory. */
async function running() {
  return cloud && clients ? { cloud, clients } : start();
}

async function stop() {
  clients?.destroy();
  await cloud?.close();
  clients = undefined;
  cloud = undefined;
}

afterAll(async () => {
  await stop();
  rmSync(stateDir, { recursive: true, force: true });
}, TEST_TIMEOUT);

/** Polls the record until `done` says so; the last one seen when time is up. */
async function waitForRecord(
  c: PipelineClients,
  table: string,
  photoId: string,
  done: (record: PhotoRecord) => boolean,
  timeoutMs: number,
): Promise<PhotoRecord | null> {
  const deadline = Date.now() + timeoutMs;
  let record: PhotoRecord | null = null;
  while (Date.now() < deadline) {
    record = await readRecord(c, table, LOCAL_OWNER, photoId);
    if (record && done(record)) return record;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return record;
}

/** Uploads a photo and returns as soon as its execution is RUNNING. */
async function uploadAndCatchRunning(c: PipelineClients, target: LocalCloud) {
  const table = target.outputs.ImageMetadataTableName;
  const { photoId } = await uploadPhoto(
    c,
    target.outputs.PhotoRepoBucketName,
    fixturePath('photos/fruits.jpg'),
  );
  const processing = await waitForRecord(c, table, photoId, (r) => Boolean(r.executionName), 20_000);
  expect(processing?.status).toBe('PROCESSING');
  const executionArn = `${target.outputs.ImageProcStateMachineArn.replace(':stateMachine:', ':execution:')}:${processing!.executionName}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const described = await c.sfn.send(new DescribeExecutionCommand({ executionArn })).catch(() => undefined);
    if (described?.status === 'RUNNING') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { photoId, executionArn, table };
}

describe('the reconciler in the local cloud', () => {
  it(
    'marks a photo whose execution is stopped with StopExecution FAILED with the aborted reason, within seconds',
    async () => {
      const { cloud: target, clients: c } = await running();
      const { photoId, executionArn, table } = await uploadAndCatchRunning(c, target);

      const stoppedAt = Date.now();
      await c.sfn.send(new StopExecutionCommand({ executionArn, cause: 'Stopped by the test' }));
      const record = await waitForRecord(c, table, photoId, (r) => r.status !== 'PROCESSING', 10_000);
      const elapsedMs = Date.now() - stoppedAt;

      const execution = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution.status).toBe('ABORTED');
      expect(record).toMatchObject({ status: 'FAILED', reason: ABORTED_REASON, executionId: executionArn });
      expect(elapsedMs).toBeLessThan(5_000);
      console.log(`StopExecution → FAILED (${ABORTED_REASON}) in ${elapsedMs} ms`);
    },
    TEST_TIMEOUT,
  );

  it(
    'marks a photo whose execution was RUNNING when the cloud stopped FAILED once the cloud is back',
    async () => {
      const { cloud: target, clients: c } = await running();
      const { photoId, table } = await uploadAndCatchRunning(c, target);

      await stop();
      const { clients: again } = await start();
      const restartedAt = Date.now();
      const record = await waitForRecord(again, table, photoId, (r) => r.status !== 'PROCESSING', 10_000);

      expect(record).toMatchObject({ status: 'FAILED', reason: ABORTED_REASON });
      console.log(
        `Restart → FAILED (${ABORTED_REASON}) ${Date.now() - restartedAt} ms after the cloud was back`,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    'marks a photo whose execution exceeds the 256 KiB state limit FAILED with States.DataLimitExceeded',
    async () => {
      const { cloud: target, clients: c } = await running();
      const bucket = target.outputs.PhotoRepoBucketName;
      const table = target.outputs.ImageMetadataTableName;
      // Outside Incoming/, so no upload event starts an execution of its own; this test starts one.
      const key = 'Test/fruits.jpg';
      await c.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: readFileSync(fixturePath('photos/fruits.jpg')),
        }),
      );
      const photoId = 'data-limit';
      const name = 'data-limit-0123456789abcdef';
      await c.dynamo.send(
        new PutCommand({
          TableName: table,
          Item: {
            owner: LOCAL_OWNER,
            photoId,
            bucket,
            originalKey: key,
            status: 'PROCESSING',
            reason: null,
            uploadedAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            executionName: name,
            executionId: null,
            metadata: null,
            labels: [],
            tags: [],
            thumbnail: null,
          },
        }),
      );
      // An input just under the limit: ExtractImageMetadata's output (the input with the metadata merged
      // at $.metadata) is over it, which no Catch of the definition can take.
      const input = { bucket, key, owner: LOCAL_OWNER, photoId, uploadedAt: new Date().toISOString() };
      // 50 bytes under: the metadata object alone is longer.
      const padding = 262_144 - 50 - Buffer.byteLength(JSON.stringify({ ...input, padding: '' }));
      const started = Date.now();
      const { executionArn } = await c.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: target.outputs.ImageProcStateMachineArn,
          name,
          input: JSON.stringify({ ...input, padding: 'x'.repeat(padding) }),
        }),
      );

      const record = await waitForRecord(c, table, photoId, (r) => r.status !== 'PROCESSING', 20_000);

      const execution = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
      expect(record).toMatchObject({
        status: 'FAILED',
        reason:
          "Processing stopped: the execution failed: States.DataLimitExceeded: The state/task 'ExtractImageMetadata' returned a result with a size exceeding the maximum number of bytes service limit.",
      });
      console.log(`States.DataLimitExceeded → FAILED in ${Date.now() - started} ms`);
    },
    TEST_TIMEOUT,
  );
});
