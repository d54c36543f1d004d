import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type GetPhotoDeps, getPhoto, standardExecutionArn } from '../../lambda/get-photo/get-photo';
import { originalDownload } from '../../lambda/get-photo/original-download';
import type { PhotoDetail } from '../../lambda/shared/api';
import { STATES } from '../../lambda/shared/workflow';
import { resolveConfig } from '../../lib/config';
import { costModelFor } from '../../lib/cost-model';
import { apiEvent, BUCKET, bodyOf, clients, photoRecord, TABLE } from './api-helpers';
import { FakeTable, silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const sfnMock = mockClient(SFNClient);

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:ImageProc:p1-0123456789abcdef';

function get(photoId: string, sub: string | null = 'user-1') {
  return apiEvent({ routeKey: 'GET /photos/{photoId}', pathParameters: { photoId }, sub });
}

const at = (ms: number) => new Date(Date.parse('2025-03-01T10:00:00.000Z') + ms);
const event = (id: number, type: string, ms: number, details: Record<string, unknown> = {}) =>
  ({ id, previousEventId: id - 1, timestamp: at(ms), type, ...details }) as HistoryEvent;

/** A short successful history, split over two pages. */
const PAGE_1 = [
  event(1, 'ExecutionStarted', 0),
  event(2, 'TaskStateEntered', 10, { stateEnteredEventDetails: { name: STATES.extractImageMetadata } }),
  event(3, 'LambdaFunctionScheduled', 20),
];
const PAGE_2 = [
  event(4, 'LambdaFunctionStarted', 30),
  event(5, 'LambdaFunctionSucceeded', 300),
  event(6, 'TaskStateExited', 310, { stateExitedEventDetails: { name: STATES.extractImageMetadata } }),
  event(7, 'ExecutionSucceeded', 320),
];

describe('get-photo', () => {
  let deps: GetPhotoDeps;
  let table: FakeTable;

  beforeEach(() => {
    dynamoMock.reset();
    s3Mock.reset();
    sfnMock.reset();
    table = new FakeTable(dynamoMock);
    table.put(photoRecord({ photoId: 'p1', executionId: EXECUTION, executionName: 'p1-0123456789abcdef' }));
    table.put(photoRecord({ owner: 'user-2', photoId: 'theirs' }));
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc',
      status: 'SUCCEEDED',
      startDate: at(0),
      stopDate: at(320),
    });
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolves({ events: PAGE_1, nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { nextToken: 'page-2' })
      .resolves({ events: PAGE_2 });
    const { dynamo, s3, sfn } = clients();
    deps = { dynamo, s3, sfn, tableName: TABLE, bucket: BUCKET, log: silentLog() };
  });

  it('answers the photo with its execution, URLs and timeline', async () => {
    const response = await getPhoto(get('p1'), deps);

    expect(response.statusCode).toBe(200);
    const body = bodyOf<PhotoDetail>(response);
    expect(body).toMatchObject({
      photoId: 'p1',
      key: 'Incoming/user-1/p1.jpg',
      status: 'READY',
      labels: [{ name: 'Cat', confidence: 97.5 }],
      execution: { name: 'p1-0123456789abcdef', status: 'SUCCEEDED', durationMs: 320 },
      timeline: [
        {
          name: STATES.extractImageMetadata,
          type: 'Task',
          startedAt: '2025-03-01T10:00:00.010Z',
          endedAt: '2025-03-01T10:00:00.310Z',
          durationMs: 300,
          outcome: 'SUCCEEDED',
          attempts: 1,
          error: null,
          cause: null,
        },
      ],
    });
    const original = new URL(body.urls.original);
    expect(original.pathname).toBe('/Incoming/user-1/p1.jpg');
    expect(original.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(new URL(body.urls.thumbnail as string).pathname).toBe('/Thumbnails/user-1/p1.jpg');
  });

  it('prices the execution from its timeline with the cost model (the cost receipt)', async () => {
    // Prepare
    const model = costModelFor(resolveConfig());
    table.put({ ...table.get({ owner: 'user-1', photoId: 'p1' }), rekognitionCalls: 1 });

    // Act
    const body = bodyOf<PhotoDetail>(await getPhoto(get('p1'), { ...deps, costModel: model }));

    // Assess: one Task of 300 ms at ExtractImageMetadata's 512 MB, one transition, one Rekognition call.
    expect(body.cost?.usage).toEqual({
      stateTransitions: 1,
      lambdaRequests: 1,
      lambdaGbSeconds: 0.15,
      rekognitionCalls: 1,
      executionMs: 300,
    });
    expect(body.cost?.stepFunctionsUsd).toBeCloseTo(0.000025, 12);
    expect(body.cost?.lambdaUsd).toBeCloseTo(0.0000002 + 0.15 * 0.0000133334, 12);
    expect(body.cost?.rekognitionUsd).toBeCloseTo(0.001, 12);
    expect(body.cost).toMatchObject({
      workflowType: 'STANDARD',
      region: 'us-east-1',
      pricesAsOf: '2026-11-26',
    });
  });

  it('has no cost receipt while the photo is processing', async () => {
    table.put(photoRecord({ photoId: 'p1', status: 'PROCESSING', executionId: EXECUTION }));

    const body = bodyOf<PhotoDetail>(
      await getPhoto(get('p1'), { ...deps, costModel: costModelFor(resolveConfig()) }),
    );

    expect(body.cost).toBeNull();
  });

  it('serves the original as a download with the JPEG type its bytes have', async () => {
    const body = bodyOf<PhotoDetail>(await getPhoto(get('p1'), deps));

    const original = new URL(body.urls.original);
    expect(original.searchParams.get('response-content-disposition')).toBe('attachment; filename="p1.jpg"');
    expect(original.searchParams.get('response-content-type')).toBe('image/jpeg');
    // Signed: the overrides cannot be changed without breaking the signature.
    expect(original.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves the thumbnail URL as generate-thumbnail stored it (its own JPEG or PNG type)', async () => {
    const body = bodyOf<PhotoDetail>(await getPhoto(get('p1'), deps));

    const thumbnail = new URL(body.urls.thumbnail as string);
    expect(thumbnail.searchParams.has('response-content-type')).toBe(false);
    expect(thumbnail.searchParams.has('response-content-disposition')).toBe(false);
  });

  it.each([
    ['png', 'image/png', 'png'],
    ['webp', 'image/webp', 'webp'],
    ['gif', 'image/gif', 'gif'],
    ['tiff', 'image/tiff', 'tif'],
    ['avif', 'image/avif', 'avif'],
    ['heif', 'image/heif', 'heif'],
  ])('serves a %s original as %s, named .%s', async (format, type, extension) => {
    const record = photoRecord({ photoId: 'p3', status: 'REJECTED' });
    table.put({ ...record, metadata: { ...record.metadata!, format } });

    const original = new URL(bodyOf<PhotoDetail>(await getPhoto(get('p3'), deps)).urls.original);

    expect(original.searchParams.get('response-content-type')).toBe(type);
    expect(original.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="p3.${extension}"`,
    );
  });

  it.each([
    ['an SVG', 'svg', 'Incoming/user-1/p4.svg', 'p4.svg'],
    ['a PDF', 'pdf', 'Incoming/user-1/p4.pdf', 'p4.pdf'],
    ['a file sharp could not read', null, 'Incoming/user-1/p4.html', 'p4.html'],
    ['a file whose key has no usable extension', null, 'Incoming/user-1/p4', 'p4.bin'],
    ['a prototype property name', 'constructor', 'Incoming/user-1/p4.x', 'p4.x'],
  ])('never serves %s as an image', async (_what, format, originalKey, fileName) => {
    const record = photoRecord({ photoId: 'p4', status: 'REJECTED', originalKey, thumbnail: null });
    table.put({ ...record, metadata: { ...record.metadata!, format } });

    const original = new URL(bodyOf<PhotoDetail>(await getPhoto(get('p4'), deps)).urls.original);

    expect(original.searchParams.get('response-content-type')).toBe('application/octet-stream');
    expect(original.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="${fileName}"`,
    );
  });

  it('serves a photo whose metadata was never read as an octet stream', async () => {
    table.put(photoRecord({ photoId: 'p5', status: 'PROCESSING', metadata: null, thumbnail: null }));

    const original = new URL(bodyOf<PhotoDetail>(await getPhoto(get('p5'), deps)).urls.original);

    expect(original.searchParams.get('response-content-type')).toBe('application/octet-stream');
    expect(original.searchParams.get('response-content-disposition')).toBe('attachment; filename="p5.jpg"');
  });

  it("reads the record by the caller's own key", async () => {
    await getPhoto(get('p1'), deps);

    expect(dynamoMock.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { owner: 'user-1', photoId: 'p1' },
    });
  });

  it('reads every page of the history, without inputs and outputs', async () => {
    await getPhoto(get('p1'), deps);

    const calls = sfnMock.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false, nextToken: undefined },
      { executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false, nextToken: 'page-2' },
    ]);
  });

  it('answers a null thumbnail URL when the photo has no thumbnail', async () => {
    table.put(photoRecord({ photoId: 'p2', status: 'REJECTED', thumbnail: null }));

    const body = bodyOf<PhotoDetail>(await getPhoto(get('p2'), deps));

    expect(body.urls.thumbnail).toBeNull();
    expect(body.urls.original).toContain('/Incoming/user-1/p2.jpg');
  });

  it('answers an empty timeline and no status when Step Functions no longer knows the execution', async () => {
    const gone = new ExecutionDoesNotExist({
      message: `Execution Does Not Exist: '${EXECUTION}'`,
      $metadata: {},
    });
    sfnMock.on(DescribeExecutionCommand).rejects(gone).on(GetExecutionHistoryCommand).rejects(gone);

    const body = bodyOf<PhotoDetail>(await getPhoto(get('p1'), deps));

    expect(body.timeline).toEqual([]);
    expect(body.execution).toEqual({ name: 'p1-0123456789abcdef', status: null, durationMs: null });
  });

  it('asks Step Functions nothing before the execution has started', async () => {
    table.put(photoRecord({ photoId: 'p3', status: 'PROCESSING', executionId: null, thumbnail: null }));

    const body = bodyOf<PhotoDetail>(await getPhoto(get('p3'), deps));

    expect(body).toMatchObject({ status: 'PROCESSING', timeline: [], execution: { status: null } });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('asks Step Functions nothing about an Express execution (it keeps no history)', async () => {
    const express =
      'arn:aws:states:eu-west-1:123456789012:express:ImageProc:p4-01:7f0b2c1e-0000-4000-8000-000000000000';
    table.put(photoRecord({ photoId: 'p4', executionId: express }));

    expect((await getPhoto(get('p4'), deps)).statusCode).toBe(200);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it("fails with 404 for another user's photo, as for a missing one", async () => {
    const theirs = await getPhoto(get('theirs'), deps);
    const missing = await getPhoto(get('nope'), deps);

    expect(theirs.statusCode).toBe(404);
    expect(bodyOf(theirs).message).toBe('No photo theirs');
    expect(missing.statusCode).toBe(404);
    expect(bodyOf(missing).message).toBe('No photo nope');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it.each([['../p1'], ['a/b'], ['p 1'], ['x'.repeat(129)], ['ünïcode']])(
    'fails with 400 for the photoId %j',
    async (photoId) => {
      const response = await getPhoto(get(photoId), deps);

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response).message).toMatch(/^photoId must be 1 to 128 letters, digits/);
      expect(dynamoMock.calls()).toHaveLength(0);
    },
  );

  it('fails with 400 when the route gives no photoId', async () => {
    const response = await getPhoto({ ...get('p1'), pathParameters: undefined }, deps);

    expect(response.statusCode).toBe(400);
  });

  it('fails with 401 without a signed-in user', async () => {
    const response = await getPhoto(get('p1', null), deps);

    expect(response.statusCode).toBe(401);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('answers 500 without details when Step Functions fails unexpectedly', async () => {
    sfnMock.on(GetExecutionHistoryCommand).rejects(new Error('AccessDeniedException: not authorized'));

    const response = await getPhoto(get('p1'), deps);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({ message: 'Something went wrong on our side; try again.' });
    expect(deps.log.error).toHaveBeenCalled();
  });
});

describe('standardExecutionArn', () => {
  it.each([
    [EXECUTION, EXECUTION],
    ['arn:aws:states:eu-west-1:123456789012:express:ImageProc:name:id', undefined],
    ['not-an-arn', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('%j → %j', (executionId, expected) => {
    expect(standardExecutionArn(executionId)).toBe(expected);
  });
});

describe('originalDownload', () => {
  it('names the download with letters, digits, dots, dashes and underscores only', () => {
    const download = originalDownload({
      photoId: '..a"b;c\r\nd é',
      originalKey: 'Incoming/user-1/x.jpg',
      metadata: null,
    });

    expect(download.ResponseContentDisposition).toBe('attachment; filename="a_b_c__d__.jpg"');
  });
});
