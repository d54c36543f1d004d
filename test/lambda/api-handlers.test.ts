/** The API adapters: environment read at start-up, events answered through the Powertools wrapper. */
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import type { ApiResponse } from '../../lambda/shared/http';
import { resolveConfig } from '../../lib/config';
import { costModelFor } from '../../lib/cost-model';
import { apiEvent } from './api-helpers';
import { lambdaContext, loadHandler, stubHandlerEnvironment } from './helpers';

const ENV = {
  TABLE_NAME: 'ImageMetadata',
  PHOTO_BUCKET: 'photo-repo',
  MAX_UPLOAD_BYTES: '26214400',
  DAILY_UPLOAD_QUOTA: '200',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc',
  COST_MODEL: JSON.stringify(costModelFor(resolveConfig())),
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
};

type Handler = (event: unknown, context: Context) => Promise<ApiResponse>;

describe('API handlers', () => {
  stubHandlerEnvironment(ENV);

  it.each([
    ['create-upload', 'PHOTO_BUCKET'],
    ['create-upload', 'MAX_UPLOAD_BYTES'],
    ['create-upload', 'TABLE_NAME'],
    ['create-upload', 'DAILY_UPLOAD_QUOTA'],
    ['list-photos', 'TABLE_NAME'],
    ['list-photos', 'PHOTO_BUCKET'],
    ['get-photo', 'TABLE_NAME'],
    ['get-photo', 'PHOTO_BUCKET'],
    ['get-photo', 'COST_MODEL'],
    ['delete-photo', 'TABLE_NAME'],
    ['delete-photo', 'PHOTO_BUCKET'],
    ['retry-photo', 'TABLE_NAME'],
    ['retry-photo', 'STATE_MACHINE_ARN'],
  ])('%s fails at start-up when %s is missing', async (folder, variable) => {
    vi.stubEnv(variable, undefined);

    await expect(loadHandler<Handler>(folder)).rejects.toThrow(`Environment variable ${variable} is not set`);
  });

  it.each([
    ['not JSON', '{'],
    [
      'a negative price',
      JSON.stringify({
        ...costModelFor(resolveConfig()),
        prices: { ...resolveConfig().pricing, lambda: { perRequest: -1, perGbSecond: 0 } },
      }),
    ],
    ['an unknown workflow type', JSON.stringify({ ...costModelFor(resolveConfig()), workflowType: 'FAST' })],
  ])('get-photo fails at start-up when COST_MODEL is %s', async (_what, value) => {
    vi.stubEnv('COST_MODEL', value);

    await expect(loadHandler<Handler>('get-photo')).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('COST_MODEL'),
    });
  });

  it('create-upload fails at start-up when MAX_UPLOAD_BYTES is not a whole number', async () => {
    vi.stubEnv('MAX_UPLOAD_BYTES', '25MB');

    await expect(loadHandler<Handler>('create-upload')).rejects.toMatchObject({ name: 'ConfigurationError' });
  });

  it('create-upload fails at start-up when DAILY_UPLOAD_QUOTA is under 1', async () => {
    vi.stubEnv('DAILY_UPLOAD_QUOTA', '0');

    await expect(loadHandler<Handler>('create-upload')).rejects.toMatchObject({ name: 'ConfigurationError' });
  });

  it('create-upload answers 201 with a presigned POST for the configured bucket, counted in the table', async () => {
    const dynamoMock = mockClient(DynamoDBDocumentClient);
    dynamoMock.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
    const handler = await loadHandler<Handler>('create-upload');
    const body = JSON.stringify({ fileName: 'cat.png', contentType: 'image/png', sizeBytes: 1000 });

    const response = await handler(apiEvent({ routeKey: 'POST /photos', body }), lambdaContext);

    expect(response.statusCode).toBe(201);
    const upload = JSON.parse(response.body as string);
    expect(upload.upload.fields.bucket).toBe('photo-repo');
    expect(upload.maxBytes).toBe(26_214_400);
    const [update] = dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(update).toMatchObject({
      TableName: 'ImageMetadata',
      ExpressionAttributeValues: expect.objectContaining({ ':quota': 200 }),
    });
    dynamoMock.restore();
  });

  it.each([['list-photos'], ['get-photo'], ['delete-photo']])(
    '%s answers 401 to a request without a user',
    async (folder) => {
      const handler = await loadHandler<Handler>(folder);

      const response = await handler(
        apiEvent({ sub: null, pathParameters: { photoId: 'p1' } }),
        lambdaContext,
      );

      expect(response.statusCode).toBe(401);
      expect(response.headers).toEqual({ 'content-type': 'application/json' });
    },
  );
});
