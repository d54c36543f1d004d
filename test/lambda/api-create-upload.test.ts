import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CreateUploadDeps, createUpload, extensionFor } from '../../lambda/create-upload/create-upload';
import type { CreateUploadResponse } from '../../lambda/shared/api';
import { apiEvent, BUCKET, bodyOf, clients } from './api-helpers';
import { silentLog } from './helpers';

const MAX = 26_214_400;
const NOW = new Date('2025-03-01T10:00:00.000Z');
const PHOTO_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

const s3Mock = mockClient(S3Client);

function post(body: unknown, options: { sub?: string | null; raw?: boolean } = {}) {
  return apiEvent({
    routeKey: 'POST /photos',
    sub: options.sub,
    body: options.raw ? (body as string) : JSON.stringify(body),
  });
}

const valid = { fileName: 'Holiday Cat.JPG', contentType: 'image/jpeg', sizeBytes: 2_000_000 };

type Condition = Record<string, string> | [string, string | number, string | number];

function policyOf(response: CreateUploadResponse): { expiration: string; conditions: Condition[] } {
  return JSON.parse(Buffer.from(response.upload.fields.Policy, 'base64').toString('utf8'));
}

describe('create-upload', () => {
  let deps: CreateUploadDeps;

  beforeEach(() => {
    s3Mock.reset();
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    deps = { s3: clients().s3, bucket: BUCKET, maxUploadBytes: MAX, log: silentLog(), newId: () => PHOTO_ID };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 201 with a presigned POST for Incoming/<caller>/<new id>.<ext>', async () => {
    const response = await createUpload(post(valid), deps);

    expect(response.statusCode).toBe(201);
    const body = bodyOf<CreateUploadResponse>(response);
    expect(body).toMatchObject({
      photoId: PHOTO_ID,
      key: `Incoming/user-1/${PHOTO_ID}.jpg`,
      expiresAt: '2025-03-01T10:05:00.000Z',
      maxBytes: MAX,
    });
    expect(body.upload.url).toBe(`https://${BUCKET}.s3.eu-west-1.amazonaws.com/`);
    expect(body.upload.fields).toMatchObject({
      key: `Incoming/user-1/${PHOTO_ID}.jpg`,
      'Content-Type': 'image/jpeg',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Nothing is written by the API itself: the browser posts the file to S3.
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('signs a policy that pins the key, the size range and an image Content-Type, for five minutes', async () => {
    const body = bodyOf<CreateUploadResponse>(await createUpload(post(valid), deps));

    const policy = policyOf(body);
    expect(policy.expiration).toBe('2025-03-01T10:05:00Z');
    expect(policy.conditions).toContainEqual({ key: `Incoming/user-1/${PHOTO_ID}.jpg` });
    expect(policy.conditions).toContainEqual(['content-length-range', 1, MAX]);
    expect(policy.conditions).toContainEqual(['starts-with', '$Content-Type', 'image/']);
    expect(policy.conditions).toContainEqual({ 'Content-Type': 'image/jpeg' });
    expect(policy.conditions).toContainEqual({ bucket: BUCKET });
    // No condition lets the key vary.
    expect(policy.conditions.filter((c) => Array.isArray(c) && c[1] === '$key')).toEqual([]);
  });

  it('accepts an email-like user name (the local cloud signs such users in)', async () => {
    const body = bodyOf<CreateUploadResponse>(
      await createUpload(post(valid, { sub: 'alice@example.com' }), deps),
    );

    expect(body.key).toBe(`Incoming/alice@example.com/${PHOTO_ID}.jpg`);
  });

  it('lower-cases the content type it pins (MIME types are case-insensitive)', async () => {
    const body = bodyOf<CreateUploadResponse>(
      await createUpload(post({ ...valid, contentType: 'Image/PNG' }), deps),
    );

    expect(body.upload.fields['Content-Type']).toBe('image/png');
  });

  it('reads a base64-encoded body', async () => {
    const event = {
      ...post(valid),
      body: Buffer.from(JSON.stringify(valid)).toString('base64'),
      isBase64Encoded: true,
    };

    expect((await createUpload(event, deps)).statusCode).toBe(201);
  });

  it('accepts a file exactly at the size limit', async () => {
    expect((await createUpload(post({ ...valid, sizeBytes: MAX }), deps)).statusCode).toBe(201);
  });

  it('fails with 413 when the declared size is over the limit', async () => {
    const response = await createUpload(post({ ...valid, sizeBytes: MAX + 1 }), deps);

    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).message).toBe(
      `The file is ${MAX + 1} bytes; photos can be at most ${MAX} bytes (25 MiB).`,
    );
  });

  it.each([
    [
      'the body is not JSON',
      '{"fileName": ',
      'The request body must be a JSON object; it could not be parsed as JSON.',
    ],
    ['the body is empty', '', 'could not be parsed as JSON'],
    ['the body is a JSON array', '[1, 2]', 'The request body must be a JSON object.'],
    ['the body is JSON null', 'null', 'The request body must be a JSON object.'],
  ])('fails with 400 when %s', async (_, raw, message) => {
    const response = await createUpload(post(raw, { raw: true }), deps);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toContain(message);
  });

  it.each([
    ['fileName is missing', { contentType: 'image/jpeg', sizeBytes: 1 }, 'fileName is required'],
    ['fileName is empty', { ...valid, fileName: '   ' }, 'fileName is required'],
    ['fileName is not a string', { ...valid, fileName: 42 }, 'fileName is required'],
    ['fileName is too long', { ...valid, fileName: `${'a'.repeat(1025)}.jpg` }, 'at most 1024 characters'],
    ['contentType is missing', { fileName: 'a.jpg', sizeBytes: 1 }, 'contentType must be an image type'],
    ['contentType is not an image', { ...valid, contentType: 'application/pdf' }, 'got "application/pdf"'],
    ['contentType is image/ alone', { ...valid, contentType: 'image/' }, 'contentType must be an image type'],
    ['contentType has parameters', { ...valid, contentType: 'image/jpeg; q=1' }, 'contentType must be'],
    ['sizeBytes is missing', { fileName: 'a.jpg', contentType: 'image/jpeg' }, 'got null'],
    ['sizeBytes is zero', { ...valid, sizeBytes: 0 }, 'positive whole number of bytes, got 0'],
    ['sizeBytes is negative', { ...valid, sizeBytes: -5 }, 'got -5'],
    ['sizeBytes is fractional', { ...valid, sizeBytes: 1.5 }, 'got 1.5'],
    ['sizeBytes is a string', { ...valid, sizeBytes: '100' }, 'got "100"'],
  ])('fails with 400 when %s', async (_, body, message) => {
    const response = await createUpload(post(body), deps);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toContain(message);
  });

  it.each([
    ['no authorizer context', null],
    ['an empty sub', ''],
    ['a sub that is not a key segment', 'a/b'],
    ['a sub that is a relative path', '..'],
  ])('fails with 401 for %s', async (_, sub) => {
    const response = await createUpload(post(valid, { sub }), deps);

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).message).toBe('Sign in first: the request carries no valid user identity.');
  });

  it('answers 500 without details, and logs them, when signing fails', async () => {
    const log = silentLog();
    const broken = new S3Client({
      region: 'eu-west-1',
      credentials: async () => {
        throw new Error('credentials endpoint down');
      },
    });

    const response = await createUpload(post(valid), { ...deps, s3: broken, log });

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ message: 'Something went wrong on our side; try again.' });
    expect(log.error).toHaveBeenCalledWith('Request failed unexpectedly', { error: expect.any(Error) });
  });
});

describe('extensionFor', () => {
  it.each([
    ['cat.JPG', 'image/jpeg', 'jpg'],
    ['scan.tiff', 'image/tiff', 'tiff'],
    ['archive.tar.gz', 'image/png', 'gz'],
    ['no-extension', 'image/jpeg', 'jpg'],
    ['no-extension', 'image/png', 'png'],
    ['no-extension', 'image/webp', 'webp'],
    ['photo.', 'image/heic', 'heic'],
    ['photo.toolong', 'image/avif', 'avif'],
    ['photo.j p', 'image/gif', 'gif'],
    ['weird.ÿÿ', 'image/heif', 'heif'],
    ['vector', 'image/svg+xml', 'bin'],
  ])('%s (%s) → %s', (fileName, contentType, extension) => {
    expect(extensionFor(fileName, contentType)).toBe(extension);
  });
});
