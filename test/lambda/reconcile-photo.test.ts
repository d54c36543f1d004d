import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ExecutionStopped,
  parseExecutionStopped,
  type ReconcileDeps,
  reconcilePhoto,
  stoppedReason,
} from '../../lambda/reconcile-photo/reconcile-photo';
import { InvalidInput } from '../../lambda/shared/errors';
import type { PhotoRecord } from '../../lambda/shared/model';
import { FakeTable, silentLog } from './helpers';

const EXECUTION_NAME = 'p1-0123456789abcdef0123456789abcdef';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc';
const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:ImageProc:${EXECUTION_NAME}`;
const NOW = '2025-03-01T10:20:00.000Z';

const processing: PhotoRecord = {
  owner: 'alice',
  photoId: 'p1',
  bucket: 'photo-repo',
  originalKey: 'Incoming/alice/p1.jpg',
  status: 'PROCESSING',
  reason: null,
  uploadedAt: '2025-03-01T10:00:00.000Z',
  updatedAt: '2025-03-01T10:00:01.000Z',
  executionName: EXECUTION_NAME,
  executionId: null,
  metadata: null,
  labels: [],
  tags: [],
  thumbnail: null,
};

/** The event EventBridge delivers (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html). */
function statusChange(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2025-03-01T10:15:00Z',
    region: 'eu-west-1',
    resources: [EXECUTION_ARN],
    detail: {
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE_ARN,
      name: EXECUTION_NAME,
      status: 'ABORTED',
      startDate: 1740823200000,
      stopDate: 1740824100000,
      input: JSON.stringify({
        bucket: 'photo-repo',
        key: 'Incoming/alice/p1.jpg',
        owner: 'alice',
        photoId: 'p1',
      }),
      output: null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}

const dynamoMock = mockClient(DynamoDBDocumentClient);

describe('reconcilePhoto', () => {
  let table: FakeTable;
  let deps: ReconcileDeps;

  beforeEach(() => {
    dynamoMock.reset();
    table = new FakeTable(dynamoMock);
    deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'ImageMetadata',
      executionTimeoutSeconds: 900,
      log: silentLog(),
      now: () => new Date(NOW),
    };
  });

  it('marks a PROCESSING record of the stopped execution FAILED with the reason', async () => {
    table.put(processing);

    const outcome = await reconcilePhoto(parseExecutionStopped(statusChange({})), deps);

    expect(outcome).toEqual({ marked: true, reason: 'Processing stopped: the execution was aborted' });
    expect(table.get({ owner: 'alice', photoId: 'p1' })).toMatchObject({
      status: 'FAILED',
      reason: 'Processing stopped: the execution was aborted',
      executionId: EXECUTION_ARN,
      updatedAt: NOW,
      uploadedAt: processing.uploadedAt,
    });
  });

  it('marks a record the state machine already wrote to (executionId set) FAILED', async () => {
    table.put({ ...processing, executionId: EXECUTION_ARN });

    const outcome = await reconcilePhoto(
      parseExecutionStopped(statusChange({ status: 'TIMED_OUT', error: 'States.Timeout' })),
      deps,
    );

    expect(outcome.marked).toBe(true);
    expect(table.get({ owner: 'alice', photoId: 'p1' })?.reason).toBe(
      'Processing stopped: the execution timed out after 15 minutes',
    );
  });

  it('leaves a READY record alone', async () => {
    table.put({ ...processing, status: 'READY', executionId: EXECUTION_ARN });

    const outcome = await reconcilePhoto(parseExecutionStopped(statusChange({})), deps);

    expect(outcome.marked).toBe(false);
    expect(table.get({ owner: 'alice', photoId: 'p1' })).toMatchObject({ status: 'READY', reason: null });
  });

  it('leaves the record of another execution (a re-upload) alone', async () => {
    table.put({ ...processing, executionName: 'p1-ffffffffffffffffffffffffffffffff' });

    const outcome = await reconcilePhoto(parseExecutionStopped(statusChange({})), deps);

    expect(outcome.marked).toBe(false);
    expect(table.get({ owner: 'alice', photoId: 'p1' })).toMatchObject({ status: 'PROCESSING' });
  });

  it('ignores a deleted photo and does not recreate its record', async () => {
    const outcome = await reconcilePhoto(parseExecutionStopped(statusChange({})), deps);

    expect(outcome.marked).toBe(false);
    expect(table.items.size).toBe(0);
  });

  it('fails when DynamoDB fails for another reason, so the event is retried', async () => {
    dynamoMock.reset();
    dynamoMock.rejects(Object.assign(new Error('Throughput exceeded'), { name: 'ThrottlingException' }));

    await expect(reconcilePhoto(parseExecutionStopped(statusChange({})), deps)).rejects.toThrow(
      'Throughput exceeded',
    );
  });
});

describe('stoppedReason', () => {
  const base: Pick<ExecutionStopped, 'startDate' | 'stopDate' | 'error' | 'cause'> = {
    startDate: 0,
    stopDate: 90_000,
    error: null,
    cause: null,
  };

  it('says a timed-out execution timed out after the configured time', () => {
    expect(stoppedReason({ ...base, status: 'TIMED_OUT' }, 600)).toBe(
      'Processing stopped: the execution timed out after 10 minutes',
    );
    expect(stoppedReason({ ...base, status: 'TIMED_OUT' }, 90)).toBe(
      'Processing stopped: the execution timed out after 90 seconds',
    );
  });

  it('falls back on the execution’s duration when the timeout is unknown', () => {
    expect(stoppedReason({ ...base, status: 'TIMED_OUT' })).toBe(
      'Processing stopped: the execution timed out after 90 seconds',
    );
  });

  it('gives a failed execution’s error and cause, Lambda’s JSON cause reduced to its message', () => {
    expect(
      stoppedReason({
        ...base,
        status: 'FAILED',
        error: 'States.DataLimitExceeded',
        cause:
          "The state/task 'ExtractImageMetadata' returned a result with a size exceeding the maximum number of bytes service limit.",
      }),
    ).toBe(
      "Processing stopped: the execution failed: States.DataLimitExceeded: The state/task 'ExtractImageMetadata' returned a result with a size exceeding the maximum number of bytes service limit.",
    );
    expect(
      stoppedReason({
        ...base,
        status: 'FAILED',
        error: 'CorruptImage',
        cause: JSON.stringify({ errorType: 'CorruptImage', errorMessage: 'The image data is corrupt' }),
      }),
    ).toBe('Processing stopped: the execution failed: CorruptImage: The image data is corrupt');
    expect(stoppedReason({ ...base, status: 'FAILED' })).toBe('Processing stopped: the execution failed');
  });

  it('keeps a very long cause to 1000 characters', () => {
    expect(stoppedReason({ ...base, status: 'FAILED', error: 'E', cause: 'x'.repeat(5000) })).toHaveLength(
      1000,
    );
  });
});

describe('parseExecutionStopped', () => {
  it('reads the photo from the execution input and the dates as epoch milliseconds', () => {
    expect(parseExecutionStopped(statusChange({ status: 'FAILED', error: 'E', cause: 'C' }))).toEqual({
      executionArn: EXECUTION_ARN,
      status: 'FAILED',
      owner: 'alice',
      photoId: 'p1',
      startDate: 1740823200000,
      stopDate: 1740824100000,
      error: 'E',
      cause: 'C',
    });
  });

  it('fails when the status is not one the rule sends', () => {
    expect(() => parseExecutionStopped(statusChange({ status: 'SUCCEEDED' }))).toThrow(InvalidInput);
  });

  it('fails when the input is not ImageProc’s', () => {
    expect(() => parseExecutionStopped(statusChange({ input: '{"bucket":"b"}' }))).toThrow(/owner/);
    expect(() => parseExecutionStopped(statusChange({ input: 'not json' }))).toThrow(/not JSON/);
  });

  it('fails when the event has no detail', () => {
    expect(() => parseExecutionStopped({})).toThrow(/detail/);
  });
});
