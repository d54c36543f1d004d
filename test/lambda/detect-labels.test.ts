import {
  DetectLabelsCommand,
  ImageTooLargeException,
  InternalServerError,
  InvalidImageFormatException,
  InvalidS3ObjectException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { detectLabels } from '../../lambda/detect-labels/detect-labels';
import type { ImageMetadata } from '../../lambda/shared/model';

const rekognitionMock = mockClient(RekognitionClient);
const rekognition = new RekognitionClient({ region: 'eu-west-1' });
const settings = { maxLabels: 10, minConfidence: 70 };

const photo = (metadata: Partial<ImageMetadata>) => ({
  bucket: 'photos',
  key: 'Incoming/alice/p1.jpg',
  metadata: {
    format: 'jpeg',
    width: 640,
    height: 480,
    orientation: 1,
    sizeBytes: 160_000,
    capturedAt: null,
    make: null,
    model: null,
    gps: null,
    ...metadata,
  },
});

const serviceError = <T>(Type: new (options: { message: string; $metadata: object }) => T, message: string) =>
  new Type({ message, $metadata: {} });

describe('detectLabels', () => {
  beforeEach(() => {
    rekognitionMock.reset();
  });

  it.each<[string, Partial<ImageMetadata>, string]>([
    [
      'a TIFF',
      { format: 'tiff' },
      'No labels: Rekognition reads only JPEG and PNG, and this file is a TIFF image',
    ],
    [
      'not an image',
      { format: null },
      'No labels: Rekognition reads only JPEG and PNG, and this file is not an image Rekognition can read',
    ],
    [
      '32×32 px',
      { format: 'png', width: 32, height: 32 },
      'No labels: the image is 32×32 px and Rekognition needs at least 80 px per side',
    ],
    [
      '79 px tall',
      { width: 2000, height: 79 },
      'No labels: the image is 2000×79 px and Rekognition needs at least 80 px per side',
    ],
    [
      '12,000 px wide',
      { width: 12_000, height: 3000 },
      'No labels: the image is 12000×3000 px and Rekognition accepts at most 10,000 px per side',
    ],
    [
      '16 MB',
      { sizeBytes: 16 * 1024 * 1024 },
      'No labels: the file is 16.0 MB and Rekognition reads at most 15 MB from S3',
    ],
  ])('gives a reason without calling Rekognition for %s', async (_, metadata, reason) => {
    // Act
    const result = await detectLabels(rekognition, photo(metadata), settings);

    // Assess
    expect(result).toEqual({ labels: [], reason });
    expect(rekognitionMock.calls()).toHaveLength(0);
  });

  it('asks Rekognition for the S3 object within the limits and maps its labels', async () => {
    // Prepare
    rekognitionMock.on(DetectLabelsCommand).resolves({
      Labels: [{ Name: 'Cat', Confidence: 98.5 }, { Name: 'Pet', Confidence: 91.25 }, { Confidence: 80 }],
    });

    // Act
    const result = await detectLabels(
      rekognition,
      photo({ width: 80, height: 10_000, sizeBytes: 15 * 1024 * 1024 }),
      settings,
    );

    // Assess
    expect(result).toEqual({
      labels: [
        { name: 'Cat', confidence: 98.5 },
        { name: 'Pet', confidence: 91.25 },
      ],
      reason: null,
    });
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)[0].args[0].input).toEqual({
      Image: { S3Object: { Bucket: 'photos', Name: 'Incoming/alice/p1.jpg' } },
      MaxLabels: 10,
      MinConfidence: 70,
    });
  });

  it('asks Rekognition when the dimensions are unknown', async () => {
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Cat', Confidence: 91 }] });

    const result = await detectLabels(rekognition, photo({ width: null, height: null }), settings);

    expect(result).toEqual({ labels: [{ name: 'Cat', confidence: 91 }], reason: null });
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)).toHaveLength(1);
  });

  it('says why there are no labels when Rekognition finds nothing confident enough', async () => {
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

    const result = await detectLabels(rekognition, photo({}), settings);

    expect(result).toEqual({
      labels: [],
      reason: 'No labels: Rekognition found nothing it is at least 70% confident about',
    });
  });

  it.each([
    [
      'InvalidImageFormatException',
      serviceError(InvalidImageFormatException, 'Request has invalid image format'),
    ],
    ['ImageTooLargeException', serviceError(ImageTooLargeException, 'Image size is too large')],
    [
      'InvalidS3ObjectException',
      serviceError(InvalidS3ObjectException, 'Unable to get object metadata from S3'),
    ],
  ])('turns %s into a reason', async (name, error) => {
    rekognitionMock.on(DetectLabelsCommand).rejects(error);

    const result = await detectLabels(rekognition, photo({}), settings);

    expect(result.labels).toEqual([]);
    expect(result.reason).toMatch(
      new RegExp(`^No labels: Rekognition could not use this image \\(${name}: .+\\)$`),
    );
  });

  it.each([
    ['ThrottlingException', serviceError(ThrottlingException, 'Slow down')],
    [
      'ProvisionedThroughputExceededException',
      serviceError(ProvisionedThroughputExceededException, 'Over capacity'),
    ],
    ['LimitExceededException', serviceError(LimitExceededException, 'Limit exceeded')],
    ['InternalServerError', serviceError(InternalServerError, 'Internal error')],
  ])('fails when Rekognition answers %s, keeping the SDK error name for Retry', async (name, error) => {
    rekognitionMock.on(DetectLabelsCommand).rejects(error);

    await expect(detectLabels(rekognition, photo({}), settings)).rejects.toMatchObject({ name });
  });
});
