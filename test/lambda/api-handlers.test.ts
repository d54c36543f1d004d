/** The API adapters: environment read at start-up, events answered through the Powertools wrapper. */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiResponse } from '../../lambda/shared/http';
import { apiEvent } from './api-helpers';

const ENV = {
  TABLE_NAME: 'ImageMetadata',
  PHOTO_BUCKET: 'photo-repo',
  MAX_UPLOAD_BYTES: '26214400',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
};

const context = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
} as Context;

type Handler = (event: unknown, context: Context) => Promise<ApiResponse>;

async function loadHandler(folder: string): Promise<Handler> {
  vi.resetModules();
  return ((await import(`../../lambda/${folder}/handler.ts`)) as { handler: Handler }).handler;
}

describe('API handlers', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['create-upload', 'PHOTO_BUCKET'],
    ['create-upload', 'MAX_UPLOAD_BYTES'],
    ['list-photos', 'TABLE_NAME'],
    ['list-photos', 'PHOTO_BUCKET'],
    ['get-photo', 'TABLE_NAME'],
    ['get-photo', 'PHOTO_BUCKET'],
    ['delete-photo', 'TABLE_NAME'],
    ['delete-photo', 'PHOTO_BUCKET'],
  ])('%s fails at start-up when %s is missing', async (folder, variable) => {
    vi.stubEnv(variable, undefined);

    await expect(loadHandler(folder)).rejects.toThrow(`Environment variable ${variable} is not set`);
  });

  it('create-upload fails at start-up when MAX_UPLOAD_BYTES is not a whole number', async () => {
    vi.stubEnv('MAX_UPLOAD_BYTES', '25MB');

    await expect(loadHandler('create-upload')).rejects.toMatchObject({ name: 'ConfigurationError' });
  });

  it('create-upload answers 201 with a presigned POST for the configured bucket', async () => {
    const handler = await loadHandler('create-upload');
    const body = JSON.stringify({ fileName: 'cat.png', contentType: 'image/png', sizeBytes: 1000 });

    const response = await handler(apiEvent({ routeKey: 'POST /photos', body }), context);

    expect(response.statusCode).toBe(201);
    const upload = JSON.parse(response.body as string);
    expect(upload.upload.fields.bucket).toBe('photo-repo');
    expect(upload.maxBytes).toBe(26_214_400);
  });

  it.each([['list-photos'], ['get-photo'], ['delete-photo']])(
    '%s answers 401 to a request without a user',
    async (folder) => {
      const handler = await loadHandler(folder);

      const response = await handler(apiEvent({ sub: null, pathParameters: { photoId: 'p1' } }), context);

      expect(response.statusCode).toBe(401);
      expect(response.headers).toEqual({ 'content-type': 'application/json' });
    },
  );
});
