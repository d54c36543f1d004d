import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DETECTOR_INPUT_SIZE, toImageBox } from '../../local/rekognition/detector';
import { RekognitionError } from '../../local/rekognition/errors';
import {
  checkImageSize,
  inspectImage,
  REKOGNITION_IMAGE_LIMITS,
  sniffImageFormat,
} from '../../local/rekognition/image';
import { ImageDecodeError, prepareImage } from '../../local/rekognition/prepare';
import { parseDetectLabelsInput } from '../../local/rekognition/server';

const png = (width: number, height: number, background = '#808080') =>
  sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Runs `fn` and returns the RekognitionError it throws (fails the test when it throws anything else). */
async function rekognitionErrorOf(fn: () => unknown): Promise<RekognitionError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RekognitionError);
    return error as RekognitionError;
  }
  throw new Error('expected a RekognitionError, nothing was thrown');
}

describe('sniffImageFormat', () => {
  it('knows JPEG and PNG by their magic bytes only', () => {
    // Assess
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('png');
    expect(sniffImageFormat(Buffer.from('II*\0'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('checkImageSize', () => {
  it('fails when inline bytes exceed 5 MB, with the API length constraint', async () => {
    // Act
    const error = await rekognitionErrorOf(() =>
      checkImageSize(REKOGNITION_IMAGE_LIMITS.maxInlineBytes + 1, 'bytes'),
    );

    // Assess
    expect(error.type).toBe('ValidationException');
    expect(error.message).toContain("at 'image.bytes' failed to satisfy constraint");
  });

  it('fails when an S3 object exceeds 15 MB', async () => {
    // Act
    const error = await rekognitionErrorOf(() =>
      checkImageSize(REKOGNITION_IMAGE_LIMITS.maxS3ObjectBytes + 1, 's3'),
    );

    // Assess
    expect(error.type).toBe('ImageTooLargeException');
  });

  it('accepts 15 MB from S3 and 5 MB inline', () => {
    // Assess
    expect(() => checkImageSize(REKOGNITION_IMAGE_LIMITS.maxS3ObjectBytes, 's3')).not.toThrow();
    expect(() => checkImageSize(REKOGNITION_IMAGE_LIMITS.maxInlineBytes, 'bytes')).not.toThrow();
  });
});

describe('inspectImage', () => {
  it('accepts an image of exactly 80 px a side', async () => {
    // Act
    const info = await inspectImage(await png(80, 80));

    // Assess
    expect(info).toEqual({ format: 'png', width: 80, height: 80 });
  });

  it('fails when a side is under 80 px, as AWS does, with InvalidParameterException', async () => {
    // Prepare
    const image = await png(200, 79);

    // Act
    const error = await rekognitionErrorOf(() => inspectImage(image));

    // Assess
    expect(error.type).toBe('InvalidParameterException');
  });

  it('fails when a side exceeds 10,000 px, with ImageTooLargeException and the service message', async () => {
    // Prepare
    const image = await png(10_001, 80);

    // Act
    const error = await rekognitionErrorOf(() => inspectImage(image));

    // Assess
    expect(error.type).toBe('ImageTooLargeException');
    expect(error.message).toBe(
      'Input image dimensions 10001 x 80 exceed maximum dimension size of 10000 pixels',
    );
  });

  it('fails when the bytes are not an image', async () => {
    // Act
    const error = await rekognitionErrorOf(() => inspectImage(Buffer.from('hello')));

    // Assess
    expect(error).toMatchObject({
      type: 'InvalidImageFormatException',
      message: 'Request has invalid image format',
    });
  });
});

describe('parseDetectLabelsInput', () => {
  it('reads inline bytes and applies the default MinConfidence of 55', () => {
    // Act
    const input = parseDetectLabelsInput(body({ Image: { Bytes: Buffer.from('abc').toString('base64') } }));

    // Assess
    expect(input).toEqual({ image: { bytes: Buffer.from('abc') }, maxLabels: undefined, minConfidence: 55 });
  });

  it('reads an S3 object reference with its version, MaxLabels and MinConfidence', () => {
    // Act
    const input = parseDetectLabelsInput(
      body({
        Image: { S3Object: { Bucket: 'b', Name: 'k', Version: 'v1' } },
        MaxLabels: 3,
        MinConfidence: 70.5,
      }),
    );

    // Assess
    expect(input).toEqual({
      image: { bucket: 'b', key: 'k', version: 'v1' },
      maxLabels: 3,
      minConfidence: 70.5,
    });
  });

  it.each([
    ['no Image', {}, 'ValidationException'],
    [
      'both Bytes and S3Object',
      { Image: { Bytes: 'YWJj', S3Object: { Bucket: 'b', Name: 'k' } } },
      'InvalidParameterException',
    ],
    ['neither Bytes nor S3Object', { Image: {} }, 'InvalidParameterException'],
    ['MinConfidence over 100', { Image: { Bytes: 'YWJj' }, MinConfidence: 101 }, 'ValidationException'],
    ['negative MaxLabels', { Image: { Bytes: 'YWJj' }, MaxLabels: -1 }, 'ValidationException'],
    ['MaxLabels not an integer', { Image: { Bytes: 'YWJj' }, MaxLabels: 'ten' }, 'SerializationException'],
    ['Bytes not base64', { Image: { Bytes: 'not base64!' } }, 'SerializationException'],
    ['an S3Object without Name', { Image: { S3Object: { Bucket: 'b' } } }, 'ValidationException'],
  ])('fails when the request has %s', async (_case, request, type) => {
    // Act
    const error = await rekognitionErrorOf(() => parseDetectLabelsInput(body(request)));

    // Assess
    expect(error.type).toBe(type);
  });

  it('fails when the body is not JSON', async () => {
    // Act
    const error = await rekognitionErrorOf(() => parseDetectLabelsInput(Buffer.from('{"Image":')));

    // Assess
    expect(error.type).toBe('SerializationException');
  });
});

describe('prepareImage', () => {
  it('downscales a large image for the detector and letterboxes it to a square', async () => {
    // Prepare
    const image = await png(1024, 512);
    const side = DETECTOR_INPUT_SIZE;

    // Act
    const { detector } = await prepareImage(image);

    // Assess
    expect(detector).toMatchObject({ side, width: side, height: side / 2 });
    expect(detector.pixels).toHaveLength(side * side * 3);
    expect(detector.pixels[((side - 10) * side + 10) * 3]).toBe(114); // below the image: padding
  });

  it('gives the classifier the whole image at 224 x 224', async () => {
    // Prepare: twice as wide as high, left half black, right half white.
    const image = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000000' } })
      .composite([{ input: await png(100, 100, '#ffffff'), left: 100, top: 0 }])
      .png()
      .toBuffer();

    // Act
    const { classifier } = await prepareImage(image);

    // Assess: nothing cropped away, so both halves are there.
    expect(classifier).toHaveLength(224 * 224 * 3);
    expect(classifier[(112 * 224 + 5) * 3]).toBeLessThan(20);
    expect(classifier[(112 * 224 + 218) * 3]).toBeGreaterThan(235);
  });

  it("gives the classifier a panorama's centre, at most twice as wide as high, not the whole strip squeezed", async () => {
    // Prepare: 800 x 100: red, then a 200 px centre of black and white, then blue.
    const image = await sharp({ create: { width: 800, height: 100, channels: 3, background: '#ff0000' } })
      .composite([
        { input: await png(100, 100, '#000000'), left: 300, top: 0 },
        { input: await png(100, 100, '#ffffff'), left: 400, top: 0 },
        { input: await png(300, 100, '#0000ff'), left: 500, top: 0 },
      ])
      .png()
      .toBuffer();

    // Act
    const { classifier } = await prepareImage(image);

    // Assess: the centre's two halves fill the input; neither end's colour is in it.
    expect(classifier[(112 * 224 + 5) * 3]).toBeLessThan(20);
    expect(classifier[(112 * 224 + 218) * 3]).toBeGreaterThan(235);
    let strongRedOrBlue = 0;
    for (let i = 0; i < classifier.length; i += 3) {
      const [r, g, b] = [classifier[i], classifier[i + 1], classifier[i + 2]];
      if ((r > 200 && g < 60 && b < 60) || (b > 200 && r < 60 && g < 60)) strongRedOrBlue++;
    }
    expect(strongRedOrBlue).toBe(0);
  });

  it('applies the EXIF orientation before anything else', async () => {
    // Prepare: stored 200x100, orientation 6 (rotate 90° clockwise to display) → displayed 100x200.
    const image = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();

    // Act
    const { detector } = await prepareImage(image);

    // Assess
    expect(detector).toMatchObject({ side: 200, width: 100, height: 200 });
  });

  it('fails with ImageDecodeError when the pixels do not decode', async () => {
    // Prepare: a valid PNG header, then nothing.
    const truncated = (await png(100, 100)).subarray(0, 60);

    // Act / Assess
    await expect(prepareImage(truncated)).rejects.toBeInstanceOf(ImageDecodeError);
  });
});

describe('toImageBox', () => {
  it('maps a box in the padded square back to ratios of the image', () => {
    // Act: a 200x100 image padded to 200x200; box covering the left half of the image.
    const box = toImageBox([0, 0, 0.5, 0.5], { side: 200, width: 200, height: 100 });

    // Assess
    expect(box).toEqual({ left: 0, top: 0, width: 0.5, height: 1 });
  });

  it('clips boxes that overhang the image', () => {
    // Act
    const box = toImageBox([-0.1, 0.4, 0.5, 0.5], { side: 100, width: 100, height: 100 });

    // Assess
    expect(box?.left).toBe(0);
    expect(box?.width).toBeCloseTo(0.4);
    expect(box?.top).toBeCloseTo(0.4);
    expect(box?.height).toBeCloseTo(0.5);
  });

  it('drops boxes entirely in the padding', () => {
    // Assess
    expect(toImageBox([0.1, 0.8, 0.2, 0.1], { side: 200, width: 200, height: 100 })).toBeUndefined();
  });
});
