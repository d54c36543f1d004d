/**
 * The photo API end to end, the way the web app uses it: plain HTTP to the local API Gateway under
 * `/api` on the web URL, each request naming its local user with `X-Local-User`, files sent to S3 with
 * the presigned POST the API hands out, then the pipeline's results read back through the API.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ApiError,
  CreateUploadResponse,
  ListPhotosResponse,
  PhotoDetail,
  TimelineStep,
} from '../../lambda/shared/api';
import { TERMINAL_STATUSES } from '../../lambda/shared/photo-view';
import { STATES } from '../../lambda/shared/workflow';
import { resolveConfig } from '../../lib/config';
import { definitionFromTemplate, IMAGE_PROC_ARN_OUTPUT, workflowGraph } from '../../lib/workflow-graph';
import { LOCAL_OWNER } from '../../local/ports';
import { sleep, startTestCloud, type TestCloud } from './e2e-helpers';
import { fixturePath } from './fixtures';

const TEST_TIMEOUT = 240_000;
const HOOK_TIMEOUT = 180_000;
/** Long enough for a cold detector and a busy two-core machine. */
const PROCESSING_TIMEOUT_MS = 180_000;
const THUMBNAIL_BOX = 250;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
/** The states a READY photo passes through, in the order they start (the two Parallel branches in either order). */
const READY_PATH = [
  STATES.extractImageMetadata,
  STATES.imageTypeCheck,
  STATES.storeImageMetadata,
  STATES.generateRendition,
  STATES.processImage,
  STATES.recordReady,
];
const PARALLEL_BRANCHES = [STATES.detectLabels, STATES.generateThumbnail];
/** Small enough to use up in a test, large enough for every other test's uploads of one user. */
const DAILY_QUOTA = 20;

let env: TestCloud;
let api: string;

beforeAll(async () => {
  env = await startTestCloud({ config: resolveConfig({ uploads: { dailyQuotaPerUser: DAILY_QUOTA } }) });
  expect(env.cloud.endpoints.web, 'the template has an HTTP API').toBeDefined();
  api = `${env.cloud.endpoints.web}/api`;
}, HOOK_TIMEOUT);

afterAll(async () => {
  await env?.close();
}, HOOK_TIMEOUT);

interface Reply<T> {
  status: number;
  contentType: string | null;
  text: string;
  body: T;
}

/** One API request as `user`; `body` is sent as JSON unless it is already a string. */
async function call<T = unknown>(
  user: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<T>> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      'X-Local-User': user,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    body: parsed as T,
  };
}

/** Expects a refusal with `status` and a `{ message }` that is a sentence, and returns the message. */
function refusal(reply: Reply<unknown>, status: number): string {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.contentType).toMatch(/^application\/json/);
  const { message } = reply.body as ApiError;
  expect(typeof message, reply.text).toBe('string');
  expect(message.length).toBeGreaterThan(10);
  return message;
}

interface Uploaded {
  created: CreateUploadResponse;
  bytes: Buffer;
}

/** POST /photos, then the multipart POST to S3 with every field and `file` last, as the web app does. */
async function uploadAs(user: string, fixture: string, contentType: string): Promise<Uploaded> {
  const bytes = readFileSync(fixturePath(fixture));
  const fileName = fixture.split('/').pop()!;
  const reply = await call<CreateUploadResponse>(user, 'POST', '/photos', {
    fileName,
    contentType,
    sizeBytes: bytes.length,
  });
  expect(reply.status, reply.text).toBe(201);
  const created = reply.body;
  const form = new FormData();
  for (const [name, value] of Object.entries(created.upload.fields)) form.append(name, value);
  form.append('file', new Blob([bytes], { type: contentType }), fileName);
  const s3Reply = await fetch(created.upload.url, { method: 'POST', body: form });
  expect(s3Reply.status, await s3Reply.text()).toBeGreaterThanOrEqual(200);
  expect(s3Reply.status).toBeLessThan(300);
  return { created, bytes };
}

/** GET /photos/{photoId} as `user` until the photo is READY, REJECTED or FAILED. */
async function waitForPhoto(user: string, photoId: string): Promise<PhotoDetail> {
  const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
  let last: Reply<PhotoDetail> | undefined;
  while (Date.now() < deadline) {
    // 404 until the upload event has been handled and the PROCESSING record written.
    last = await call<PhotoDetail>(user, 'GET', `/photos/${photoId}`);
    if (last.status !== 404) {
      expect(last.status, last.text).toBe(200);
      if (TERMINAL_STATUSES.includes(last.body.status)) return last.body;
    }
    await sleep(300);
  }
  throw new Error(`${photoId} did not finish within ${PROCESSING_TIMEOUT_MS} ms; last answer: ${last?.text}`);
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

async function fetchImage(url: string): Promise<{ contentType: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return {
    contentType: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

/** alice's READY cat photo, used by the isolation and deletion tests below. */
let alice: { upload: Uploaded; detail: PhotoDetail } | undefined;
const alicePhoto = () => {
  if (!alice) throw new Error("alice's photo was not processed (see the first test)");
  return alice;
};

describe('the web app’s config.json', () => {
  it('is local mode with the graph of the ImageProc definition the cloud runs', async () => {
    // Prepare
    const { template } = env.cloud;
    const output = template.Outputs?.[IMAGE_PROC_ARN_OUTPUT]?.Value as { Ref?: string } | undefined;
    const imageProc = output?.Ref ?? `no ${IMAGE_PROC_ARN_OUTPUT} output`;
    const stateMachine = template.Resources[imageProc];

    // Act
    const response = await fetch(`${env.cloud.endpoints.web}/config.json`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      mode: 'local',
      apiUrl: '/api',
      user: LOCAL_OWNER,
      workflow: workflowGraph(definitionFromTemplate(stateMachine.Properties?.DefinitionString)),
    });
  });
});

describe('a photo uploaded through the API', () => {
  it(
    'gets a presigned POST, is stored by S3 and ends READY with labels, image URLs and its path',
    async () => {
      // Act: create the upload and send the file, as the web app does.
      const upload = await uploadAs('alice', 'photos/cat.jpg', 'image/jpeg');
      const { created, bytes } = upload;

      // Assess: the upload answer.
      expect(created.photoId).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(created.key).toBe(`Incoming/alice/${created.photoId}.jpg`);
      expect(created.upload.url.startsWith(env.cloud.endpoints.s3)).toBe(true);
      expect(created.upload.fields).toMatchObject({ key: created.key, 'Content-Type': 'image/jpeg' });
      expect(created.maxBytes).toBeGreaterThan(bytes.length);
      expect(created.expiresAt).toMatch(ISO_TIME);
      const expiresIn = Date.parse(created.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(60_000);
      expect(expiresIn).toBeLessThanOrEqual(300_000);

      // The object is where the answer said, byte for byte, with its content type.
      const head = await env.clients.s3.send(
        new HeadObjectCommand({ Bucket: env.target.bucket, Key: created.key }),
      );
      expect(head.ContentLength).toBe(bytes.length);
      expect(head.ContentType).toBe('image/jpeg');

      // The pipeline's outcome, through the API.
      const detail = await waitForPhoto('alice', created.photoId);
      expect(detail.status, String(detail.reason)).toBe('READY');
      expect(detail).toMatchObject({ photoId: created.photoId, key: created.key });
      const cat = detail.labels.find((label) => label.name === 'Cat');
      expect(cat, JSON.stringify(detail.labels)).toBeDefined();
      expect(cat!.confidence).toBeGreaterThanOrEqual(70);
      const original = await sharp(bytes).metadata();
      expect(detail.metadata).toMatchObject({
        format: 'jpeg',
        sizeBytes: bytes.length,
        width: original.width,
        height: original.height,
      });
      expect(detail.execution.status).toBe('SUCCEEDED');
      expect(detail.execution.durationMs).toEqual(expect.any(Number));

      // Both URLs serve the images.
      expect(detail.urls.thumbnail).toEqual(expect.any(String));
      const thumbnail = await fetchImage(detail.urls.thumbnail!);
      expect(thumbnail.contentType).toMatch(/^image\//);
      const thumb = await sharp(thumbnail.bytes).metadata();
      expect(thumb.width).toBeLessThanOrEqual(THUMBNAIL_BOX);
      expect(thumb.height).toBeLessThanOrEqual(THUMBNAIL_BOX);
      expect(detail.thumbnail).toMatchObject({
        width: thumb.width,
        height: thumb.height,
        format: thumb.format,
      });
      const originalImage = await fetchImage(detail.urls.original);
      expect(originalImage.contentType).toBe('image/jpeg');
      expect(originalImage.bytes.equals(bytes)).toBe(true);

      // The path through the state machine, each step finished and timed.
      expectReadyTimeline(detail.timeline);

      // The owner's listing has it, with a thumbnail URL.
      const listing = await call<ListPhotosResponse>('alice', 'GET', '/photos');
      expect(listing.status, listing.text).toBe(200);
      const summary = listing.body.photos.find((photo) => photo.photoId === created.photoId);
      expect(summary).toMatchObject({ status: 'READY', key: created.key });
      expect(summary!.thumbnailUrl).toEqual(expect.any(String));

      alice = { upload, detail };
    },
    TEST_TIMEOUT,
  );
});

function expectReadyTimeline(timeline: TimelineStep[]): void {
  const names = timeline.map((step) => step.name);
  const positions = READY_PATH.map((name) => names.indexOf(name));
  expect(
    positions.every((position) => position >= 0),
    names.join(', '),
  ).toBe(true);
  expect(
    [...positions].sort((a, b) => a - b),
    `${names.join(', ')}: the steps start in order`,
  ).toEqual(positions);
  for (const branch of PARALLEL_BRANCHES) {
    const position = names.indexOf(branch);
    expect(position, `${branch} runs inside ProcessImage`).toBeGreaterThan(
      names.indexOf(STATES.processImage),
    );
    expect(position).toBeLessThan(names.indexOf(STATES.recordReady));
  }
  expect(names).not.toContain(STATES.recordFailure);
  expect(names).not.toContain(STATES.recordRejection);
  for (const name of [...READY_PATH, ...PARALLEL_BRANCHES]) {
    const step = timeline.find((s) => s.name === name)!;
    expect(step.outcome, name).toBe('SUCCEEDED');
    expect(step.error, name).toBeNull();
    expect(step.startedAt, name).toMatch(ISO_TIME);
    expect(step.endedAt, name).toMatch(ISO_TIME);
    const started = Date.parse(step.startedAt);
    const ended = Date.parse(step.endedAt!);
    expect(ended, name).toBeGreaterThanOrEqual(started);
    expect(step.durationMs, name).toBe(ended - started);
    if (step.type === 'Task') expect(step.attempts, name).toBeGreaterThanOrEqual(1);
  }
}

describe('one user and another', () => {
  it('cannot list, read or delete the other one’s photo, which is 404, not 403', async () => {
    const { created } = alicePhoto().upload;

    const listing = await call<ListPhotosResponse>('bob', 'GET', '/photos');
    expect(listing.status, listing.text).toBe(200);
    expect(listing.body.photos.map((photo) => photo.photoId)).not.toContain(created.photoId);
    expect(listing.body.photos.filter((photo) => !photo.key.startsWith('Incoming/bob/'))).toEqual([]);

    const read = await call('bob', 'GET', `/photos/${created.photoId}`);
    refusal(read, 404);
    expect(read.text).not.toContain('alice');
    expect(read.text).not.toContain(created.key);

    refusal(await call('bob', 'DELETE', `/photos/${created.photoId}`), 404);

    // Still alice's, whole.
    const again = await call<PhotoDetail>('alice', 'GET', `/photos/${created.photoId}`);
    expect(again.status, again.text).toBe(200);
    expect(again.body.status).toBe('READY');
    expect(await objectExists(created.key)).toBe(true);
    expect(await objectExists(alicePhoto().detail.thumbnail!.key)).toBe(true);
  });

  it(
    'cannot page through the other one’s listing with their cursor',
    async () => {
      // Prepare: a second photo of alice's, so a one-photo page of hers has a next page.
      const second = await uploadAs('alice', 'photos/coffee.png', 'image/png');
      await waitForPhoto('alice', second.created.photoId);
      const first = await call<ListPhotosResponse>('alice', 'GET', '/photos?limit=1');
      expect(first.status, first.text).toBe(200);
      const cursor = first.body.nextCursor;
      expect(cursor).toEqual(expect.any(String));

      // Act and assess: the cursor is good for alice, and refused to bob.
      const aliceNext = await call<ListPhotosResponse>(
        'alice',
        'GET',
        `/photos?limit=1&cursor=${encodeURIComponent(cursor!)}`,
      );
      expect(aliceNext.status, aliceNext.text).toBe(200);
      expect(aliceNext.body.photos).toHaveLength(1);
      const bobNext = await call('bob', 'GET', `/photos?limit=1&cursor=${encodeURIComponent(cursor!)}`);
      expect(refusal(bobNext, 400)).toMatch(/cursor/);
      expect(bobNext.text).not.toContain('alice');
    },
    TEST_TIMEOUT,
  );
});

describe('a listing', () => {
  const fixtures = ['photos/cat.jpg', 'photos/coffee.png', 'photos/fruits.jpg'];
  /** carol's photos in upload order, oldest first. */
  const photos: PhotoDetail[] = [];

  beforeAll(async () => {
    const ids: string[] = [];
    for (const fixture of fixtures) {
      const { created } = await uploadAs(
        'carol',
        fixture,
        fixture.endsWith('.png') ? 'image/png' : 'image/jpeg',
      );
      // One at a time: each upload's record exists (with its upload time) before the next is sent.
      const deadline = Date.now() + 60_000;
      while ((await call('carol', 'GET', `/photos/${created.photoId}`)).status === 404) {
        if (Date.now() > deadline) throw new Error(`${fixture} was not recorded`);
        await sleep(100);
      }
      ids.push(created.photoId);
    }
    for (const id of ids) photos.push(await waitForPhoto('carol', id));
  }, HOOK_TIMEOUT);

  it('pages newest first with a cursor, and ends with a null cursor', async () => {
    expect(photos.map((photo) => photo.status)).toEqual(['READY', 'READY', 'READY']);
    const newestFirst = [...photos].reverse().map((photo) => photo.photoId);

    const first = await call<ListPhotosResponse>('carol', 'GET', '/photos?limit=2');
    expect(first.status, first.text).toBe(200);
    expect(first.body.photos.map((photo) => photo.photoId)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const times = first.body.photos.map((photo) => Date.parse(photo.uploadedAt));
    expect(times[0]).toBeGreaterThan(times[1]);

    const second = await call<ListPhotosResponse>(
      'carol',
      'GET',
      `/photos?limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
    );
    expect(second.status, second.text).toBe(200);
    expect(second.body.photos.map((photo) => photo.photoId)).toEqual(newestFirst.slice(2));
    expect(second.body.nextCursor).toBeNull();
  });

  it('filters by label, whatever its case', async () => {
    const withCat = photos.filter((photo) => photo.labels.some((label) => label.name === 'Cat'));
    const catPhoto = photos[fixtures.indexOf('photos/cat.jpg')];
    expect(withCat.map((photo) => photo.photoId)).toContain(catPhoto.photoId);
    expect(withCat.length, 'some of carol’s photos are not cats').toBeLessThan(photos.length);

    for (const label of ['cat', 'Cat']) {
      const filtered = await call<ListPhotosResponse>('carol', 'GET', `/photos?label=${label}`);
      expect(filtered.status, filtered.text).toBe(200);
      expect(filtered.body.photos.map((photo) => photo.photoId).sort()).toEqual(
        withCat.map((photo) => photo.photoId).sort(),
      );
      expect(filtered.body.nextCursor).toBeNull();
    }
  });
});

describe('a malformed request', () => {
  const valid = { fileName: 'cat.jpg', contentType: 'image/jpeg', sizeBytes: 1000 };

  it('with a body that is not JSON is 400, saying so', async () => {
    expect(refusal(await call('alice', 'POST', '/photos', '{"fileName": "cat.jpg",'), 400)).toMatch(/JSON/);
    expect(refusal(await call('alice', 'POST', '/photos', '["cat.jpg"]'), 400)).toMatch(/JSON object/);
  });

  it('for a file that is not an image is 400, saying it must be an image', async () => {
    const message = refusal(
      await call('alice', 'POST', '/photos', { ...valid, contentType: 'text/plain' }),
      400,
    );
    expect(message).toMatch(/image/);
    expect(message).toContain('text/plain');
  });

  it('for an SVG, or a file whose name and type disagree, is 400, saying which types are accepted', async () => {
    const svg = refusal(
      await call('alice', 'POST', '/photos', {
        ...valid,
        fileName: 'logo.svg',
        contentType: 'image/svg+xml',
      }),
      400,
    );
    expect(svg).toContain('image/svg+xml');
    expect(svg).toMatch(/image\/jpeg, image\/png/);
    expect(svg).toMatch(/SVG/);
    // An SVG declared as a PNG, and a video declared as a JPEG.
    expect(
      refusal(
        await call('alice', 'POST', '/photos', { ...valid, fileName: 'logo.svg', contentType: 'image/png' }),
        400,
      ),
    ).toMatch(/\.svg/);
    expect(
      refusal(
        await call('alice', 'POST', '/photos', { ...valid, fileName: 'clip.mp4', contentType: 'image/jpeg' }),
        400,
      ),
    ).toMatch(/\.mp4/);
  });

  it('without a usable file name or size is 400, naming the field', async () => {
    expect(refusal(await call('alice', 'POST', '/photos', { ...valid, fileName: '' }), 400)).toMatch(
      /fileName/,
    );
    expect(refusal(await call('alice', 'POST', '/photos', { ...valid, sizeBytes: -5 }), 400)).toMatch(
      /sizeBytes/,
    );
    expect(refusal(await call('alice', 'POST', '/photos', { ...valid, sizeBytes: '12' }), 400)).toMatch(
      /sizeBytes/,
    );
  });

  it('for a file over the size limit is 413, saying what the limit is', async () => {
    const { maxBytes } = alicePhoto().upload.created;
    const message = refusal(
      await call('alice', 'POST', '/photos', { ...valid, sizeBytes: maxBytes + 1 }),
      413,
    );
    expect(message).toContain(String(maxBytes));
  });

  it('naming a photo id with characters ids never have is 400, for reads and deletes', async () => {
    // As sent in the path: `$`, a space, quotes, and an escape that does not decode.
    for (const segment of [encodeURIComponent('bad$id'), 'a%20b', "x'or'1", '%ZZ']) {
      for (const method of ['GET', 'DELETE']) {
        const reply = await call('alice', method, `/photos/${segment}`);
        expect(reply.status, `${method} /photos/${segment}: ${reply.text}`).toBe(400);
        expect(refusal(reply, 400), `${method} /photos/${segment}`).toMatch(/photoId/);
      }
    }
  });

  it('for a listing with a bad limit or a made-up cursor is 400, naming the parameter', async () => {
    expect(refusal(await call('alice', 'GET', '/photos?limit=0'), 400)).toMatch(/limit/);
    expect(refusal(await call('alice', 'GET', '/photos?limit=many'), 400)).toMatch(/limit/);
    expect(refusal(await call('alice', 'GET', '/photos?cursor=not-a-cursor'), 400)).toMatch(/cursor/);
  });

  it('with a tampered cursor is 400, never 500, whatever field was changed', async () => {
    const key = { owner: 'alice', photoId: 'p1', uploadedAt: '2025-03-01T10:00:00.000Z' };
    const tampered = {
      // Over DynamoDB's 1024-byte sort key limit: DynamoDB itself would refuse it (a 500 before).
      'an over-long photoId': { ...key, photoId: 'x'.repeat(1100) },
      'a photoId as a DynamoDB attribute value': { ...key, photoId: { S: 'p1' } },
      'a number for uploadedAt': { ...key, uploadedAt: 5 },
      'an uploadedAt that is not a time': { ...key, uploadedAt: 'y'.repeat(900) },
      'another owner': { ...key, owner: 'bob' },
      'an extra attribute': { ...key, status: 'READY' },
    };
    for (const [what, cursor] of Object.entries(tampered)) {
      const encoded = Buffer.from(JSON.stringify(cursor)).toString('base64url');
      const reply = await call('alice', 'GET', `/photos?cursor=${encoded}`);
      expect(refusal(reply, 400), what).toMatch(/cursor is not one this API gave out/);
    }
  });
});

describe('the presigned POST policy', () => {
  /** A fresh presigned POST for alice, and a way to send it with some fields or the file changed. */
  async function tamperedUpload(change: { fields?: Record<string, string>; bytes?: Buffer; type?: string }) {
    const bytes = readFileSync(fixturePath('photos/cat.jpg'));
    const reply = await call<CreateUploadResponse>('alice', 'POST', '/photos', {
      fileName: 'cat.jpg',
      contentType: 'image/jpeg',
      sizeBytes: bytes.length,
    });
    expect(reply.status, reply.text).toBe(201);
    const created = reply.body;
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...created.upload.fields, ...change.fields }))
      form.append(name, value);
    form.append(
      'file',
      new Blob([new Uint8Array(change.bytes ?? bytes)], { type: change.type ?? 'image/jpeg' }),
      'cat.jpg',
    );
    const answer = await fetch(created.upload.url, { method: 'POST', body: form });
    return { created, status: answer.status, text: await answer.text() };
  }

  it('refuses a form whose key is not the one the API handed out, and stores nothing there', async () => {
    const stolenKey = 'Incoming/bob/planted.jpg';
    const { status, text } = await tamperedUpload({ fields: { key: stolenKey } });
    expect(status).toBe(403);
    expect(text).toMatch(/<Code>AccessDenied<\/Code>.*Policy Condition failed.*\$key/s);
    expect(await objectExists(stolenKey)).toBe(false);
  });

  it('refuses a content type that is not an image', async () => {
    const { created, status, text } = await tamperedUpload({
      fields: { 'Content-Type': 'text/html' },
      type: 'text/html',
    });
    expect(status).toBe(403);
    expect(text).toMatch(/Policy Condition failed/);
    expect(await objectExists(created.key)).toBe(false);
  });

  it('refuses a file over the size limit with EntityTooLarge', async () => {
    const { created } = await tamperedUpload({ bytes: Buffer.alloc(1) }); // learn maxBytes, upload a tiny file
    const { status, text } = await tamperedUpload({ bytes: Buffer.alloc(created.maxBytes + 1) });
    expect(status).toBe(400);
    expect(text).toMatch(/<Code>EntityTooLarge<\/Code>/);
  });

  it('refuses an SVG sent in place of the type the API pinned', async () => {
    const { created, status, text } = await tamperedUpload({
      fields: { 'Content-Type': 'image/svg+xml' },
      bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      type: 'image/svg+xml',
    });
    expect(status).toBe(403);
    expect(text).toMatch(/Policy Condition failed.*Content-Type/s);
    expect(await objectExists(created.key)).toBe(false);
  });

  it('refuses a form whose policy was altered after signing', async () => {
    const { created } = await tamperedUpload({ bytes: Buffer.alloc(1) });
    const policy = JSON.parse(Buffer.from(created.upload.fields.Policy, 'base64').toString('utf8')) as {
      conditions: unknown[];
    };
    policy.conditions = policy.conditions.map((c) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? [c[0], 1, 10 ** 10] : c,
    );
    const { status, text } = await tamperedUpload({
      fields: { Policy: Buffer.from(JSON.stringify(policy)).toString('base64') },
    });
    expect(status).toBe(403);
    expect(text).toMatch(/SignatureDoesNotMatch/);
  });

  it(
    'is signed, expires with the answer, and pins the key, the size range and an image type',
    async () => {
      const { created } = await uploadAs('alice', 'photos/cat.jpg', 'image/jpeg');
      await waitForPhoto('alice', created.photoId);
      const fields = created.upload.fields;

      const policy = JSON.parse(Buffer.from(fields.Policy, 'base64').toString('utf8')) as {
        expiration: string;
        conditions: unknown[];
      };
      // The same moment, give or take the policy's whole seconds.
      expect(Math.abs(Date.parse(policy.expiration) - Date.parse(created.expiresAt))).toBeLessThan(1000);
      expect(policy.conditions).toContainEqual({ key: created.key });
      expect(policy.conditions).toContainEqual({ bucket: env.target.bucket });
      expect(policy.conditions).toContainEqual(['content-length-range', 1, created.maxBytes]);
      expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/jpeg']);
      expect(policy.conditions).toContainEqual({ 'Content-Type': 'image/jpeg' });
      // Nothing loosens the type either (a starts-with image/ would let image/svg+xml through).
      expect(policy.conditions.filter((c) => Array.isArray(c) && c[0] === 'starts-with')).toEqual([]);
      // No condition loosens the key (a starts-with on $key would let any key under it through).
      expect(
        policy.conditions.filter((c) => Array.isArray(c) && String(c[1]).toLowerCase() === '$key'),
      ).toEqual([]);
      // Every field the form sends is covered by a condition (S3 refuses a form with unlisted fields).
      for (const [name, value] of Object.entries(fields)) {
        if (['Policy', 'X-Amz-Signature'].includes(name)) continue;
        expect(policy.conditions, name).toContainEqual({ [name]: value });
      }

      // The signature is SigV4 over the base64 policy, with the credentials the functions have.
      const clientEnv = env.cloud.clientEnvironment();
      const [accessKeyId, date, region, service, terminator] = fields['X-Amz-Credential'].split('/');
      expect({ accessKeyId, region, service, terminator }).toEqual({
        accessKeyId: clientEnv.AWS_ACCESS_KEY_ID,
        region: clientEnv.AWS_REGION,
        service: 's3',
        terminator: 'aws4_request',
      });
      expect(fields['X-Amz-Algorithm']).toBe('AWS4-HMAC-SHA256');
      const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
      const signingKey = hmac(
        hmac(hmac(hmac(`AWS4${clientEnv.AWS_SECRET_ACCESS_KEY}`, date), region), service),
        terminator,
      );
      expect(fields['X-Amz-Signature']).toBe(hmac(signingKey, fields.Policy).toString('hex'));
    },
    TEST_TIMEOUT,
  );
});

describe('the daily upload quota', () => {
  it(
    'is 429 once a user has started the configured number of uploads today, for that user only',
    async () => {
      // Prepare: use up dave's quota (the API counts presigned POSTs handed out, sent or not).
      const body = { fileName: 'cat.jpg', contentType: 'image/jpeg', sizeBytes: 1000 };
      for (let i = 0; i < DAILY_QUOTA; i++) {
        const reply = await call('dave', 'POST', '/photos', body);
        expect(reply.status, `upload ${i + 1}: ${reply.text}`).toBe(201);
      }

      // Act: one more.
      const over = await call('dave', 'POST', '/photos', body);

      // Assess: refused, saying the limit and when it resets (next midnight UTC), with Retry-After.
      const message = refusal(over, 429);
      expect(message).toContain(String(DAILY_QUOTA));
      const midnight = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
      expect(message).toContain(`${midnight}T00:00:00.000Z`);
      const response = await fetch(`${api}/photos`, {
        method: 'POST',
        headers: { 'X-Local-User': 'dave', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(response.headers.get('retry-after'))).toBeLessThanOrEqual(24 * 3600);
      // Another user is not affected.
      expect((await call('erin', 'POST', '/photos', body)).status).toBe(201);
      // The counter is no photo: not in dave's listing, and no photo route can address it.
      const listing = await call<ListPhotosResponse>('dave', 'GET', '/photos');
      expect(listing.status, listing.text).toBe(200);
      expect(listing.body.photos).toEqual([]);
      const counterId = encodeURIComponent(`quota#${new Date().toISOString().slice(0, 10)}`);
      refusal(await call('dave', 'GET', `/photos/${counterId}`), 400);
      refusal(await call('dave', 'DELETE', `/photos/${counterId}`), 400);
    },
    TEST_TIMEOUT,
  );
});

describe('deleting a photo', () => {
  it('is 204, then the photo is 404 and its original and thumbnail are gone from the bucket', async () => {
    const { upload, detail } = alicePhoto();
    const { photoId, key } = upload.created;
    const thumbnailKey = detail.thumbnail!.key;
    expect(await objectExists(key)).toBe(true);
    expect(await objectExists(thumbnailKey)).toBe(true);

    const deleted = await call('alice', 'DELETE', `/photos/${photoId}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');

    refusal(await call('alice', 'GET', `/photos/${photoId}`), 404);
    const listing = await call<ListPhotosResponse>('alice', 'GET', '/photos');
    expect(listing.body.photos.map((photo) => photo.photoId)).not.toContain(photoId);
    for (const gone of [key, thumbnailKey]) {
      const error = await env.clients.s3
        .send(new HeadObjectCommand({ Bucket: env.target.bucket, Key: gone }))
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(error?.name, gone).toBe('NotFound');
    }
    // Deleting it again: nothing left to delete.
    refusal(await call('alice', 'DELETE', `/photos/${photoId}`), 404);
  });
});
