import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  ExecutionNotRedrivable,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS, type RetryPhotoDeps, retryPhoto } from '../../lambda/retry-photo/retry-photo';
import type { ApiError, RetryPhotoResponse } from '../../lambda/shared/api';
import type { PhotoRecord } from '../../lambda/shared/model';
import type { WorkflowInput } from '../../lambda/shared/workflow';
import { apiEvent, bodyOf, clients, photoRecord, STATE_MACHINE, TABLE } from './api-helpers';
import { FakeTable, silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

const NOW = '2025-03-02T08:00:00.000Z';
const FAILED_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:ImageProc:p1-0123456789abcdef';

function retry(photoId: string, sub: string | null = 'user-1') {
  return apiEvent({ routeKey: 'POST /photos/{photoId}/retry', pathParameters: { photoId }, sub });
}

const failed = (overrides: Partial<PhotoRecord> = {}) =>
  photoRecord({
    photoId: 'p1',
    status: 'FAILED',
    reason: 'Amazon Rekognition was busy and retries ran out',
    executionId: FAILED_ARN,
    labels: [],
    tags: [],
    thumbnail: null,
    ...overrides,
  });

describe('retry-photo', () => {
  let deps: RetryPhotoDeps;
  let table: FakeTable;
  const stored = () => table.get({ owner: 'user-1', photoId: 'p1' }) as unknown as PhotoRecord;
  const starts = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

  beforeEach(() => {
    dynamoMock.reset();
    sfnMock.reset();
    table = new FakeTable(dynamoMock);
    table.put(failed());
    // A failure the workflow caught and recorded ends in its Fail state: not redrivable.
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', redriveStatus: 'NOT_REDRIVABLE' });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:new', startDate: new Date(NOW) });
    const { dynamo, sfn } = clients();
    deps = {
      dynamo,
      sfn,
      tableName: TABLE,
      stateMachineArn: STATE_MACHINE,
      log: silentLog(),
      now: () => new Date(NOW),
    };
  });

  it('starts a new execution for a failure that is not redrivable, records the attempt; 202', async () => {
    // Act
    const response = await retryPhoto(retry('p1'), deps);

    // Assess
    expect(response.statusCode).toBe(202);
    const body = bodyOf<RetryPhotoResponse>(response);
    expect(body).toMatchObject({
      photoId: 'p1',
      status: 'PROCESSING',
      attempts: 2,
      retriedBy: 'new-execution',
    });
    expect(starts()).toHaveLength(1);
    const [start] = starts();
    expect(start.stateMachineArn).toBe(STATE_MACHINE);
    expect(JSON.parse(start.input!)).toEqual<WorkflowInput>({
      bucket: 'photo-repo',
      key: 'Incoming/user-1/p1.jpg',
      owner: 'user-1',
      photoId: 'p1',
      uploadedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(start.name).toMatch(/^p1-[0-9a-f]{32}$/);
    expect(start.name).not.toBe(failed().executionName);
    // The pipeline's writes need PROCESSING under the new execution's name.
    expect(stored()).toMatchObject({
      status: 'PROCESSING',
      reason: null,
      executionName: start.name,
      executionId: null,
      attempts: 2,
      attemptHistory: [
        {
          executionName: failed().executionName,
          executionId: FAILED_ARN,
          reason: 'Amazon Rekognition was busy and retries ran out',
          retriedAt: NOW,
          retriedBy: 'new-execution',
        },
      ],
    });
  });

  it('redrives an execution Step Functions reports as redrivable, under the same name', async () => {
    // Prepare
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'TIMED_OUT', redriveStatus: 'REDRIVABLE' });
    sfnMock.on(RedriveExecutionCommand).resolves({ redriveDate: new Date(NOW) });

    // Act
    const response = await retryPhoto(retry('p1'), deps);

    // Assess
    expect(bodyOf<RetryPhotoResponse>(response)).toMatchObject({ retriedBy: 'redrive', attempts: 2 });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0].args[0].input).toEqual({
      executionArn: FAILED_ARN,
    });
    expect(starts()).toHaveLength(0);
    expect(stored()).toMatchObject({
      status: 'PROCESSING',
      executionName: failed().executionName,
      executionId: FAILED_ARN,
      attempts: 2,
    });
  });

  it('falls back to a new execution when the redrive is refused after all', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', redriveStatus: 'REDRIVABLE' });
    sfnMock
      .on(RedriveExecutionCommand)
      .rejects(new ExecutionNotRedrivable({ message: 'Execution is not redrivable', $metadata: {} }));

    const response = await retryPhoto(retry('p1'), deps);

    expect(bodyOf<RetryPhotoResponse>(response)).toMatchObject({ retriedBy: 'new-execution', attempts: 2 });
    expect(starts()).toHaveLength(1);
    expect(stored()).toMatchObject({
      status: 'PROCESSING',
      executionName: starts()[0].name,
      executionId: null,
    });
    expect(stored().attemptHistory?.[0].retriedBy).toBe('new-execution');
  });

  it.each([
    ['never started (start-execution could not start it)', { executionId: null }],
    ['whose execution history is gone', {}],
  ])('starts a new execution for a photo %s', async (_why, overrides) => {
    table.put(failed(overrides));
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));

    const response = await retryPhoto(retry('p1'), deps);

    expect(bodyOf<RetryPhotoResponse>(response).retriedBy).toBe('new-execution');
    expect(starts()).toHaveLength(1);
  });

  it('gives each retry its own execution name', async () => {
    await retryPhoto(retry('p1'), deps);
    table.put({ ...stored(), status: 'FAILED', reason: 'again' });

    await retryPhoto(retry('p1'), deps);

    const names = starts().map((start) => start.name);
    expect(new Set(names).size).toBe(2);
    expect(stored()).toMatchObject({ attempts: 3 });
    expect(stored().attemptHistory).toHaveLength(2);
  });

  it.each(['READY', 'REJECTED', 'PROCESSING'] as const)('refuses a %s photo with 409', async (status) => {
    table.put(failed({ status }));

    const response = await retryPhoto(retry('p1'), deps);

    expect(response.statusCode).toBe(409);
    expect(bodyOf<ApiError>(response).message).toContain(
      `Only a FAILED photo can be retried; p1 is ${status}`,
    );
    expect(starts()).toHaveLength(0);
  });

  it(`refuses a photo that has failed ${MAX_ATTEMPTS} times with 409`, async () => {
    table.put(failed({ attempts: MAX_ATTEMPTS }));

    const response = await retryPhoto(retry('p1'), deps);

    expect(response.statusCode).toBe(409);
    expect(bodyOf<ApiError>(response).message).toMatch(/failed 5 times.*upload it again or delete it/);
  });

  it("answers 404 for another user's photo, as for a missing one", async () => {
    const theirs = await retryPhoto(retry('p1', 'user-2'), deps);
    const missing = await retryPhoto(retry('nope'), deps);

    expect(theirs.statusCode).toBe(404);
    expect(bodyOf<ApiError>(theirs)).toEqual({ message: 'No photo p1' });
    expect(missing.statusCode).toBe(404);
    expect(bodyOf<ApiError>(missing)).toEqual({ message: 'No photo nope' });
    expect(stored().status).toBe('FAILED');
  });

  it('answers 409 when another retry claimed the photo first', async () => {
    // Prepare: the record changes between the read and the claim.
    sfnMock.on(DescribeExecutionCommand).callsFake(async () => {
      table.put({ ...stored(), status: 'PROCESSING', executionName: 'someone-else' });
      return { status: 'FAILED', redriveStatus: 'NOT_REDRIVABLE' };
    });

    const response = await retryPhoto(retry('p1'), deps);

    expect(response.statusCode).toBe(409);
    expect(bodyOf<ApiError>(response).message).toContain('changed while it was being retried');
    expect(starts()).toHaveLength(0);
  });

  it('answers 503 and leaves the photo FAILED when the execution cannot be started', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionLimitExceeded({ message: 'Too many executions', $metadata: {} }));

    const response = await retryPhoto(retry('p1'), deps);

    expect(response.statusCode).toBe(503);
    expect(bodyOf<ApiError>(response).message).toMatch(/ExecutionLimitExceeded.*still FAILED: try again/);
    expect(stored()).toMatchObject({ status: 'FAILED', attempts: 2 });
    expect(stored().reason).toContain('The retry could not be started');
  });

  it('answers 400 for a malformed photo id and 401 without a user', async () => {
    expect((await retryPhoto(retry('a/b#c'), deps)).statusCode).toBe(400);
    expect((await retryPhoto(retry('p1', null), deps)).statusCode).toBe(401);
  });
});
