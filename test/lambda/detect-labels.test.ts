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
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  detectLabels,
  duplicateSource,
  labelsOfDuplicate,
  type RekognitionInput,
  rekognitionInput,
} from '../../lambda/detect-labels/detect-labels';
import { InvalidInput, ObjectNotFound } from '../../lambda/shared/errors';
import type { ImageMetadata } from '../../lambda/shared/model';
import { fixture, serveObjects } from './helpers';

const rekognitionMock = mockClient(RekognitionClient);
const rekognition = new RekognitionClient({ region: 'eu-west-1' });
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
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

const metadataOf = (metadata: Partial<ImageMetadata>) => photo(metadata).metadata;

/** The image DetectLabels was sent inline, decoded: its size, format and whether it kept EXIF. */
async function sentImage() {
  const [call] = rekognitionMock.commandCalls(DetectLabelsCommand);
  const { Image } = call.args[0].input;
  expect(Image?.S3Object).toBeUndefined();
  const bytes = Image?.Bytes as Uint8Array;
  const { width, height, format, exif, orientation } = await sharp(bytes).metadata();
  return { bytes, width, height, format, exif, orientation };
}

/** Mean absolute difference per channel (0-255) of two images of the same size. */
async function meanAbsDifference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const raw = (image: Uint8Array) => sharp(image).removeAlpha().raw().toBuffer();
  const [pa, pb] = await Promise.all([raw(a), raw(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

const serviceError = <T>(Type: new (options: { message: string; $metadata: object }) => T, message: string) =>
  new Type({ message, $metadata: {} });

describe('rekognitionInput', () => {
  it.each<[string, Partial<ImageMetadata>, RekognitionInput]>([
    ['640×480', {}, { kind: 's3' }],
    ['exactly 80 px a side', { width: 80, height: 80 }, { kind: 's3' }],
    ['unknown dimensions', { width: null, height: null }, { kind: 's3' }],
    ['100×68', { width: 100, height: 68 }, { kind: 'upscale', width: 118, height: 80 }],
    ['68×100', { width: 68, height: 100 }, { kind: 'upscale', width: 80, height: 118 }],
    ['32×32', { format: 'png', width: 32, height: 32 }, { kind: 'upscale', width: 80, height: 80 }],
    ['2000×79', { width: 2000, height: 79 }, { kind: 'upscale', width: 2025, height: 80 }],
    [
      '79×9875 (exactly 10,000 px long at 80 px)',
      { width: 79, height: 9875 },
      { kind: 'upscale', width: 80, height: 10_000 },
    ],
  ])('sends %s as %o', (_, metadata, expected) => {
    // Act, Assess
    expect(rekognitionInput(metadataOf(metadata))).toEqual(expected);
  });

  it('enlarges a small photo even when its file is over the 15 MB Rekognition reads from S3', () => {
    // Only the enlarged copy reaches Rekognition, inline.
    expect(rekognitionInput(metadataOf({ width: 50, height: 50, sizeBytes: 16 * 1024 * 1024 }))).toEqual({
      kind: 'upscale',
      width: 80,
      height: 80,
    });
  });

  it.each<[string, Partial<ImageMetadata>, string]>([
    [
      '10×5000',
      { format: 'png', width: 10, height: 5000 },
      "No labels: the image is 10×5000 px, too extreme a ratio for Rekognition's 80 px minimum and 10,000 px maximum per side (enlarged to 80 px it would be 40,000 px long)",
    ],
    [
      '79×9876',
      { width: 9876, height: 79 },
      "No labels: the image is 9876×79 px, too extreme a ratio for Rekognition's 80 px minimum and 10,000 px maximum per side (enlarged to 80 px it would be 10,001 px long)",
    ],
  ])('refuses %s, which enlarged to 80 px would be over 10,000 px long', (_, metadata, reason) => {
    expect(rekognitionInput(metadataOf(metadata))).toEqual({ kind: 'refuse', reason });
  });
});

describe('detectLabels', () => {
  beforeEach(() => {
    rekognitionMock.reset();
    s3Mock.reset();
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
      'a 10×5000 strip',
      { format: 'png', width: 10, height: 5000 },
      "No labels: the image is 10×5000 px, too extreme a ratio for Rekognition's 80 px minimum and 10,000 px maximum per side (enlarged to 80 px it would be 40,000 px long)",
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
  ])('gives a reason without calling Rekognition or reading S3 for %s', async (_, metadata, reason) => {
    // Act
    const result = await detectLabels(rekognition, s3, photo(metadata), settings);

    // Assess
    expect(result).toEqual({ labels: [], reason });
    expect(rekognitionMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('asks Rekognition for the S3 object within the limits and maps its labels', async () => {
    // Prepare
    rekognitionMock.on(DetectLabelsCommand).resolves({
      Labels: [{ Name: 'Cat', Confidence: 98.5 }, { Name: 'Pet', Confidence: 91.25 }, { Confidence: 80 }],
    });

    // Act
    const result = await detectLabels(
      rekognition,
      s3,
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
      // Answered: billed, and counted by the cost receipt.
      rekognitionCalls: 1,
    });
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)[0].args[0].input).toEqual({
      Image: { S3Object: { Bucket: 'photos', Name: 'Incoming/alice/p1.jpg' } },
      MaxLabels: 10,
      MinConfidence: 70,
    });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  describe("a photo out of Rekognition's reach, with a display rendition", () => {
    const rendition = {
      key: 'Renditions/alice/p1.jpg',
      width: 2048,
      height: 396,
      format: 'jpeg' as const,
      sizeBytes: 326_634,
      reason: 'WebP: Rekognition cannot read it',
    };

    it.each<[string, Partial<ImageMetadata>]>([
      ['an 11,158 px wide WebP panorama', { format: 'webp', width: 11_158, height: 2156 }],
      ['a HEIC', { format: 'heif', width: 3024, height: 4032 }],
      ['a 16 MB JPEG', { sizeBytes: 16 * 1024 * 1024 }],
    ])('sends %s as its rendition, from S3', async (_, metadata) => {
      // Prepare
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Canyon', Confidence: 93 }] });

      // Act
      const result = await detectLabels(rekognition, s3, { ...photo(metadata), rendition }, settings);

      // Assess
      expect(result).toEqual({
        labels: [{ name: 'Canyon', confidence: 93 }],
        reason: null,
        rekognitionCalls: 1,
      });
      expect(rekognitionMock.commandCalls(DetectLabelsCommand)[0].args[0].input.Image).toEqual({
        S3Object: { Bucket: 'photos', Name: 'Renditions/alice/p1.jpg' },
      });
      expect(s3Mock.calls()).toHaveLength(0);
    });

    it('sends the original, not the rendition, when the original is within the limits', async () => {
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

      await detectLabels(rekognition, s3, { ...photo({ width: 6000, height: 4000 }), rendition }, settings);

      expect(rekognitionMock.commandCalls(DetectLabelsCommand)[0].args[0].input.Image).toEqual({
        S3Object: { Bucket: 'photos', Name: 'Incoming/alice/p1.jpg' },
      });
    });

    it('enlarges a rendition under 80 px a side (a 174×38 TIFF), reading the rendition, not the original', async () => {
      // Prepare
      const small = await sharp({ create: { width: 174, height: 38, channels: 3, background: '#406080' } })
        .png()
        .toBuffer();
      const reads = serveObjects(s3Mock, { 'Renditions/alice/p1.png': small });
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

      // Act
      await detectLabels(
        rekognition,
        s3,
        {
          ...photo({ format: 'tiff', width: 174, height: 38 }),
          rendition: { ...rendition, key: 'Renditions/alice/p1.png', format: 'png', width: 174, height: 38 },
        },
        settings,
      );

      // Assess
      expect(reads.map((read) => read.key)).toEqual(['Renditions/alice/p1.png']);
      expect(await sentImage()).toMatchObject({ width: 366, height: 80 });
    });
  });

  describe('a photo under 80 px a side', () => {
    const small = (key: string, metadata: Partial<ImageMetadata>) => ({ ...photo(metadata), key });

    it('sends a 100×68 JPEG as the bytes of an 80 px high JPEG, not as the S3 object', async () => {
      // Prepare
      serveObjects(s3Mock, { 'Incoming/alice/iguana.jpg': fixture('exif/canon-40d.jpg') });
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Reptile', Confidence: 88 }] });

      // Act
      const result = await detectLabels(
        rekognition,
        s3,
        small('Incoming/alice/iguana.jpg', { width: 100, height: 68 }),
        settings,
      );

      // Assess
      expect(result).toEqual({
        labels: [{ name: 'Reptile', confidence: 88 }],
        reason: null,
        rekognitionCalls: 1,
      });
      const sent = await sentImage();
      expect(sent).toMatchObject({ width: 118, height: 80, format: 'jpeg', exif: undefined });
      expect(rekognitionMock.commandCalls(DetectLabelsCommand)[0].args[0].input).toMatchObject({
        MaxLabels: 10,
        MinConfidence: 70,
      });
    });

    it('sends it upright, EXIF orientation applied, and without the EXIF', async () => {
      // Prepare: the iguana stored sideways, with EXIF orientation 6 (turn 90° clockwise to display).
      const iguana = fixture('exif/canon-40d.jpg');
      const sideways = await sharp(iguana)
        .rotate(-90)
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 95 })
        .toBuffer();
      serveObjects(s3Mock, { 'Incoming/alice/sideways.jpg': sideways });
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

      // Act: the metadata holds the displayed size, as ExtractImageMetadata reports it.
      await detectLabels(
        rekognition,
        s3,
        small('Incoming/alice/sideways.jpg', { width: 100, height: 68, orientation: 6 }),
        settings,
      );

      // Assess
      const sent = await sentImage();
      expect(sent).toMatchObject({ width: 118, height: 80, orientation: undefined, exif: undefined });
      const upright = await sharp(iguana).resize(118, 80, { fit: 'fill' }).jpeg().toBuffer();
      const unturned = await sharp(sideways).resize(118, 80, { fit: 'fill' }).jpeg().toBuffer();
      // Calibrated on this 100×68 photo: the right way up differs by about 11 (two JPEG generations
      // at this size), any wrong turn or mirror by 33 or more.
      expect(await meanAbsDifference(sent.bytes, upright)).toBeLessThan(20);
      expect(await meanAbsDifference(sent.bytes, unturned)).toBeGreaterThan(30);
    });

    it('sends a 32×32 PNG with transparency as an 80×80 PNG', async () => {
      // Prepare
      serveObjects(s3Mock, { 'Incoming/alice/small.png': fixture('photos/pngsuite-basn6a16.png') });
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

      // Act
      const result = await detectLabels(
        rekognition,
        s3,
        small('Incoming/alice/small.png', { format: 'png', width: 32, height: 32 }),
        settings,
      );

      // Assess
      expect(result.reason).toBe('No labels: Rekognition found nothing it is at least 70% confident about');
      expect(await sentImage()).toMatchObject({ width: 80, height: 80, format: 'png' });
    });

    it('sends a 32×32 PNG without transparency as an 80×80 JPEG', async () => {
      serveObjects(s3Mock, { 'Incoming/alice/small.png': fixture('photos/pngsuite-basn2c08.png') });
      rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

      await detectLabels(
        rekognition,
        s3,
        small('Incoming/alice/small.png', { format: 'png', width: 32, height: 32 }),
        settings,
      );

      expect(await sentImage()).toMatchObject({ width: 80, height: 80, format: 'jpeg' });
    });

    it('gives a reason without calling Rekognition when the small photo cannot be decoded', async () => {
      // Prepare
      serveObjects(s3Mock, { 'Incoming/alice/broken.jpg': Buffer.from('not a JPEG after all') });

      // Act
      const result = await detectLabels(
        rekognition,
        s3,
        small('Incoming/alice/broken.jpg', { width: 100, height: 68 }),
        settings,
      );

      // Assess
      expect(result.labels).toEqual([]);
      expect(result.reason).toMatch(
        /^No labels: the image could not be decoded to enlarge it to Rekognition's 80 px minimum \(.+\)$/,
      );
      expect(rekognitionMock.calls()).toHaveLength(0);
    });

    it('fails when the small photo is gone, with ObjectNotFound', async () => {
      // Prepare
      serveObjects(s3Mock, {});

      // Act, Assess
      await expect(
        detectLabels(rekognition, s3, small('Incoming/alice/gone.jpg', { width: 100, height: 68 }), settings),
      ).rejects.toBeInstanceOf(ObjectNotFound);
      expect(rekognitionMock.calls()).toHaveLength(0);
    });
  });

  it('asks Rekognition when the dimensions are unknown', async () => {
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Cat', Confidence: 91 }] });

    const result = await detectLabels(rekognition, s3, photo({ width: null, height: null }), settings);

    expect(result).toEqual({ labels: [{ name: 'Cat', confidence: 91 }], reason: null, rekognitionCalls: 1 });
    expect(rekognitionMock.commandCalls(DetectLabelsCommand)).toHaveLength(1);
  });

  it('says why there are no labels when Rekognition finds nothing confident enough', async () => {
    rekognitionMock.on(DetectLabelsCommand).resolves({ Labels: [] });

    const result = await detectLabels(rekognition, s3, photo({}), settings);

    expect(result).toEqual({
      labels: [],
      reason: 'No labels: Rekognition found nothing it is at least 70% confident about',
      rekognitionCalls: 1,
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

    const result = await detectLabels(rekognition, s3, photo({}), settings);

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

    await expect(detectLabels(rekognition, s3, photo({}), settings)).rejects.toMatchObject({ name });
  });
});

describe('duplicates', () => {
  it('copies the labels and reason of the photo with the same bytes, naming it', () => {
    const source = { photoId: 'p0', labels: [{ name: 'Cat', confidence: 98.5 }], reason: null };

    const result = labelsOfDuplicate(source);

    expect(result).toEqual({ labels: [{ name: 'Cat', confidence: 98.5 }], reason: null, duplicateOf: 'p0' });
    expect(result.labels).not.toBe(source.labels);
  });

  it.each([undefined, null])('reads %j as "not a duplicate"', (value) => {
    expect(duplicateSource(value)).toBeNull();
  });

  it.each([
    ['a string', 'p0'],
    ['no photoId', { labels: [], reason: null }],
    ['labels that are not { name, confidence }', { photoId: 'p0', labels: ['Cat'], reason: null }],
    ['a reason that is not text', { photoId: 'p0', labels: [], reason: 7 }],
  ])('fails when the duplicate is %s', (_what, value) => {
    expect(() => duplicateSource(value)).toThrow(InvalidInput);
  });
});
