import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CreateUploadDeps, createUpload, uploadType } from '../../lambda/create-upload/create-upload';
import { type CreateUploadResponse, UPLOAD_CONTENT_TYPES } from '../../lambda/shared/api';
import { HttpError, photoIdParam } from '../../lambda/shared/http';
import { apiEvent, BUCKET, bodyOf, clients, TABLE } from './api-helpers';
import { silentLog } from './helpers';

const MAX = 26_214_400;
const NOW = new Date('2025-03-01T10:00:00.000Z');
const PHOTO_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

const QUOTA = 200;

const s3Mock = mockClient(S3Client);
const dynamoMock = mockClient(DynamoDBDocumentClient);
const quotaUpdates = () => dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);

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
    dynamoMock.reset();
    dynamoMock.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    const { s3, dynamo } = clients();
    deps = {
      s3,
      dynamo,
      bucket: BUCKET,
      tableName: TABLE,
      dailyQuota: QUOTA,
      maxUploadBytes: MAX,
      log: silentLog(),
      newId: () => PHOTO_ID,
    };
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

  it('signs a policy that pins the key, the size range and the exact Content-Type, for five minutes', async () => {
    const body = bodyOf<CreateUploadResponse>(await createUpload(post(valid), deps));

    const policy = policyOf(body);
    expect(policy.expiration).toBe('2025-03-01T10:05:00Z');
    expect(policy.conditions).toContainEqual({ key: `Incoming/user-1/${PHOTO_ID}.jpg` });
    expect(policy.conditions).toContainEqual(['content-length-range', 1, MAX]);
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/jpeg']);
    expect(policy.conditions).toContainEqual({ 'Content-Type': 'image/jpeg' });
    expect(policy.conditions).toContainEqual({ bucket: BUCKET });
    // No condition lets the key or the type vary.
    expect(policy.conditions.filter((c) => Array.isArray(c) && c[0] === 'starts-with')).toEqual([]);
    expect(policy.conditions.filter((c) => Array.isArray(c) && c[1] === '$key')).toEqual([]);
  });

  it.each(Object.entries(UPLOAD_CONTENT_TYPES).map(([type, extensions]) => [type, extensions[0]] as const))(
    'pins %s exactly, in the policy and in the form field',
    async (type, extension) => {
      const body = bodyOf<CreateUploadResponse>(
        await createUpload(post({ ...valid, fileName: `photo.${extension}`, contentType: type }), deps),
      );

      expect(body.key).toBe(`Incoming/user-1/${PHOTO_ID}.${extension}`);
      expect(body.upload.fields['Content-Type']).toBe(type);
      expect(policyOf(body).conditions).toContainEqual(['eq', '$Content-Type', type]);
    },
  );

  it('pins the standard name of an alias (image/jpg is image/jpeg)', async () => {
    const body = bodyOf<CreateUploadResponse>(
      await createUpload(post({ ...valid, contentType: 'image/jpg' }), deps),
    );

    expect(body.upload.fields['Content-Type']).toBe('image/jpeg');
  });

  it('accepts an email-like user name (the local cloud signs such users in)', async () => {
    const body = bodyOf<CreateUploadResponse>(
      await createUpload(post(valid, { sub: 'alice@example.com' }), deps),
    );

    expect(body.key).toBe(`Incoming/alice@example.com/${PHOTO_ID}.jpg`);
  });

  it('lower-cases the content type it pins (MIME types are case-insensitive)', async () => {
    const body = bodyOf<CreateUploadResponse>(
      await createUpload(post({ ...valid, fileName: 'a.png', contentType: 'Image/PNG' }), deps),
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
    ['contentType is missing', { fileName: 'a.jpg', sizeBytes: 1 }, 'contentType must be one of'],
    ['contentType is not an image', { ...valid, contentType: 'application/pdf' }, 'got "application/pdf"'],
    ['contentType is image/ alone', { ...valid, contentType: 'image/' }, 'contentType must be one of'],
    ['contentType has parameters', { ...valid, contentType: 'image/jpeg; q=1' }, 'contentType must be'],
    ['contentType is SVG', { fileName: 'logo.svg', contentType: 'image/svg+xml', sizeBytes: 1 }, 'SVG'],
    ['contentType is SVG for a .png', { ...valid, fileName: 'a.png', contentType: 'image/svg+xml' }, 'svg'],
    ['contentType is text', { ...valid, fileName: 'a.txt', contentType: 'text/plain' }, 'text/plain'],
    ['contentType is HTML', { ...valid, fileName: 'a.html', contentType: 'text/html' }, 'image/jpeg'],
    ['contentType is video', { ...valid, fileName: 'a.mp4', contentType: 'video/mp4' }, 'video/mp4'],
    ['contentType is BMP', { ...valid, fileName: 'a.bmp', contentType: 'image/bmp' }, 'image/bmp'],
    ['contentType is unknown', { ...valid, contentType: 'image/x-made-up' }, 'image/x-made-up'],
    ['contentType is a wildcard', { ...valid, contentType: 'image/*' }, 'contentType must be one of'],
    ['contentType is not a string', { ...valid, contentType: ['image/jpeg'] }, 'contentType must be one of'],
    ['an .svg is declared as PNG', { ...valid, fileName: 'logo.svg', contentType: 'image/png' }, '.svg'],
    ['a .png is declared as JPEG', { ...valid, fileName: 'a.png', contentType: 'image/jpeg' }, '.png'],
    ['a .html is declared as JPEG', { ...valid, fileName: 'x.html', contentType: 'image/jpeg' }, '.html'],
    ['an unknown extension', { ...valid, fileName: 'archive.tar.gz', contentType: 'image/png' }, '.gz'],
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

  it('lists the accepted types when it refuses one', async () => {
    const response = await createUpload(post({ ...valid, contentType: 'image/svg+xml' }), deps);

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).message).toBe(
      'contentType must be one of the image types photos are accepted in (image/jpeg, image/png, image/webp, image/gif, image/tiff, image/heic, image/heif, image/avif), got "image/svg+xml"; SVG, PDF, text and video files cannot be uploaded.',
    );
    expect(quotaUpdates()).toHaveLength(0);
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

  it("counts the upload on the caller's counter for the UTC day, atomically and under the quota", async () => {
    await createUpload(post(valid), deps);

    expect(quotaUpdates()).toEqual([
      {
        TableName: TABLE,
        Key: { owner: 'user-1', photoId: 'quota#2025-03-01' },
        UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :quota',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':quota': QUOTA,
          // A day after the reset at midnight UTC: 2025-03-03T00:00:00Z.
          ':expiresAt': Date.parse('2025-03-03T00:00:00Z') / 1000,
        },
        ReturnValues: 'UPDATED_NEW',
      },
    ]);
  });

  it('counts nothing for a request it refuses', async () => {
    await createUpload(post({ ...valid, sizeBytes: MAX + 1 }), deps);
    await createUpload(post({ ...valid, fileName: '' }), deps);

    expect(quotaUpdates()).toHaveLength(0);
  });

  it('fails with 429, saying the limit and when it resets, when the daily quota is used up', async () => {
    dynamoMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const response = await createUpload(post(valid), deps);

    expect(response.statusCode).toBe(429);
    expect(bodyOf(response).message).toBe(
      'You have used all 200 uploads a user may start in a day (UTC); the quota resets at 2025-03-02T00:00:00.000Z.',
    );
    // 14 hours from 10:00 UTC to midnight.
    expect(response.headers?.['retry-after']).toBe(String(14 * 3600));
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('answers 500 without details when the quota counter cannot be written', async () => {
    dynamoMock.on(UpdateCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    const response = await createUpload(post(valid), deps);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ message: 'Something went wrong on our side; try again.' });
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

describe('uploadType', () => {
  it.each([
    ['cat.JPG', 'image/jpeg', 'image/jpeg', 'jpg'],
    ['cat.jpeg', 'IMAGE/JPEG', 'image/jpeg', 'jpeg'],
    ['scan.tif', 'image/tiff', 'image/tiff', 'tif'],
    ['IMG_0001.HEIC', 'image/heic', 'image/heic', 'heic'],
    ['no-extension', 'image/jpeg', 'image/jpeg', 'jpg'],
    ['no-extension', 'image/png', 'image/png', 'png'],
    ['photo.', 'image/webp', 'image/webp', 'webp'],
    ['.avif', 'image/avif', 'image/avif', 'avif'],
    ['old.jpg', 'image/pjpeg', 'image/jpeg', 'jpg'],
  ])('%s (%s) → %s, .%s', (fileName, declared, type, extension) => {
    expect(uploadType(fileName, declared)).toEqual({ type, extension });
  });

  it.each([
    ['logo.svg', 'image/svg+xml'],
    ['logo', 'image/svg+xml'],
    ['logo.svg', 'image/png'],
    ['page.pdf', 'application/pdf'],
    ['clip.mov', 'video/quicktime'],
    ['photo.toolong', 'image/avif'],
    ['photo.j p', 'image/gif'],
    ['weird.ÿÿ', 'image/heif'],
  ])('fails with 400 for %s declared as %s', (fileName, declared) => {
    expect(() => uploadType(fileName, declared)).toThrow(HttpError);
  });
});

describe('the upload counter', () => {
  it("fails when asked for as a photo: its id is not a photo id, so GET or DELETE can't reach it", () => {
    const event = apiEvent({
      routeKey: 'GET /photos/{photoId}',
      pathParameters: { photoId: 'quota#2025-03-01' },
    });

    expect(() => photoIdParam(event)).toThrow(/photoId must be 1 to 128 letters/);
  });
});
