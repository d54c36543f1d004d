import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ExecutionAlreadyExists,
  ExecutionLimitExceeded,
  InvalidArn,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { S3EventRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StartExecutionFailed } from '../../lambda/shared/errors';
import type { PhotoRecord, PhotoTombstone } from '../../lambda/shared/model';
import type { WorkflowInput } from '../../lambda/shared/workflow';
import {
  decodeS3Key,
  executionNameFor,
  isStartFailure,
  photoIdentity,
  readRecords,
  START_FAILED_PREFIX,
  type StartExecutionDeps,
  startAll,
} from '../../lambda/start-execution/start-execution';
import { FakeTable, silentLog } from './helpers';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc';
const SAFE_ID = /^[A-Za-z0-9._-]+$/;
const SAFE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

const dynamoMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

/** An ObjectCreated record as S3 sends it: the key URL-encoded (spaces as +). */
function s3Record(
  encodedKey: string,
  sequencer = '0066F1A2B3C4D5E6F7',
  eventTime = '2025-03-01T10:00:00.000Z',
): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime,
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDA' },
    requestParameters: { sourceIPAddress: '203.0.113.9' },
    responseElements: { 'x-amz-request-id': 'R', 'x-amz-id-2': 'I' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'ImageProc',
      bucket: { name: 'photo-repo', ownerIdentity: { principalId: 'P' }, arn: 'arn:aws:s3:::photo-repo' },
      object: { key: encodedKey, size: 1234, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer },
    },
  };
}

describe('start-execution', () => {
  let table: FakeTable;
  let deps: StartExecutionDeps;

  beforeEach(() => {
    dynamoMock.reset();
    sfnMock.reset();
    table = new FakeTable(dynamoMock);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      sfn: new SFNClient({ region: 'eu-west-1' }),
      tableName: 'ImageMetadata',
      stateMachineArn: STATE_MACHINE_ARN,
      log: silentLog(),
      now: () => new Date('2025-03-01T10:00:01.000Z'),
    };
  });

  /** What the handler does with an event: read the records, start what is an upload. */
  const handle = (records: S3EventRecord[]) => startAll(readRecords(records).uploads, deps);
  const started = () =>
    sfnMock.commandCalls(StartExecutionCommand).map((call) => ({
      name: call.args[0].input.name as string,
      input: JSON.parse(call.args[0].input.input as string) as WorkflowInput,
    }));
  const record = (owner: string, photoId: string) => table.get({ owner, photoId }) as PhotoRecord | undefined;

  it('handles every record of the event: a PROCESSING record and an execution each', async () => {
    // Act
    await handle([
      s3Record('Incoming/alice/p1.jpg'),
      s3Record('Incoming/alice/p2.png'),
      s3Record('Incoming/bob/p3.jpg'),
    ]);

    // Assess
    expect(started().map((s) => s.input)).toEqual([
      {
        bucket: 'photo-repo',
        key: 'Incoming/alice/p1.jpg',
        owner: 'alice',
        photoId: 'p1',
        uploadedAt: '2025-03-01T10:00:00.000Z',
      },
      {
        bucket: 'photo-repo',
        key: 'Incoming/alice/p2.png',
        owner: 'alice',
        photoId: 'p2',
        uploadedAt: '2025-03-01T10:00:00.000Z',
      },
      {
        bucket: 'photo-repo',
        key: 'Incoming/bob/p3.jpg',
        owner: 'bob',
        photoId: 'p3',
        uploadedAt: '2025-03-01T10:00:00.000Z',
      },
    ]);
    expect(record('alice', 'p1')).toEqual<PhotoRecord>({
      owner: 'alice',
      photoId: 'p1',
      bucket: 'photo-repo',
      originalKey: 'Incoming/alice/p1.jpg',
      status: 'PROCESSING',
      reason: null,
      uploadedAt: '2025-03-01T10:00:00.000Z',
      updatedAt: '2025-03-01T10:00:01.000Z',
      executionName: started()[0].name,
      executionId: null,
      metadata: null,
      labels: [],
      tags: [],
      thumbnail: null,
      // The event's eTag: what a later byte-identical upload is recognised by.
      etag: 'd41d8cd98f00b204e9800998ecf8427e',
    });
    for (const { name } of started()) expect(name).toMatch(SAFE_NAME);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input.stateMachineArn).toBe(
      STATE_MACHINE_ARN,
    );
  });

  it.each([
    ['Incoming/alice/My+Photo+%281%29.jpg', 'Incoming/alice/My Photo (1).jpg'],
    ['Incoming/bob/caf%C3%A9+%E2%98%95.jpg', 'Incoming/bob/café ☕.jpg'],
    ['Incoming/carol/100%25+real%2Bplus.png', 'Incoming/carol/100% real+plus.png'],
    ['Incoming/%E7%8C%AB.jpg', 'Incoming/猫.jpg'],
  ])('decodes %s to the real key', async (encoded, key) => {
    // Act
    await handle([s3Record(encoded)]);

    // Assess
    const [{ input, name }] = started();
    expect(decodeS3Key(encoded)).toBe(key);
    expect(input.key).toBe(key);
    expect(input.photoId).toMatch(SAFE_ID);
    expect(name).toMatch(SAFE_NAME);
    expect(record(input.owner, input.photoId)?.originalKey).toBe(key);
  });

  describe('photoIdentity', () => {
    it.each([
      ['Incoming/alice/p1.jpg', 'alice', /^p1$/],
      ['Incoming/8b0c-uuid/IMG_0001.final.JPG', '8b0c-uuid', /^IMG_0001\.final$/],
      ['Incoming/cat.jpg', 'shared', /^cat$/],
      ['Incoming/My Photo.jpg', 'shared', /^My_Photo-[0-9a-f]{8}$/],
      ['Incoming/alice/2024/trip/beach.jpg', 'alice', /^2024_trip_beach-[0-9a-f]{8}$/],
      ['Incoming/bob/café ☕.jpg', 'bob', /^cafe-[0-9a-f]{8}$/],
      ['Incoming/bob/猫.jpg', 'bob', /^photo-[0-9a-f]{8}$/],
      ['Incoming//x.jpg', 'shared', /^x$/],
      ['Incoming/alice/.hidden', 'alice', /^hidden-[0-9a-f]{8}$/],
    ])('%s → owner %s, a safe photo id', (key, owner, photoId) => {
      const identity = photoIdentity(key);

      expect(identity.owner).toBe(owner);
      expect(identity.photoId).toMatch(photoId);
      expect(identity.photoId).toMatch(SAFE_ID);
      expect(photoIdentity(key)).toEqual(identity);
    });

    it('keeps ids short for very long names', () => {
      expect(photoIdentity(`Incoming/a/${'x'.repeat(500)}.jpg`).photoId.length).toBeLessThanOrEqual(89);
    });
  });

  describe('executionNameFor', () => {
    const upload = {
      bucket: 'photo-repo',
      key: `Incoming/alice/${'Ünïcödé name '.repeat(10)}.jpg`,
      version: '0066F1',
    };

    it('is at most 80 of [A-Za-z0-9_-] and the same for the same upload', () => {
      expect(executionNameFor(upload)).toMatch(SAFE_NAME);
      expect(executionNameFor({ ...upload })).toBe(executionNameFor(upload));
    });

    it('differs for a re-upload (new sequencer), another key or another bucket', () => {
      const names = new Set([
        executionNameFor(upload),
        executionNameFor({ ...upload, version: '0066F2' }),
        executionNameFor({ ...upload, key: `${upload.key}x` }),
        executionNameFor({ ...upload, bucket: 'other' }),
      ]);
      expect(names.size).toBe(4);
    });

    it('falls back to the eTag when the event has no sequencer', () => {
      const [withSequencer] = readRecords([s3Record('Incoming/a/p.jpg')]).uploads;
      const [withoutSequencer] = readRecords([s3Record('Incoming/a/p.jpg', '')]).uploads;

      expect(withSequencer.version).toBe('0066F1A2B3C4D5E6F7');
      expect(withoutSequencer.version).toBe('d41d8cd98f00b204e9800998ecf8427e');
    });
  });

  it('does not overwrite or restart for a duplicated event once the record has moved on', async () => {
    // Prepare
    const event = s3Record('Incoming/alice/p1.jpg');
    await handle([event]);
    const ready = { ...(record('alice', 'p1') as PhotoRecord), status: 'READY' as const, updatedAt: 'later' };
    table.put(ready);

    // Act
    const outcomes = await handle([event]);

    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ status: 'duplicate', photoId: 'p1' })]);
    expect(started()).toHaveLength(1);
    expect(record('alice', 'p1')).toEqual(ready);
  });

  it('starts the same execution name again for a duplicated event still PROCESSING, without rewriting the record', async () => {
    // Prepare: the first delivery wrote the record (and stopped before StartExecution, or not).
    const event = s3Record('Incoming/alice/p1.jpg');
    await handle([event]);
    const written = record('alice', 'p1');

    // Act
    const outcomes = await handle([event]);

    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ status: 'resumed' })]);
    const [first, second] = started();
    expect(second.name).toBe(first.name);
    expect(record('alice', 'p1')).toEqual(written);
  });

  describe('after a delete (a tombstone in place of the record)', () => {
    /** What delete-photo leaves: the deleted record's key, execution name and the time of the delete. */
    const tombstone = (over: Partial<PhotoTombstone> = {}): PhotoTombstone => ({
      owner: 'alice',
      photoId: 'p1',
      status: 'DELETED',
      bucket: 'photo-repo',
      originalKey: 'Incoming/alice/p1.jpg',
      executionName: executionNameFor({
        bucket: 'photo-repo',
        key: 'Incoming/alice/p1.jpg',
        version: '0066F1A2B3C4D5E6F7',
      }),
      deletedAt: '2025-03-01T10:00:30.000Z',
      expiresAt: 1_742_119_230,
      ...over,
    });

    it('creates no record and starts nothing for the same event delivered again', async () => {
      // Prepare
      table.put(tombstone());

      // Act
      const outcomes = await handle([s3Record('Incoming/alice/p1.jpg')]);

      // Assess
      expect(outcomes).toEqual([
        expect.objectContaining({ status: 'deleted', owner: 'alice', photoId: 'p1' }),
      ]);
      expect(started()).toEqual([]);
      expect(table.get({ owner: 'alice', photoId: 'p1' })).toEqual(tombstone());
    });

    it('starts nothing for a late event of an older upload of the key (S3 may deliver it after the delete)', async () => {
      table.put(tombstone());

      const outcomes = await handle([
        s3Record('Incoming/alice/p1.jpg', '0066F1A2B3C4D5E6E0', '2025-03-01T09:59:00.000Z'),
      ]);

      expect(outcomes).toEqual([expect.objectContaining({ status: 'deleted' })]);
      expect(started()).toEqual([]);
      expect(table.get({ owner: 'alice', photoId: 'p1' })).toEqual(tombstone());
    });

    it('processes an upload of the key made after the delete, replacing the tombstone', async () => {
      table.put(tombstone());

      const outcomes = await handle([
        s3Record('Incoming/alice/p1.jpg', '0066F1A2B3C4D5E6F9', '2025-03-01T10:01:00.000Z'),
      ]);

      expect(outcomes).toEqual([expect.objectContaining({ status: 'started', photoId: 'p1' })]);
      expect(started()).toHaveLength(1);
      expect(record('alice', 'p1')).toMatchObject({
        status: 'PROCESSING',
        uploadedAt: '2025-03-01T10:01:00.000Z',
        executionName: started()[0].name,
      });
      expect(record('alice', 'p1')).not.toHaveProperty('deletedAt');
    });

    it("gives another key a distinct id while a deleted photo's tombstone holds the id", async () => {
      table.put(tombstone());

      await handle([s3Record('Incoming/alice/p1.png', '0066F1A2B3C4D5E6F9', '2025-03-01T10:01:00.000Z')]);

      expect(started().map((s) => s.input.photoId)).toEqual([expect.stringMatching(/^p1-[0-9a-f]{8}$/)]);
      expect(table.get({ owner: 'alice', photoId: 'p1' })).toEqual(tombstone());
    });

    it('starts nothing when the photo is deleted between a failed put and the read', async () => {
      // Prepare: the first delivery wrote the record; the duplicate's put fails, then the delete lands.
      const event = s3Record('Incoming/alice/p1.jpg');
      await handle([event]);
      sfnMock.resetHistory();
      dynamoMock.on(GetCommand).callsFake(async (input) => {
        table.put(tombstone()); // the delete lands after the put failed on the live record
        return { Item: table.get(input.Key) };
      });

      // Act
      const outcomes = await handle([event]);

      // Assess
      expect(outcomes).toEqual([expect.objectContaining({ status: 'deleted' })]);
      expect(started()).toEqual([]);
    });

    it('makes the put conditional on no tombstone older than the upload', async () => {
      await handle([s3Record('Incoming/alice/p2.jpg')]);

      const put = dynamoMock.commandCalls(PutCommand)[0].args[0].input;
      expect(put.ConditionExpression).toContain('#status = :deleted AND #deletedAt < :uploadedAt');
      expect(put.ExpressionAttributeValues).toMatchObject({
        ':deleted': 'DELETED',
        ':uploadedAt': '2025-03-01T10:00:00.000Z',
      });
    });
  });

  it('counts ExecutionAlreadyExists as success', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    const outcomes = await handle([s3Record('Incoming/alice/p1.jpg')]);

    expect(outcomes).toEqual([expect.objectContaining({ status: 'started', photoId: 'p1' })]);
    expect(record('alice', 'p1')?.status).toBe('PROCESSING');
  });

  it('gives cat.jpg and cat.png in the same folder two distinct photo ids', async () => {
    // Act
    await handle([s3Record('Incoming/alice/cat.jpg'), s3Record('Incoming/alice/cat.png')]);
    await handle([s3Record('Incoming/alice/cat.png', '0066F1A2B3C4D5E6F8')]); // cat.png uploaded again

    // Assess
    const ids = started().map((s) => `${s.input.key} → ${s.input.photoId}`);
    expect(ids).toEqual([
      'Incoming/alice/cat.jpg → cat',
      expect.stringMatching(/^Incoming\/alice\/cat\.png → cat-[0-9a-f]{8}$/),
      ids[1],
    ]);
    expect(record('alice', 'cat')?.originalKey).toBe('Incoming/alice/cat.jpg');
    expect(record('alice', started()[1].input.photoId)?.originalKey).toBe('Incoming/alice/cat.png');
  });

  it('resets the record for a re-upload of the same key (new sequencer) and starts a new execution', async () => {
    // Prepare
    await handle([s3Record('Incoming/alice/p1.jpg')]);
    table.put({
      ...(record('alice', 'p1') as PhotoRecord),
      status: 'READY',
      labels: [{ name: 'Cat', confidence: 99 }],
      tags: ['cat'],
    });

    // Act
    await handle([s3Record('Incoming/alice/p1.jpg', '0066F1A2B3C4D5E6F9', '2025-03-02T08:00:00.000Z')]);

    // Assess
    const [first, second] = started();
    expect(second.name).not.toBe(first.name);
    expect(record('alice', 'p1')).toMatchObject({
      status: 'PROCESSING',
      executionName: second.name,
      labels: [],
      tags: [],
      uploadedAt: '2025-03-02T08:00:00.000Z',
    });
  });

  it('skips keys outside Incoming/, folder markers and other events', () => {
    const { uploads, skipped } = readRecords([
      s3Record('Thumbnails/alice/p1.jpg'),
      s3Record('Incoming/alice/'),
      { ...s3Record('Incoming/alice/p1.jpg'), eventName: 'ObjectRemoved:Delete' },
      s3Record('Incoming/bad%zzescape.jpg'),
      s3Record('Incoming/alice/ok.jpg'),
    ]);

    expect(uploads.map((u) => u.key)).toEqual(['Incoming/alice/ok.jpg']);
    expect(skipped.map((s) => s.why)).toEqual([
      'the key is not under Incoming/',
      'the key is a folder marker',
      'ObjectRemoved:Delete is not an object-created event',
      'the key is not valid URL encoding',
    ]);
  });

  it('fails naming the failed key after handling the others when one record cannot be started', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).callsFake(async (input: { input: string }) => {
      if (JSON.parse(input.input).photoId === 'p2')
        throw new InvalidArn({ message: 'Invalid Arn', $metadata: {} });
      return {};
    });

    // Act
    const handling = handle([
      s3Record('Incoming/alice/p1.jpg'),
      s3Record('Incoming/alice/p2.jpg'),
      s3Record('Incoming/alice/p3.jpg'),
    ]);

    // Assess
    await expect(handling).rejects.toThrow(StartExecutionFailed);
    await expect(handling).rejects.toThrow(/1 of 3 upload\(s\): "Incoming\/alice\/p2\.jpg"/);
    expect(started().map((s) => s.input.photoId)).toEqual(['p1', 'p2', 'p3']);
    expect(deps.log.error).toHaveBeenCalledWith(
      'Upload could not be started',
      expect.objectContaining({ key: 'Incoming/alice/p2.jpg' }),
    );
  });
  describe('when StartExecution fails', () => {
    const event = s3Record('Incoming/alice/p1.jpg');
    const throttled = () =>
      new ExecutionLimitExceeded({ message: 'Rate exceeded for the state machine', $metadata: {} });

    it('marks the record FAILED with the reason, then fails the event so Lambda retries it', async () => {
      // Prepare
      sfnMock.on(StartExecutionCommand).rejects(throttled());

      // Act
      const handling = handle([event]);

      // Assess
      await expect(handling).rejects.toThrow(StartExecutionFailed);
      const failed = record('alice', 'p1');
      expect(failed).toMatchObject({ status: 'FAILED', executionId: null });
      expect(failed?.reason).toBe(
        `${START_FAILED_PREFIX}Rate exceeded for the state machine; it is retried, then kept for a redrive`,
      );
      expect(isStartFailure(failed)).toBe(true);
    });

    it('reopens and starts it when the event comes again (a Lambda retry or a redrive)', async () => {
      // Prepare
      sfnMock.on(StartExecutionCommand).rejectsOnce(throttled()).resolves({});
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);

      // Act
      const outcomes = await handle([event]);

      // Assess
      expect(outcomes).toEqual([expect.objectContaining({ status: 'resumed', photoId: 'p1' })]);
      const [first, second] = started();
      expect(second.name).toBe(first.name);
      expect(record('alice', 'p1')).toMatchObject({ status: 'PROCESSING', reason: null });
    });

    it('marks it FAILED again, retry after retry, while StartExecution keeps failing', async () => {
      // Prepare
      sfnMock.on(StartExecutionCommand).rejects(throttled());
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);

      // Act
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);

      // Assess
      expect(started()).toHaveLength(3);
      expect(isStartFailure(record('alice', 'p1'))).toBe(true);
    });

    it('says so when the execution ran meanwhile (ExecutionAlreadyExists on the retry)', async () => {
      // Prepare
      sfnMock
        .on(StartExecutionCommand)
        .rejectsOnce(throttled())
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);

      // Act
      const outcomes = await handle([event]);

      // Assess
      expect(outcomes).toEqual([expect.objectContaining({ status: 'resumed' })]);
      expect(record('alice', 'p1')).toMatchObject({ status: 'FAILED' });
      expect(record('alice', 'p1')?.reason).toMatch(/ran while this record said .*upload the photo again/);
    });

    it('does not restart a photo the workflow itself marked FAILED', async () => {
      // Prepare
      await handle([event]);
      const failed = {
        ...(record('alice', 'p1') as PhotoRecord),
        status: 'FAILED' as const,
        reason: `${START_FAILED_PREFIX}but written by the execution`,
        executionId: 'arn:aws:states:eu-west-1:123456789012:execution:ImageProc:x',
      };
      table.put(failed);

      // Act
      const outcomes = await handle([event]);

      // Assess
      expect(outcomes).toEqual([expect.objectContaining({ status: 'duplicate' })]);
      expect(started()).toHaveLength(1);
      expect(record('alice', 'p1')).toEqual(failed);
    });

    it("leaves a newer upload's record alone", async () => {
      // Prepare: a re-upload reset the record between the put and the failed start.
      sfnMock.on(StartExecutionCommand).callsFake(async () => {
        table.put({ ...(record('alice', 'p1') as PhotoRecord), executionName: 'newer' });
        throw throttled();
      });

      // Act
      await expect(handle([event])).rejects.toThrow(StartExecutionFailed);

      // Assess
      expect(record('alice', 'p1')).toMatchObject({ status: 'PROCESSING', executionName: 'newer' });
    });
  });
});
