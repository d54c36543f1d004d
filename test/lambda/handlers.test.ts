/** The thin adapters: environment read at start-up, events validated, cores wired to the shared clients. */
import { DetectLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { fixture, lambdaContext, loadHandler, serveObjects, stubHandlerEnvironment } from './helpers';

const ENV = {
  TABLE_NAME: 'ImageMetadata',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ImageProc',
  MAX_LABELS: '10',
  MIN_CONFIDENCE: '70.5',
  THUMBNAIL_PREFIX: 'Thumbnails/',
  THUMBNAIL_MAX_WIDTH: '250',
  THUMBNAIL_MAX_HEIGHT: '250',
  MAX_IMAGE_PIXELS: '50000000',
  PIPELINE_VERSION: 'r1-0123456789ab',
};

type Handler = (event: unknown, context: Context) => Promise<unknown>;

describe('handlers', () => {
  stubHandlerEnvironment(ENV);

  it.each([
    ['start-execution', 'TABLE_NAME'],
    ['start-execution', 'STATE_MACHINE_ARN'],
    ['detect-labels', 'MAX_LABELS'],
    ['detect-labels', 'MIN_CONFIDENCE'],
    ['generate-thumbnail', 'THUMBNAIL_PREFIX'],
    ['generate-thumbnail', 'THUMBNAIL_MAX_WIDTH'],
    ['generate-thumbnail', 'THUMBNAIL_MAX_HEIGHT'],
    ['generate-thumbnail', 'MAX_IMAGE_PIXELS'],
    ['generate-thumbnail', 'TABLE_NAME'],
    ['record-photo', 'TABLE_NAME'],
    ['record-photo', 'PIPELINE_VERSION'],
  ])('%s fails at start-up when %s is missing', async (folder, variable) => {
    vi.stubEnv(variable, undefined);

    await expect(loadHandler<Handler>(folder)).rejects.toThrow(`Environment variable ${variable} is not set`);
  });

  it.each([
    ['detect-labels', 'MAX_LABELS', 'ten', 'must be a whole number, got "ten"'],
    ['detect-labels', 'MIN_CONFIDENCE', '101', 'must be from 0 to 100, got 101'],
    ['generate-thumbnail', 'THUMBNAIL_MAX_WIDTH', '250px', 'must be a whole number'],
    ['generate-thumbnail', 'THUMBNAIL_PREFIX', 'Thumbnails', "must end with '/'"],
  ])('%s fails at start-up when %s is %j', async (folder, variable, value, message) => {
    vi.stubEnv(variable, value);

    await expect(loadHandler<Handler>(folder)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining(message),
    });
  });

  it('extract-metadata returns the metadata of the object in the event', async () => {
    // Prepare
    const s3Mock = mockClient(S3Client);
    serveObjects(s3Mock, { 'Incoming/alice/p1.jpg': fixture('exif/canon-40d.jpg') });
    const handler = await loadHandler<Handler>('extract-metadata');

    // Act
    const metadata = await handler({ bucket: 'photo-repo', key: 'Incoming/alice/p1.jpg' }, lambdaContext);

    // Assess
    expect(metadata).toMatchObject({ format: 'jpeg', width: 100, height: 68, make: 'Canon' });
    s3Mock.restore();
  });

  it.each([
    ['extract-metadata', { bucket: 'photo-repo' }, 'The event has no key'],
    ['generate-thumbnail', { bucket: 'b', key: 'k', owner: 'o' }, 'The event has no photoId'],
    ['detect-labels', { bucket: 'b', key: 'k' }, "The event's metadata is not ImageMetadata"],
    ['record-photo', { action: 'ready' }, 'The event has no bucket'],
  ])('%s fails when the event is %j (InvalidInput)', async (folder, event, message) => {
    const handler = await loadHandler<Handler>(folder);

    await expect(handler(event, lambdaContext)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(message),
    });
  });

  it('names a connection failure ServiceUnreachable, so the state machine retries the step', async () => {
    // Prepare: S3 refuses the connection, as an unreachable endpoint does after the SDK's own retries.
    const s3Mock = mockClient(S3Client);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4569'), { code: 'ECONNREFUSED' });
    s3Mock.onAnyCommand().rejects(refused);
    const handler = await loadHandler<Handler>('extract-metadata');

    // Act / Assess
    await expect(
      handler({ bucket: 'photo-repo', key: 'Incoming/alice/p1.jpg' }, lambdaContext),
    ).rejects.toMatchObject({ name: 'ServiceUnreachable', message: 'connect ECONNREFUSED 127.0.0.1:4569' });
    s3Mock.restore();
  });

  it('detect-labels reuses the labels of a byte-identical photo without calling Rekognition', async () => {
    // Prepare
    const rekognitionMock = mockClient(RekognitionClient);
    const handler = await loadHandler<Handler>('detect-labels');
    const metadata = { format: 'jpeg', width: 640, height: 480, sizeBytes: 1000 };
    const duplicate = { photoId: 'p0', labels: [{ name: 'Cat', confidence: 99 }], reason: null };

    // Act
    const result = await handler(
      { bucket: 'photo-repo', key: 'Incoming/alice/p1.jpg', metadata, duplicate },
      lambdaContext,
    );

    // Assess
    expect(result).toEqual({ labels: duplicate.labels, reason: null, duplicateOf: 'p0' });
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)).toHaveLength(0);
    rekognitionMock.restore();
  });

  it('start-execution accepts the S3 test event (no records)', async () => {
    const handler = await loadHandler<Handler>('start-execution');

    await expect(
      handler({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'photo-repo' }, lambdaContext),
    ).resolves.toBeUndefined();
  });
});
