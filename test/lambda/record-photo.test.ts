import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  executionNameFromArn,
  failureReason,
  parseRecordRequest,
  type RecordDeps,
  recordPhoto,
} from '../../lambda/record-photo/record-photo';
import { InvalidInput } from '../../lambda/shared/errors';
import type { ImageMetadata, PhotoRecord, PhotoRef, ThumbnailResult } from '../../lambda/shared/model';
import type { RecordRequest } from '../../lambda/shared/workflow';
import { FakeTable, silentLog } from './helpers';

const EXECUTION_NAME = 'p1-0123456789abcdef0123456789abcdef';
const EXECUTION_ID = `arn:aws:states:eu-west-1:123456789012:execution:ImageProc:${EXECUTION_NAME}`;
const NOW = '2025-03-01T10:00:05.000Z';
const PIPELINE_VERSION = 'r1-0123456789ab';

const photo: PhotoRef = { bucket: 'photo-repo', key: 'Incoming/alice/p1.jpg', owner: 'alice', photoId: 'p1' };
const metadata: ImageMetadata = {
  format: 'jpeg',
  width: 640,
  height: 480,
  orientation: 1,
  sizeBytes: 161_713,
  capturedAt: '2008-10-22T16:28:39',
  make: 'NIKON',
  model: 'COOLPIX P6000',
  gps: { latitude: 43.4674483, longitude: 11.8851267, altitude: null },
};
const thumbnail: ThumbnailResult = {
  key: 'Thumbnails/alice/p1.jpg',
  width: 250,
  height: 188,
  format: 'jpeg',
  sizeBytes: 9000,
};

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

const dynamoMock = mockClient(DynamoDBDocumentClient);

describe('recordPhoto', () => {
  let table: FakeTable;
  let deps: RecordDeps;

  beforeEach(() => {
    dynamoMock.reset();
    table = new FakeTable(dynamoMock);
    table.put(processing);
    deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'ImageMetadata',
      log: silentLog(),
      pipelineVersion: PIPELINE_VERSION,
      now: () => new Date(NOW),
    };
  });

  const stored = () => table.get({ owner: 'alice', photoId: 'p1' });

  it('metadata: stores metadata and the execution ARN; status stays PROCESSING', async () => {
    const outcome = await recordPhoto(
      { action: 'metadata', photo, executionId: EXECUTION_ID, metadata },
      deps,
    );

    expect(outcome).toEqual({ written: true, duplicate: null });
    expect(stored()).toEqual({ ...processing, metadata, executionId: EXECUTION_ID, updatedAt: NOW });
  });

  it.each([
    [{ ...metadata, format: 'tiff' }, 'Unsupported image type TIFF: this pipeline accepts JPEG and PNG'],
    [
      { ...metadata, format: null },
      "Not an image: the file's content is not in an image format this pipeline reads; it accepts JPEG and PNG",
    ],
    [
      { ...metadata, format: null, sizeBytes: 0 },
      'The file is empty (0 bytes): there is no image in it; this pipeline accepts JPEG and PNG',
    ],
  ])('rejected: status REJECTED with a reason for format %j', async (rejectedMetadata, reason) => {
    await recordPhoto(
      {
        action: 'rejected',
        photo,
        executionId: EXECUTION_ID,
        metadata: rejectedMetadata,
        supportedFormats: ['jpeg', 'png'],
      },
      deps,
    );

    expect(stored()).toEqual({
      ...processing,
      status: 'REJECTED',
      reason,
      metadata: rejectedMetadata,
      executionId: EXECUTION_ID,
      updatedAt: NOW,
      pipelineVersion: PIPELINE_VERSION,
    });
  });

  it('ready: status READY with labels, lower-case tags, thumbnail, and the labels reason', async () => {
    // Act
    await recordPhoto(
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: {
          labels: {
            labels: [
              { name: 'Cat', confidence: 98.5 },
              { name: 'Pet Animal', confidence: 90 },
            ],
            reason: null,
          },
          thumbnail,
        },
      },
      deps,
    );

    // Assess
    expect(stored()).toEqual({
      ...processing,
      status: 'READY',
      labels: [
        { name: 'Cat', confidence: 98.5 },
        { name: 'Pet Animal', confidence: 90 },
      ],
      tags: ['cat', 'pet animal'],
      thumbnail,
      rendition: null,
      reason: null,
      executionId: EXECUTION_ID,
      updatedAt: NOW,
      duplicateOf: null,
      rekognitionCalls: 0,
      pipelineVersion: PIPELINE_VERSION,
    });
  });

  it('ready: stores the display rendition GenerateRendition made', async () => {
    const rendition = {
      key: 'Renditions/alice/p1.jpg',
      width: 1536,
      height: 2048,
      format: 'jpeg' as const,
      sizeBytes: 731_990,
      reason: 'HEIF/HEIC: most browsers cannot show it and Rekognition cannot read it',
    };

    await recordPhoto(
      parseRecordRequest({
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels: [], reason: null }, thumbnail },
        rendition,
      }),
      deps,
    );

    expect(stored()).toMatchObject({ status: 'READY', thumbnail, rendition });
  });

  it('fails when a ready request carries something else as its rendition', () => {
    expect(() =>
      parseRecordRequest({
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels: [], reason: null }, thumbnail },
        rendition: { key: 'Renditions/alice/p1.gif', format: 'gif' },
      }),
    ).toThrow(/rendition must be null or a Rendition/);
  });

  it('ready: keeps why there are no labels', async () => {
    const reason = 'No labels: Rekognition found nothing it is at least 70% confident about';

    await recordPhoto(
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels: [], reason }, thumbnail },
      },
      deps,
    );

    expect(stored()).toMatchObject({ status: 'READY', reason, labels: [], tags: [] });
  });

  it('failed: status FAILED with the errorMessage of a Lambda JSON cause', async () => {
    const cause = JSON.stringify({
      errorType: 'CorruptImage',
      errorMessage: 'The image data is corrupt and cannot be decoded (vipspng: libpng read error).',
      trace: ['CorruptImage: ...'],
    });

    await recordPhoto(
      { action: 'failed', photo, executionId: EXECUTION_ID, error: { Error: 'CorruptImage', Cause: cause } },
      deps,
    );

    expect(stored()).toMatchObject({
      status: 'FAILED',
      reason: 'The image data is corrupt and cannot be decoded (vipspng: libpng read error).',
      executionId: EXECUTION_ID,
    });
  });

  it('failed: status FAILED with a plain-text cause as it is', async () => {
    await recordPhoto(
      {
        action: 'failed',
        photo,
        executionId: EXECUTION_ID,
        error: {
          Error: 'ImageTooLarge',
          Cause: 'The image is 12000×12000 px (144 MP), over the 50 MP limit for thumbnails.',
        },
      },
      deps,
    );

    expect(stored()).toMatchObject({
      status: 'FAILED',
      reason: 'The image is 12000×12000 px (144 MP), over the 50 MP limit for thumbnails.',
    });
  });

  it('does not overwrite a final status: a late failure after READY is a no-op', async () => {
    // Prepare
    table.put({ ...processing, status: 'READY', thumbnail });

    // Act
    const outcome = await recordPhoto(
      { action: 'failed', photo, executionId: EXECUTION_ID, error: { Error: 'States.Timeout' } },
      deps,
    );

    // Assess
    expect(outcome).toEqual({ written: false });
    expect(stored()).toMatchObject({ status: 'READY', thumbnail });
    expect(deps.log.warn).toHaveBeenCalled();
  });

  it('does not touch a record that a re-upload handed to a newer execution', async () => {
    table.put({ ...processing, executionName: 'p1-newer' });

    const outcome = await recordPhoto(
      { action: 'metadata', photo, executionId: EXECUTION_ID, metadata },
      deps,
    );

    expect(outcome).toMatchObject({ written: false });
    expect(stored()).toEqual({ ...processing, executionName: 'p1-newer' });
  });

  it('does not recreate a deleted record', async () => {
    table.items.clear();

    const outcome = await recordPhoto(
      { action: 'failed', photo, executionId: EXECUTION_ID, error: { Error: 'States.Timeout' } },
      deps,
    );

    expect(outcome).toEqual({ written: false });
    expect(table.items.size).toBe(0);
  });

  it.each<RecordRequest>([
    { action: 'metadata', photo, executionId: EXECUTION_ID, metadata },
    {
      action: 'ready',
      photo,
      executionId: EXECUTION_ID,
      results: { labels: { labels: [], reason: null }, thumbnail },
    },
    { action: 'rejected', photo, executionId: EXECUTION_ID, metadata, supportedFormats: ['jpeg'] },
    { action: 'failed', photo, executionId: EXECUTION_ID, error: { Error: 'ObjectNotFound' } },
  ])('$action: leaves the tombstone of a photo deleted while it was processing as it is', async (request) => {
    // Prepare: what delete-photo leaves in place of the record (the same execution name).
    const tombstone = {
      owner: 'alice',
      photoId: 'p1',
      status: 'DELETED',
      bucket: 'photo-repo',
      originalKey: photo.key,
      executionName: EXECUTION_NAME,
      deletedAt: '2025-03-01T10:00:03.000Z',
      expiresAt: 1_742_119_203,
    };
    table.put(tombstone);

    // Act
    const outcome = await recordPhoto(request, deps);

    // Assess: quietly not written (a warning in the log, no error for anyone to see).
    expect(outcome).toMatchObject({ written: false });
    expect(stored()).toEqual(tombstone);
  });

  it('conditions every write on the record existing, belonging to this execution and PROCESSING', async () => {
    await recordPhoto({ action: 'metadata', photo, executionId: EXECUTION_ID, metadata }, deps);

    const update = dynamoMock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(update.ConditionExpression).toBe(
      'attribute_exists(#photoId) AND #executionName = :executionName AND #status = :processing',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':executionName': EXECUTION_NAME,
      ':processing': 'PROCESSING',
    });
  });

  it('fails when executionId is not an execution ARN', async () => {
    await expect(
      recordPhoto({ action: 'metadata', photo, executionId: 'p1-run', metadata }, deps),
    ).rejects.toThrow(InvalidInput);
  });
});

describe('failureReason', () => {
  it('says a service could not be reached when the cause is a lost connection', () => {
    // Act
    const reason = failureReason({
      Error: 'Error',
      Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'connect ECONNREFUSED 127.0.0.1:4602' }),
    });

    // Assess
    expect(reason).toBe(
      'A service the pipeline depends on could not be reached, and the retries ran out (connect ECONNREFUSED 127.0.0.1:4602)',
    );
  });

  it('says the same of a step that gave up as ServiceUnreachable after the retries', () => {
    const reason = failureReason({
      Error: 'ServiceUnreachable',
      Cause: JSON.stringify({ errorType: 'ServiceUnreachable', errorMessage: 'socket hang up' }),
    });

    expect(reason).toBe(
      'A service the pipeline depends on could not be reached, and the retries ran out: socket hang up',
    );
  });

  it('turns a bare library message into a sentence', () => {
    // Act
    const reason = failureReason({ Error: 'TypeError', Cause: 'cannot read properties of undefined' });

    // Assess
    expect(reason).toBe('Processing failed: cannot read properties of undefined');
  });

  it.each([
    [{ Error: 'States.Timeout' }, 'A step ran past its time limit'],
    [
      { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' },
      'A step ran past its time limit: Task timed out after 60.00 seconds',
    ],
    [
      {
        Error: 'Lambda.Unknown',
        Cause:
          '{"errorType":"Runtime.OutOfMemory","errorMessage":"Runtime exited with error: signal: killed"}',
      },
      'A step stopped unexpectedly (out of memory or time): Runtime exited with error: signal: killed',
    ],
    [
      {
        Error: 'ThrottlingException',
        Cause: '{"errorType":"ThrottlingException","errorMessage":"Rate exceeded"}',
      },
      'Amazon Rekognition was busy and retries ran out: Rate exceeded',
    ],
    [{ Error: 'ObjectNotFound', Cause: '{not json' }, '{not json'],
    [{ Error: 'SomethingNew' }, 'Processing failed with SomethingNew'],
    [{ Error: '', Cause: '' }, 'Processing failed for an unknown reason'],
    [undefined, 'Processing failed for an unknown reason'],
  ])('%j → %j', (error, reason) => {
    expect(failureReason(error as never)).toBe(reason);
  });

  it('caps very long causes', () => {
    expect(failureReason({ Error: 'X', Cause: 'y'.repeat(5000) }).length).toBeLessThanOrEqual(1000);
  });
});

describe('executionNameFromArn', () => {
  it.each([
    [`arn:aws:states:eu-west-1:123456789012:execution:ImageProc:${EXECUTION_NAME}`, EXECUTION_NAME],
    [
      `arn:aws:states:eu-west-1:123456789012:express:ImageProc:${EXECUTION_NAME}:5a1b6f0e-1111-2222-3333-444455556666`,
      EXECUTION_NAME,
    ],
  ])('%s → the execution name', (arn, name) => {
    expect(executionNameFromArn(arn)).toBe(name);
  });
});

describe('parseRecordRequest', () => {
  const valid: RecordRequest = { action: 'metadata', photo, executionId: EXECUTION_ID, metadata };

  it('accepts every request shape the state machine sends', () => {
    const requests: RecordRequest[] = [
      valid,
      { action: 'rejected', photo, executionId: EXECUTION_ID, metadata, supportedFormats: ['jpeg', 'png'] },
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels: [], reason: null }, thumbnail },
      },
      { action: 'failed', photo, executionId: EXECUTION_ID, error: { Error: 'States.ALL', Cause: 'x' } },
    ];

    for (const request of requests)
      expect(parseRecordRequest(JSON.parse(JSON.stringify(request)))).toEqual(request);
  });

  it.each([
    [
      'the action is unknown',
      { ...valid, action: 'deleted' },
      /action must be one of metadata, rejected, ready, failed/,
    ],
    ['the photo has no photoId', { ...valid, photo: { ...photo, photoId: '' } }, /has no photoId/],
    ['the metadata is missing', { ...valid, metadata: undefined }, /not ImageMetadata/],
    [
      'ready has no results',
      { action: 'ready', photo, executionId: EXECUTION_ID },
      /results \{ labels: LabelsResult, thumbnail: ThumbnailResult \}/,
    ],
    [
      'ready has its results by position (the Parallel without its ResultSelector)',
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: [{ labels: [], reason: null }, thumbnail],
      },
      /results \{ labels: LabelsResult, thumbnail: ThumbnailResult \} \(ProcessImage's output\), got /,
    ],
    ['failed has no error', { action: 'failed', photo, executionId: EXECUTION_ID }, /caught error/],
  ])('fails when %s', (_, event, message) => {
    expect(() => parseRecordRequest(event)).toThrow(InvalidInput);
    expect(() => parseRecordRequest(event)).toThrow(message);
  });
});

describe('duplicates', () => {
  const ETAG = '0cc175b9c0f1b6a831c399e269772661';
  const labels = [{ name: 'Cat', confidence: 98.5 }];
  let table: FakeTable;
  let deps: RecordDeps;

  /** p0: a READY photo with these bytes; p1: a byte-identical upload being processed. */
  const original: PhotoRecord = {
    ...processing,
    photoId: 'p0',
    originalKey: 'Incoming/alice/p0.jpg',
    executionName: 'p0-ffffffffffffffffffffffffffffffff',
    status: 'READY',
    metadata,
    labels,
    tags: ['cat'],
    thumbnail: { ...thumbnail, key: 'Thumbnails/alice/p0.jpg' },
    etag: ETAG,
    duplicateOf: null,
    pipelineVersion: PIPELINE_VERSION,
  };
  const contentItem = {
    owner: 'alice',
    photoId: `content#${ETAG}#${metadata.sizeBytes}`,
    sourcePhotoId: 'p0',
  };

  beforeEach(() => {
    dynamoMock.reset();
    table = new FakeTable(dynamoMock);
    table.put({ ...processing, etag: ETAG });
    deps = {
      dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
      tableName: 'ImageMetadata',
      log: silentLog(),
      pipelineVersion: PIPELINE_VERSION,
      now: () => new Date(NOW),
    };
  });

  const storeMetadata = () =>
    recordPhoto({ action: 'metadata', photo, executionId: EXECUTION_ID, metadata }, deps);

  it('metadata: finds the READY photo with the same ETag and size, with its labels and reason', async () => {
    // Prepare
    table.put(original);
    table.put(contentItem);

    // Act
    const outcome = await storeMetadata();

    // Assess
    expect(outcome).toEqual({ written: true, duplicate: { photoId: 'p0', labels, reason: null } });
  });

  it.each([
    ['no content index item', {}, false],
    ['the photo it names was deleted (a tombstone)', { status: 'DELETED' }, true],
    ['the photo it names is not READY', { status: 'PROCESSING' }, true],
    ['the photo it names now has other bytes (re-uploaded)', { etag: 'another-etag' }, true],
    ['the photo it names has another size', { metadata: { ...metadata, sizeBytes: 1 } }, true],
    ['the photo it names was made with other settings', { pipelineVersion: 'r1-aaaaaaaaaaaa' }, true],
  ])('metadata: no duplicate when %s', async (_why, change, indexed) => {
    // Prepare
    table.put({ ...original, ...change });
    if (indexed) table.put(contentItem);

    // Act
    const outcome = await storeMetadata();

    // Assess
    expect(outcome).toEqual({ written: true, duplicate: null });
  });

  it('metadata: no duplicate for an upload whose event carried no ETag', async () => {
    table.put({ ...processing, etag: null });
    table.put(original);
    table.put(contentItem);

    expect(await storeMetadata()).toEqual({ written: true, duplicate: null });
  });

  it('metadata: a photo is never its own duplicate', async () => {
    table.put({ ...contentItem, sourcePhotoId: 'p1' });

    expect(await storeMetadata()).toEqual({ written: true, duplicate: null });
  });

  it('ready: a photo labelled by Rekognition becomes the content index entry for its bytes', async () => {
    // Prepare
    await storeMetadata();

    // Act
    await recordPhoto(
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels, reason: null }, thumbnail },
      },
      deps,
    );

    // Assess
    expect(table.get({ owner: 'alice', photoId: `content#${ETAG}#${metadata.sizeBytes}` })).toMatchObject({
      sourcePhotoId: 'p1',
    });
    expect(stored()).toMatchObject({ status: 'READY', duplicateOf: null, etag: ETAG });
  });

  it('ready: a duplicate records duplicateOf and leaves the content index on the original', async () => {
    // Prepare
    table.put(original);
    table.put(contentItem);
    await storeMetadata();

    // Act
    await recordPhoto(
      {
        action: 'ready',
        photo,
        executionId: EXECUTION_ID,
        results: { labels: { labels, reason: null, duplicateOf: 'p0' }, thumbnail },
      },
      deps,
    );

    // Assess
    expect(stored()).toMatchObject({ status: 'READY', duplicateOf: 'p0', labels, tags: ['cat'], thumbnail });
    expect(table.get({ owner: 'alice', photoId: contentItem.photoId })).toEqual(contentItem);
  });

  function stored() {
    return table.get({ owner: 'alice', photoId: 'p1' });
  }
});
