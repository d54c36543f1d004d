import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  decide,
  isReleaseRequest,
  preparePhoto,
  type ReprocessDeps,
  releaseUnstarted,
} from '../../lambda/reprocess-photo/reprocess-photo';
import type { PhotoRecord, PhotoTombstone } from '../../lambda/shared/model';
import { photoIdCandidates } from '../../lambda/start-execution/start-execution';
import { BUCKET, clients, photoRecord, TABLE } from './api-helpers';
import { FakeTable, silentLog } from './helpers';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const NOW = '2025-03-02T08:00:00.000Z';
const CURRENT = 'r1-current00000';
const KEY = 'Incoming/user-1/p1.jpg';

const ready = (overrides: Partial<PhotoRecord> = {}) =>
  photoRecord({ photoId: 'p1', status: 'READY', pipelineVersion: CURRENT, originalKey: KEY, ...overrides });

describe('reprocess-photo: decide', () => {
  const settings = { pipelineVersion: CURRENT, all: false };

  it('skips a photo made with the current pipeline version', () => {
    expect(decide(ready(), settings)).toEqual({ action: 'skip', reason: 'up-to-date' });
    expect(decide(ready({ status: 'REJECTED' }), settings)).toEqual({ action: 'skip', reason: 'up-to-date' });
  });

  it('redoes it with all: true, and a photo made with another version in any case', () => {
    expect(decide(ready(), { ...settings, all: true })).toMatchObject({ action: 'process' });
    expect(decide(ready({ pipelineVersion: 'r1-older' }), settings)).toMatchObject({ action: 'process' });
    expect(decide(ready({ pipelineVersion: undefined }), settings)).toMatchObject({ action: 'process' });
  });

  it('always redoes a FAILED photo, never one being processed, deleted or without a record', () => {
    expect(decide(ready({ status: 'FAILED', pipelineVersion: CURRENT }), settings)).toMatchObject({
      action: 'process',
    });
    expect(decide(ready({ status: 'PROCESSING' }), { ...settings, all: true })).toEqual({
      action: 'skip',
      reason: 'processing',
    });
    const tombstone = {
      owner: 'user-1',
      photoId: 'p1',
      status: 'DELETED',
      originalKey: KEY,
    } as unknown as PhotoTombstone;
    expect(decide(tombstone, { ...settings, all: true })).toEqual({ action: 'skip', reason: 'deleted' });
    expect(decide(undefined, settings)).toEqual({ action: 'skip', reason: 'no-record' });
  });
});

/** An empty fake table and the deps that reach it, at NOW, under the CURRENT pipeline version. */
function freshTable(): { table: FakeTable; deps: ReprocessDeps } {
  dynamoMock.reset();
  return {
    table: new FakeTable(dynamoMock),
    deps: {
      dynamo: clients().dynamo,
      tableName: TABLE,
      pipelineVersion: CURRENT,
      log: silentLog(),
      now: () => new Date(NOW),
    },
  };
}

describe('reprocess-photo: preparePhoto', () => {
  let deps: ReprocessDeps;
  let table: FakeTable;
  const stored = () => table.get({ owner: 'user-1', photoId: 'p1' }) as unknown as PhotoRecord;

  beforeEach(() => {
    ({ table, deps } = freshTable());
  });

  it('claims an out-of-date photo and returns the input ImageProc gets for its upload', async () => {
    // Prepare
    table.put(ready({ pipelineVersion: 'r1-older', attempts: 1 }));

    // Act
    const result = await preparePhoto({ bucket: BUCKET, key: KEY, run: {} }, deps);

    // Assess
    expect(result).toMatchObject({
      action: 'process',
      owner: 'user-1',
      photoId: 'p1',
      input: { bucket: BUCKET, key: KEY, owner: 'user-1', photoId: 'p1' },
    });
    expect(stored()).toMatchObject({
      status: 'PROCESSING',
      attempts: 2,
      executionName: (result as { executionName: string }).executionName,
      executionId: null,
      attemptHistory: [expect.objectContaining({ retriedBy: 'reprocess', retriedAt: NOW })],
    });
  });

  it('gives each attempt its own execution name, unlike a retry of the same attempt', async () => {
    table.put(ready({ status: 'FAILED', attempts: 2 }));

    const first = await preparePhoto({ bucket: BUCKET, key: KEY }, deps);

    expect(first.action).toBe('process');
    expect((first as { executionName: string }).executionName).not.toBe(ready().executionName);
    expect(stored().attempts).toBe(3);
  });

  it('leaves an up-to-date photo alone unless the run says all', async () => {
    table.put(ready());

    const skipped = await preparePhoto({ bucket: BUCKET, key: KEY, run: {} }, deps);
    const redone = await preparePhoto({ bucket: BUCKET, key: KEY, run: { all: true } }, deps);

    expect(skipped).toEqual({ action: 'skip', key: KEY, reason: 'up-to-date' });
    expect(redone.action).toBe('process');
  });

  it('finds the record of a key whose photo id another key held (the hashed id start-execution gave it)', async () => {
    const hashedId = photoIdCandidates(KEY)[1];
    table.put(ready({ originalKey: 'Incoming/user-1/p1.png', pipelineVersion: 'r1-older' }));
    table.put(ready({ photoId: hashedId, pipelineVersion: 'r1-older' }));

    const result = await preparePhoto({ bucket: BUCKET, key: KEY }, deps);

    expect(result).toMatchObject({ action: 'process', photoId: hashedId });
    // The other key's photo is left as it was.
    expect(stored().status).toBe('READY');
  });

  it('says no-record for an object whose photo id another key holds and that has none of its own', async () => {
    table.put(ready({ originalKey: 'Incoming/user-1/p1.png' }));

    const result = await preparePhoto({ bucket: BUCKET, key: KEY }, deps);

    expect(result).toEqual({ action: 'skip', key: KEY, reason: 'no-record' });
  });

  it('skips a photo that changed between the read and the claim', async () => {
    table.put(ready({ pipelineVersion: 'r1-older' }));
    // Another run (or a re-upload) claims it first: the conditional update finds PROCESSING.
    const { dynamo } = clients();
    const read = dynamo.send.bind(dynamo);
    deps = {
      ...deps,
      dynamo: Object.assign(Object.create(dynamo), {
        send: async (command: Parameters<typeof read>[0]) => {
          const answer = await read(command);
          if (command.constructor.name === 'GetCommand') table.put(ready({ status: 'PROCESSING' }));
          return answer;
        },
      }),
    };

    const result = await preparePhoto({ bucket: BUCKET, key: KEY }, deps);

    expect(result).toEqual({ action: 'skip', key: KEY, reason: 'changed' });
    expect(stored().status).toBe('PROCESSING');
  });

  it('decodes a key as S3 Inventory writes it (URL-encoded)', async () => {
    const key = 'Incoming/user-1/p1.jpg';
    table.put(ready({ pipelineVersion: 'r1-older' }));

    const result = await preparePhoto(
      { bucket: BUCKET, key: encodeURIComponent(key), keyEncoding: 'url' },
      deps,
    );

    expect(result).toMatchObject({ action: 'process', input: { key } });
  });

  it('fails for an item without a bucket and key', async () => {
    await expect(preparePhoto({ key: KEY } as never, deps)).rejects.toThrow(/needs a bucket and a key/);
  });
});

describe('reprocess-photo: releaseUnstarted (ReleasePhoto)', () => {
  let deps: ReprocessDeps;
  let table: FakeTable;
  const stored = () => table.get({ owner: 'user-1', photoId: 'p1' }) as unknown as PhotoRecord;
  const claim = { owner: 'user-1', photoId: 'p1', executionName: 'claimed-run' };
  const refused = {
    Error: 'StepFunctions.StateMachineDoesNotExistException',
    Cause: 'State Machine Does Not Exist: arn:aws:states:eu-west-1:1:stateMachine:ImageProc:live',
  };

  beforeEach(() => {
    ({ table, deps } = freshTable());
  });

  it('tells a release from an item', () => {
    expect(isReleaseRequest({ release: claim, error: refused })).toBe(true);
    expect(isReleaseRequest({ bucket: BUCKET, key: KEY })).toBe(false);
  });

  it('gives a claimed photo whose ImageProc never started back as FAILED, with the error and cause', async () => {
    table.put(ready({ status: 'PROCESSING', executionName: 'claimed-run' }));

    const result = await releaseUnstarted({ release: claim, error: refused }, deps);

    expect(result).toEqual({ released: true });
    expect(stored()).toMatchObject({
      status: 'FAILED',
      updatedAt: NOW,
      reason:
        'Processing could not be started: StepFunctions.StateMachineDoesNotExistException: State Machine Does Not Exist: arn:aws:states:eu-west-1:1:stateMachine:ImageProc:live',
    });
  });

  it('leaves a record that moved on (another run, a re-upload, a delete) as it is', async () => {
    table.put(ready({ status: 'PROCESSING', executionName: 'a-later-run' }));

    const result = await releaseUnstarted({ release: claim, error: refused }, deps);

    expect(result).toEqual({ released: false });
    expect(stored()).toMatchObject({ status: 'PROCESSING', executionName: 'a-later-run' });
  });

  it('fails for a release without the claim', async () => {
    await expect(releaseUnstarted({ release: { owner: 'user-1' } } as never, deps)).rejects.toThrow(
      /needs the claim's owner, photoId and executionName/,
    );
  });
});
