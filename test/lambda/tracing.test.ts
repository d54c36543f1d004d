/**
 * Traces never keep a handler's response: responses hold EXIF, GPS positions and presigned URLs, and
 * X-Ray metadata is readable by anyone who can read traces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import xray from 'aws-xray-sdk-core';
import { describe, expect, it, vi } from 'vitest';
import type { ApiResponse } from '../../lambda/shared/http';
import { resolveConfig } from '../../lib/config';
import { costModelFor } from '../../lib/cost-model';
import { apiEvent, photoRecord } from './api-helpers';
import { FakeTable, lambdaContext, loadHandler, stubHandlerEnvironment } from './helpers';

const LAMBDA_DIR = fileURLToPath(new URL('../../lambda/', import.meta.url));

type Handler = (event: unknown, context: Context) => Promise<ApiResponse>;

describe('tracing', () => {
  stubHandlerEnvironment({
    TABLE_NAME: 'ImageMetadata',
    PHOTO_BUCKET: 'photo-repo',
    COST_MODEL: JSON.stringify(costModelFor(resolveConfig())),
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    // What Lambda sets: with it, Powertools Tracer is enabled as it is on AWS.
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    _HANDLER: 'index.handler',
  });

  it("records the handler's subsegment but not its response", async () => {
    // Prepare: get-photo answers presigned URLs and GPS; a real X-Ray segment stands in for Lambda's.
    const table = new FakeTable(mockClient(DynamoDBDocumentClient));
    table.put(photoRecord({ photoId: 'p1', executionId: null }));
    const handler = await loadHandler<Handler>('get-photo');
    const { tracer } = await import('../../lambda/shared/powertools');
    xray.setContextMissingStrategy('IGNORE_ERROR'); // the SDK clients' X-Ray hooks look in their own context
    const facade = new xray.Segment('get-photo');
    let active: xray.Segment | xray.Subsegment = facade;
    vi.spyOn(tracer.provider, 'getSegment').mockImplementation(() => active);
    vi.spyOn(tracer.provider, 'setSegment').mockImplementation((segment) => {
      active = segment;
    });
    const addResponse = vi.spyOn(tracer, 'addResponseAsMetadata');

    // Act
    const response = await handler(
      apiEvent({ routeKey: 'GET /photos/{photoId}', pathParameters: { photoId: 'p1' } }),
      lambdaContext,
    );

    // Assess: the response has what must stay out of traces, the trace has the handler but none of it.
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('X-Amz-Signature');
    expect(response.body).toContain('48.85');
    expect(tracer.isTracingEnabled()).toBe(true);
    const [subsegment] = facade.subsegments ?? [];
    expect(subsegment?.name).toBe('## index.handler');
    expect(JSON.parse(JSON.stringify(subsegment)).annotations).toMatchObject({
      Service: 'image-recognition',
    });
    expect(addResponse).not.toHaveBeenCalled();
    const trace = JSON.stringify(facade);
    expect(trace).not.toContain('X-Amz-Signature');
    expect(trace).not.toContain('48.85');
    expect(trace).not.toContain('response');
  });

  it('wraps every handler with the shared Powertools middlewares', () => {
    const folders = readdirSync(LAMBDA_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'shared')
      .map((entry) => entry.name);

    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) {
      const source = readFileSync(`${LAMBDA_DIR}${folder}/handler.ts`, 'utf8');
      expect(source, `lambda/${folder}/handler.ts`).toContain('withPowertools(');
      expect(source, `lambda/${folder}/handler.ts`).not.toContain('captureLambdaHandler');
    }
  });
});
