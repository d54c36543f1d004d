/**
 * Duplicates and retries end to end in the local cloud, through the API as the web app uses it: a
 * byte-identical re-upload is READY with `duplicateOf` and the original's labels without a
 * DetectLabels call, and keeps its own thumbnail whichever of the two is deleted; a photo that failed
 * on a transient fault (a crashed Lambda environment) is processed again by POST /photos/{id}/retry.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, PhotoDetail, RetryPhotoResponse } from '../../lambda/shared/api';
import { STATES } from '../../lambda/shared/workflow';
import type { LocalCloud } from '../../local/cloud';
import { readRecord } from '../../local/pipeline-run';
import { ApiClient } from './api-client';
import { startTestCloud, type TestCloud } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 300_000;
const HOOK_TIMEOUT = 180_000;
const PHOTO = 'photos/cat.jpg';

let env: TestCloud;
let api: ApiClient;

beforeAll(async () => {
  env = await startTestCloud();
  api = new ApiClient(`${env.cloud.endpoints.web}/api`);
}, HOOK_TIMEOUT);

afterAll(async () => {
  await env?.close();
}, HOOK_TIMEOUT);

function functionNamed(cloud: LocalCloud, handlerDir: string) {
  const fn = [...cloud.functions.values()].find((f) => f.spec.entry.includes(`/lambda/${handlerDir}/`));
  if (!fn) throw new Error(`No local function runs lambda/${handlerDir}`);
  return fn;
}

async function thumbnailServed(photo: PhotoDetail): Promise<boolean> {
  if (!photo.urls.thumbnail) return false;
  const response = await fetch(photo.urls.thumbnail);
  const bytes = Buffer.from(await response.arrayBuffer());
  return response.status === 200 && bytes.length > 100;
}

describe('duplicates', () => {
  it(
    'a byte-identical re-upload reuses the labels (no DetectLabels call); each photo survives the delete of the other',
    async () => {
      const user = 'dup-user';
      const md5 = createHash('md5')
        .update(readFileSync(fixturePath(PHOTO)))
        .digest('hex');

      // The original: labelled by the recognizer.
      const a = await api.upload(user, PHOTO, 'image/jpeg');
      const original = await api.waitForPhoto(user, a.photoId);
      expect(original.status).toBe('READY');
      expect(original.duplicateOf).toBeNull();
      expect(original.labels.length).toBeGreaterThan(0);
      // The local S3 reports the object's real ETag, the MD5 of a single-part upload.
      expect((await readRecord(env.clients, env.target.table, user, a.photoId))?.etag).toBe(md5);
      const callsAfterOriginal = env.cloud.rekognition.stats.detectLabels;

      // The same bytes again, under a new photo id.
      const b = await api.upload(user, PHOTO, 'image/jpeg');
      const copy = await api.waitForPhoto(user, b.photoId);
      expect(copy).toMatchObject({ status: 'READY', duplicateOf: a.photoId, labels: original.labels });
      expect(env.cloud.rekognition.stats.detectLabels, 'no DetectLabels call for the copy').toBe(
        callsAfterOriginal,
      );
      expect(copy.thumbnail?.key).not.toBe(original.thumbnail?.key);

      // Delete the copy: the original keeps its thumbnail.
      expect((await api.call(user, 'DELETE', `/photos/${b.photoId}`)).status).toBe(204);
      const originalAfter = await api.call<PhotoDetail>(user, 'GET', `/photos/${a.photoId}`);
      expect(await thumbnailServed(originalAfter.body)).toBe(true);

      // Another copy, then delete the original: the copy keeps its thumbnail and labels.
      const c = await api.upload(user, PHOTO, 'image/jpeg');
      const secondCopy = await api.waitForPhoto(user, c.photoId);
      expect(secondCopy.duplicateOf).toBe(a.photoId);
      expect((await api.call(user, 'DELETE', `/photos/${a.photoId}`)).status).toBe(204);
      // The deleted original's ETag does not outlive it in the content index.
      const size = readFileSync(fixturePath(PHOTO)).length;
      expect(await readRecord(env.clients, env.target.table, user, `content#${md5}#${size}`)).toBeNull();
      const copyAfter = await api.call<PhotoDetail>(user, 'GET', `/photos/${c.photoId}`);
      expect(copyAfter.status).toBe(200);
      expect(copyAfter.body.labels).toEqual(original.labels);
      expect(await thumbnailServed(copyAfter.body)).toBe(true);

      // With the original gone, the next identical upload is labelled afresh (never from a deleted photo).
      const d = await api.upload(user, PHOTO, 'image/jpeg');
      const afresh = await api.waitForPhoto(user, d.photoId);
      expect(afresh).toMatchObject({ status: 'READY', duplicateOf: null });
      expect(env.cloud.rekognition.stats.detectLabels).toBeGreaterThan(callsAfterOriginal);
    },
    TEST_TIMEOUT,
  );

  it(
    "never treats another user's identical photo as a duplicate",
    async () => {
      const first = await api.upload('dup-owner-1', PHOTO, 'image/jpeg');
      await api.waitForPhoto('dup-owner-1', first.photoId);
      const second = await api.upload('dup-owner-2', PHOTO, 'image/jpeg');
      expect((await api.waitForPhoto('dup-owner-2', second.photoId)).duplicateOf).toBeNull();
    },
    TEST_TIMEOUT,
  );
});

describe('retry', () => {
  it(
    'a photo FAILED by a crashed environment is processed again by POST /photos/{id}/retry; attempts recorded',
    async () => {
      const user = 'retry-user';
      await env.cloud.waitForIdle();
      // extract-metadata only reads: a crash in the middle of generate-thumbnail's PutObject would leave
      // s3rver waiting for the rest of the body, and the local S3 would wait for it on close.
      functionNamed(env.cloud, 'extract-metadata').crashNext(1);
      const upload = await api.upload(user, 'photos/coffee.png', 'image/png');
      const failed = await api.waitForPhoto(user, upload.photoId);
      expect(failed.status).toBe('FAILED');
      expect(failed.attempts).toBe(1);

      // Another user cannot retry it, nor learn that it exists.
      const foreign = await api.call<ApiError>('someone-else', 'POST', `/photos/${upload.photoId}/retry`);
      expect(foreign.status).toBe(404);
      expect(foreign.body.message).toBe(`No photo ${upload.photoId}`);

      const retried = await api.call<RetryPhotoResponse>(user, 'POST', `/photos/${upload.photoId}/retry`);
      expect(retried.status, retried.text).toBe(202);
      // The caught failure ended in the Fail state, which Step Functions does not redrive.
      expect(retried.body).toMatchObject({ status: 'PROCESSING', attempts: 2, retriedBy: 'new-execution' });

      const ready = await api.waitForPhoto(user, upload.photoId);
      expect(ready).toMatchObject({ status: 'READY', attempts: 2, reason: null });
      expect(ready.execution.name).not.toBe(failed.execution.name);
      expect(ready.timeline.map((step) => step.name)).toContain(STATES.recordReady);
      expect(await thumbnailServed(ready)).toBe(true);
      const record = await readRecord(env.clients, env.target.table, user, upload.photoId);
      expect(record?.attemptHistory).toEqual([
        expect.objectContaining({
          executionName: failed.execution.name,
          reason: failed.reason,
          retriedBy: 'new-execution',
        }),
      ]);

      // READY now: nothing to retry.
      const again = await api.call<ApiError>(user, 'POST', `/photos/${upload.photoId}/retry`);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('Only a FAILED photo can be retried');
    },
    TEST_TIMEOUT,
  );
});
