/**
 * Deleting a photo while the pipeline is still working on it, end to end in the local cloud: the
 * delete goes through the API (as the web app sends it), the upload through the SDK. Nothing may be
 * left behind (record, original, thumbnail), and a duplicate of the upload event delivered after the
 * delete must not bring the photo back.
 */
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListPhotosResponse } from '../../lambda/shared/api';
import { THUMBNAIL_PREFIX } from '../../lambda/shared/model';
import { LOCAL_OWNER, readRecord, uploadPhoto } from '../../local/pipeline-run';
import { eventObjectKey, sleep, startTestCloud, type TestCloud } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 240_000;
const HOOK_TIMEOUT = 180_000;
const WAIT_MS = 120_000;

let env: TestCloud;

beforeAll(async () => {
  env = await startTestCloud();
}, HOOK_TIMEOUT);

afterAll(async () => {
  await env?.close();
}, HOOK_TIMEOUT);

/** DELETE /photos/{photoId} as the local user, the way the web app calls it. */
async function deleteThroughApi(photoId: string): Promise<number> {
  const response = await fetch(`${env.cloud.endpoints.web}/api/photos/${photoId}`, {
    method: 'DELETE',
    headers: { 'X-Local-User': LOCAL_OWNER },
  });
  await response.arrayBuffer();
  return response.status;
}

async function getThroughApi(photoId: string): Promise<number> {
  const response = await fetch(`${env.cloud.endpoints.web}/api/photos/${photoId}`, {
    headers: { 'X-Local-User': LOCAL_OWNER },
  });
  await response.arrayBuffer();
  return response.status;
}

async function listedIds(): Promise<string[]> {
  const response = await fetch(`${env.cloud.endpoints.web}/api/photos?limit=100`, {
    headers: { 'X-Local-User': LOCAL_OWNER },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as ListPhotosResponse).photos.map((photo) => photo.photoId);
}

async function objectExists(key: string): Promise<boolean> {
  return env.clients.s3.send(new HeadObjectCommand({ Bucket: env.target.bucket, Key: key })).then(
    () => true,
    (error: Error) => {
      if (error.name === 'NotFound' || error.name === 'NoSuchKey') return false;
      throw error;
    },
  );
}

/** Every key in the bucket that belongs to the photo (original and thumbnails, whatever their extension). */
async function objectsOf(photoId: string): Promise<string[]> {
  const { Contents } = await env.clients.s3.send(new ListObjectsV2Command({ Bucket: env.target.bucket }));
  return (Contents ?? []).map((object) => object.Key!).filter((key) => key.includes(photoId));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await sleep(10);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

async function allExecutions() {
  const { executions } = await env.clients.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: env.cloud.outputs.ImageProcStateMachineArn }),
  );
  return executions ?? [];
}

/** Waits until the execution of that name has ended, and returns its status. */
async function executionEnd(name: string): Promise<string> {
  return waitFor(`execution ${name} to end`, async () => {
    const execution = (await allExecutions()).find((e) => e.name === name);
    return execution && execution.status !== 'RUNNING' && execution.status;
  });
}

/** Nothing of the photo is left: the API knows nothing of it, no object, only a tombstone in the table. */
async function expectNothingLeft(photoId: string, key: string): Promise<void> {
  expect(await getThroughApi(photoId)).toBe(404);
  expect(await listedIds()).not.toContain(photoId);
  expect(await objectExists(key)).toBe(false);
  for (const extension of ['jpg', 'png']) {
    expect(await objectExists(`${THUMBNAIL_PREFIX}${LOCAL_OWNER}/${photoId}.${extension}`)).toBe(false);
  }
  expect(await objectsOf(photoId)).toEqual([]);
  expect(await readRecord(env.clients, env.target.table, LOCAL_OWNER, photoId)).toMatchObject({
    status: 'DELETED',
  });
}

describe('a photo deleted while it is processing', () => {
  const moments = {
    // Usually before (or during) ExtractImageMetadata: the record has only just been written.
    'as soon as its record exists': async () => true,
    // The thumbnail is written, DetectLabels (the recognizer) is still working, RecordReady has not run.
    'once its thumbnail is written, before it is READY': async (photoId: string) =>
      objectExists(`${THUMBNAIL_PREFIX}${LOCAL_OWNER}/${photoId}.jpg`),
  };

  it.each(Object.keys(moments) as (keyof typeof moments)[])(
    'leaves no record, original or thumbnail when deleted %s, and a redelivered upload event does not bring it back',
    async (moment) => {
      // Prepare
      const { photoId, key } = await uploadPhoto(
        env.clients,
        env.target.bucket,
        fixturePath('photos/cat.jpg'),
      );
      const record = await waitFor('the PROCESSING record', async () =>
        readRecord(env.clients, env.target.table, LOCAL_OWNER, photoId),
      );
      await waitFor(`the moment: ${moment}`, () => moments[moment](photoId));
      const current = await readRecord(env.clients, env.target.table, LOCAL_OWNER, photoId);
      expect(current?.status, 'still processing when deleted').toBe('PROCESSING');

      // Act
      expect(await deleteThroughApi(photoId)).toBe(204);
      const status = await executionEnd(record.executionName);
      await env.cloud.waitForIdle();

      // Assess: the execution ended (FAILED: its photo vanished under it) and left nothing.
      expect(['FAILED', 'SUCCEEDED']).toContain(status);
      await expectNothingLeft(photoId, key);

      // Act: S3 delivers the upload event again, after the delete.
      const delivery = env.cloud.s3.delivered.find((d) => eventObjectKey(d.event) === key);
      expect(delivery, 'the upload event was delivered').toBeDefined();
      const executionsBefore = (await allExecutions()).length;
      await env.cloud.s3.redeliver(delivery!);
      await env.cloud.waitForIdle();

      // Assess: no new execution, no record.
      expect((await allExecutions()).length).toBe(executionsBefore);
      await expectNothingLeft(photoId, key);
    },
    TEST_TIMEOUT,
  );

  it(
    'answers 404 to a second DELETE, as to a photo that never existed',
    async () => {
      const { photoId } = await uploadPhoto(env.clients, env.target.bucket, fixturePath('photos/cat.jpg'));
      const record = await waitFor('the PROCESSING record', async () =>
        readRecord(env.clients, env.target.table, LOCAL_OWNER, photoId),
      );

      expect(await deleteThroughApi(photoId)).toBe(204);
      expect(await deleteThroughApi(photoId)).toBe(404);
      expect(await deleteThroughApi('never-uploaded')).toBe(404);
      await executionEnd(record.executionName);
      await env.cloud.waitForIdle();
    },
    TEST_TIMEOUT,
  );
});
