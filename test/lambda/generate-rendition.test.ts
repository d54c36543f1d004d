import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  generateRendition,
  type RenderedRendition,
  renderRendition,
  renditionReason,
} from '../../lambda/generate-rendition/generate-rendition';
import { attachIccProfile, decodeImage } from '../../lambda/shared/decode-image';
import { CorruptImage, ImageTooLarge, ObjectNotFound } from '../../lambda/shared/errors';
import type { ImageMetadata } from '../../lambda/shared/model';
import { displayedSize } from '../local/fixtures';
import { exiftoolTruth, fixture, serveObjects } from './helpers';

const settings = { prefix: 'Renditions/', maxSide: 2048, maxImagePixels: 50_000_000 };
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const dynamoMock = mockClient(DynamoDBDocumentClient);
const records = {
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'ImageMetadata',
};

const metadata = (overrides: Partial<ImageMetadata>): ImageMetadata => ({
  format: 'jpeg',
  width: 640,
  height: 480,
  orientation: null,
  sizeBytes: 160_000,
  capturedAt: null,
  make: null,
  model: null,
  gps: null,
  ...overrides,
});

/** Mean absolute difference per channel (0-255) of two images scaled to the same small size. */
async function meanAbsDifference(a: Buffer, b: Buffer): Promise<number> {
  const raw = (image: Buffer) =>
    sharp(image).resize(96, 128, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const [pa, pb] = await Promise.all([raw(a), raw(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

/** The file with every `ispe` (image spatial extent) box claiming width × height: a HEIF pixel bomb. */
function withIspe(bytes: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(bytes);
  let found = 0;
  for (let at = out.indexOf('ispe'); at !== -1; at = out.indexOf('ispe', at + 4)) {
    // size(4) 'ispe'(4) version+flags(4) width(4) height(4)
    out.writeUInt32BE(width, at + 8);
    out.writeUInt32BE(height, at + 12);
    found++;
  }
  expect(found).toBeGreaterThan(0);
  return out;
}

/** An uncompressed little-endian 16-bit greyscale TIFF, every sample `value` (libvips writes 16-bit TIFF only from 16-bit pipelines). */
function grey16Tiff(width: number, height: number, value: number): Buffer {
  const SHORT = 3;
  const LONG = 4;
  const pixelOffset = 8;
  const pixelBytes = width * height * 2;
  const ifdOffset = pixelOffset + pixelBytes;
  const entries: [number, number, number][] = [
    [256, SHORT, width], // ImageWidth
    [257, SHORT, height], // ImageLength
    [258, SHORT, 16], // BitsPerSample
    [259, SHORT, 1], // Compression: none
    [262, SHORT, 1], // PhotometricInterpretation: BlackIsZero
    [273, LONG, pixelOffset], // StripOffsets
    [277, SHORT, 1], // SamplesPerPixel
    [278, SHORT, height], // RowsPerStrip
    [279, LONG, pixelBytes], // StripByteCounts
  ];
  const file = Buffer.alloc(ifdOffset + 2 + entries.length * 12 + 4);
  file.write('II*\0', 0, 'latin1');
  file.writeUInt32LE(ifdOffset, 4);
  for (let i = 0; i < width * height; i++) file.writeUInt16LE(value, pixelOffset + i * 2);
  file.writeUInt16LE(entries.length, ifdOffset);
  entries.forEach(([tag, type, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(1, at + 4);
    if (type === SHORT) file.writeUInt16LE(value, at + 8);
    else file.writeUInt32LE(value, at + 8);
  });
  return file;
}

describe('renditionReason', () => {
  it.each<[string, Partial<ImageMetadata>, RegExp | null]>([
    ['a HEIC', { format: 'heif', width: 3024, height: 4032 }, /^HEIF\/HEIC: most browsers cannot show it/],
    ['an AVIF', { format: 'avif', width: 722, height: 1024 }, /^AVIF: Rekognition cannot read it/],
    ['a WebP', { format: 'webp', width: 512, height: 512 }, /^WebP: Rekognition cannot read it/],
    ['a TIFF', { format: 'tiff', width: 174, height: 38 }, /^TIFF: browsers cannot show it/],
    ['a GIF', { format: 'gif', width: 100, height: 100 }, /^GIF: Rekognition cannot read it/],
    [
      'a 16 MB JPEG',
      { sizeBytes: 16 * 1024 * 1024 },
      /^The file is 16\.0 MB, over the 15 MB Rekognition reads/,
    ],
    [
      'a 12,000 px wide PNG',
      { format: 'png', width: 12_000, height: 900 },
      /over Rekognition's 10,000 px per side/,
    ],
    [
      'a 6000×4000 JPEG',
      { width: 6000, height: 4000 },
      /^The image is 6000×4000 px, large to show in a browser/,
    ],
    ['a 4032×3024 phone JPEG', { width: 4032, height: 3024, sizeBytes: 3_000_000 }, null],
    ['a 640×480 PNG', { format: 'png' }, null],
    ['bytes that are not an image', { format: null, width: null, height: null }, null],
  ])('for %s: %s', (_, overrides, expected) => {
    // Act
    const reason = renditionReason(metadata(overrides), 2048);

    // Assess
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toMatch(expected);
  });
});

describe('renderRendition', () => {
  const renditions = new Map<string, RenderedRendition>();
  const rendition = async (name: string) => {
    if (!renditions.has(name)) renditions.set(name, await renderRendition(fixture(name), settings));
    return renditions.get(name) as RenderedRendition;
  };

  describe.each([
    'formats/iphone-13-pro-max.heic',
    'formats/nokia-8.3-gps.heif',
    'formats/hato.avif',
    'formats/kimono.avif',
    'formats/kimono-rotate90.avif',
    'formats/bryce-panorama.webp',
    'formats/lossless.webp',
    'unsupported/arbitro.tiff',
    'unsupported/sample.heif',
  ])('%s', (name) => {
    it('is upright as the decoder shows it: the displayed aspect ratio exiftool implies, within 2048 px', async () => {
      // Prepare: exiftool's stored size with the container's irot applied (never the EXIF Orientation
      // inside a HEIC too: applied twice, the iPhone photo would come out landscape).
      const truth = exiftoolTruth().find((t) => t.SourceFile === name);
      const shown = displayedSize(truth as never);

      // Act
      const { width, height, data, format } = await rendition(name);

      // Assess
      expect(Math.max(width, height)).toBe(Math.min(2048, Math.max(shown.width, shown.height)));
      expect(width / height).toBeCloseTo(shown.width / shown.height, 2);
      const decoded = await sharp(data).metadata();
      expect({ width: decoded.width, height: decoded.height, format: decoded.format }).toEqual({
        width,
        height,
        format,
      });
    });

    it('carries no EXIF, XMP or GPS, and no orientation to apply', async () => {
      // Act
      const { data } = await rendition(name);

      // Assess
      const decoded = await sharp(data).metadata();
      expect(decoded.exif).toBeUndefined();
      expect(decoded.xmp).toBeUndefined();
      expect(decoded.orientation).toBeUndefined();
    });
  });

  it('decodes an iPhone HEIC (HEVC, a grid of tiles) with libheif, keeping its Display P3 profile', async () => {
    // Prepare
    const original = fixture('formats/iphone-13-pro-max.heic');
    const { icc } = await sharp(original).metadata();

    // Act
    const decoded = await decodeImage(original, { maxImagePixels: 50_000_000, purpose: 'for tests' });
    const { data, format } = await rendition('formats/iphone-13-pro-max.heic');

    // Assess
    expect(decoded).toMatchObject({ decoder: 'libheif', width: 3024, height: 4032, hasAlpha: false });
    expect(format).toBe('jpeg');
    expect(icc).toBeDefined();
    expect((await sharp(data).metadata()).icc).toEqual(icc);
  });

  it('decodes AVIF with sharp (libvips has the AV1 decoder)', async () => {
    const decoded = await decodeImage(fixture('formats/kimono.avif'), {
      maxImagePixels: 50_000_000,
      purpose: 'for tests',
    });

    expect(decoded).toMatchObject({ decoder: 'sharp', width: 722, height: 1024 });
  });

  it("applies an AVIF's irot: the rotated copy's rendition is the same picture as the original's", async () => {
    // Act
    const [upright, rotated] = await Promise.all([
      rendition('formats/kimono.avif'),
      rendition('formats/kimono-rotate90.avif'),
    ]);

    // Assess: a quarter turn would differ by far more than coding noise.
    expect(await meanAbsDifference(rotated.data, upright.data)).toBeLessThan(6);
    const turned = await sharp(upright.data).rotate(90).toBuffer();
    expect(await meanAbsDifference(rotated.data, turned)).toBeGreaterThan(20);
  });

  it('makes an 8-bit JPEG of a 16-bit TIFF, scaling the samples (not cutting them)', async () => {
    // Prepare: 16-bit grey at 50,000 of 65,535, which is 194 of 255.
    const tiff = grey16Tiff(64, 48, 50_000);
    expect((await sharp(tiff).metadata()).depth).toBe('ushort');

    // Act
    const { data, format, width, height } = await renderRendition(tiff, settings);

    // Assess
    const decoded = await sharp(data).metadata();
    expect({ format, width, height, depth: decoded.depth }).toEqual({
      format: 'jpeg',
      width: 64,
      height: 48,
      depth: 'uchar',
    });
    const { channels } = await sharp(data).stats();
    expect(channels[0].mean).toBeGreaterThan(190);
    expect(channels[0].mean).toBeLessThan(198);
  });

  it('converts a CMYK TIFF to sRGB (a red stays red)', async () => {
    // Prepare
    const cmyk = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#d02020' } })
      .toColourspace('cmyk')
      .tiff()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');

    // Act
    const { data } = await renderRendition(cmyk, settings);

    // Assess
    const { channels } = await sharp(data).stats();
    expect(channels).toHaveLength(3);
    expect(channels[0].mean).toBeGreaterThan(channels[1].mean + 80);
  });

  it('takes the first page of a multi-page TIFF and the first frame of an animated WebP', async () => {
    // Prepare: two pages, red then blue.
    const page = (colour: string) =>
      sharp({ create: { width: 120, height: 80, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const pages = await Promise.all([page('#e01010'), page('#1010e0')]);
    const tiff = await sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();
    const webp = await sharp(pages, { join: { animated: true } })
      .webp({ lossless: true })
      .toBuffer();
    expect((await sharp(tiff).metadata()).pages).toBe(2);
    expect((await sharp(webp).metadata()).pages).toBe(2);

    for (const multi of [tiff, webp]) {
      // Act
      const { data, width, height } = await renderRendition(multi, settings);

      // Assess: one 120×80 picture, the red one.
      expect({ width, height }).toEqual({ width: 120, height: 80 });
      const { channels } = await sharp(data).stats();
      expect(channels[0].mean).toBeGreaterThan(channels[2].mean + 100);
    }
  });

  it('keeps transparency as a PNG (an AVIF with alpha)', async () => {
    // Prepare
    const avif = await sharp({
      create: { width: 200, height: 100, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } },
    })
      .avif()
      .toBuffer();

    // Act
    const { data, format } = await renderRendition(avif, settings);

    // Assess
    expect(format).toBe('png');
    expect((await sharp(data).metadata()).hasAlpha).toBe(true);
  });

  describe('hostile files end quickly with a readable error', () => {
    it('fails a truncated HEIC with CorruptImage', async () => {
      // Prepare: the header (sharp reads it) without most of the coded tiles.
      const heic = fixture('formats/iphone-13-pro-max.heic');
      const truncated = heic.subarray(0, Math.floor(heic.length / 3));

      // Act / Assess: libheif alone would fill the missing tiles in grey.
      await expect(renderRendition(truncated, settings)).rejects.toThrow(
        /^The file is truncated: its 'mdat' box needs [\d,]+ bytes, but the file ends [\d,]+ bytes into it\.$/,
      );
      await expect(renderRendition(truncated, settings)).rejects.toThrow(CorruptImage);
    });

    it('fails an AVIF cut off inside its pixel data with CorruptImage', async () => {
      const avif = fixture('formats/hato.avif');

      await expect(renderRendition(avif.subarray(0, avif.length - 1000), settings)).rejects.toThrow(
        CorruptImage,
      );
    });

    it.each([
      ['HEIC', 'unsupported/sample.heif'],
      ['AVIF', 'formats/kimono.avif'],
    ])(
      'stops a %s whose ispe box claims 30000×30000 px before decoding, with ImageTooLarge',
      async (_, name) => {
        // Prepare
        const bomb = withIspe(fixture(name), 30_000, 30_000);

        // Act / Assess
        await expect(renderRendition(bomb, settings)).rejects.toThrow(
          new ImageTooLarge(
            'The image is 30000×30000 px (900 MP), over the 50 MP limit for display renditions.',
          ),
        );
      },
    );

    it('fails bytes that are no image with CorruptImage', async () => {
      await expect(renderRendition(Buffer.from('name,photo\ncat,cat.jpg\n'), settings)).rejects.toThrow(
        CorruptImage,
      );
    });
  });
});

describe('attachIccProfile', () => {
  it('attaches a profile as APP2 ICC_PROFILE segments that sharp reads back, in several segments when large', async () => {
    // Prepare
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const { icc } = await sharp(fixture('formats/iphone-13-pro-max.heic')).metadata();
    const large = Buffer.concat([icc as Buffer, Buffer.alloc(140_000)]);
    large.writeUInt32BE(large.length, 0); // an ICC profile starts with its own size

    // Act
    const small = attachIccProfile(jpeg, icc as Buffer);
    const split = attachIccProfile(jpeg, large);

    // Assess
    expect((await sharp(small).metadata()).icc).toEqual(icc);
    expect(split.subarray(0, 4).toString('hex')).toBe('ffd8ffe2');
    expect(split.toString('latin1').split('ICC_PROFILE\0')).toHaveLength(4);
  });
});

describe('generateRendition', () => {
  const photo = {
    bucket: 'photos',
    key: 'Incoming/alice/p1.heic',
    owner: 'alice',
    photoId: 'p1',
    metadata: metadata({ format: 'heif', width: 640, height: 426, sizeBytes: 29_208 }),
  };

  beforeEach(() => {
    s3Mock.reset();
    dynamoMock.reset();
    dynamoMock.on(GetCommand).resolves({ Item: { status: 'PROCESSING' } });
  });

  it('writes an upright JPEG under Renditions/<owner>/<photoId>.jpg and says why', async () => {
    // Prepare
    serveObjects(s3Mock, { [photo.key]: fixture('unsupported/sample.heif') });

    // Act
    const { rendition } = await generateRendition(s3, photo, settings, records);

    // Assess
    const [put] = s3Mock.commandCalls(PutObjectCommand);
    expect(put.args[0].input).toMatchObject({
      Bucket: 'photos',
      Key: 'Renditions/alice/p1.jpg',
      ContentType: 'image/jpeg',
      CacheControl: 'no-cache',
    });
    expect(rendition).toEqual({
      key: 'Renditions/alice/p1.jpg',
      width: 640,
      height: 426,
      format: 'jpeg',
      sizeBytes: (put.args[0].input.Body as Buffer).length,
      reason: 'HEIF/HEIC: most browsers cannot show it and Rekognition cannot read it',
    });
  });

  it('reads and writes nothing for a photo that serves as it is', async () => {
    // Act
    const result = await generateRendition(
      s3,
      { ...photo, key: 'Incoming/alice/p1.jpg', metadata: metadata({}) },
      settings,
      records,
    );

    // Assess
    expect(result).toEqual({ rendition: null });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('takes the rendition back and fails with ObjectNotFound when the photo was deleted meanwhile', async () => {
    // Prepare
    serveObjects(s3Mock, { [photo.key]: fixture('unsupported/sample.heif') });
    dynamoMock.on(GetCommand).resolves({ Item: { status: 'DELETED' } });

    // Act / Assess
    await expect(generateRendition(s3, photo, settings, records)).rejects.toThrow(ObjectNotFound);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({
      Bucket: 'photos',
      Key: 'Renditions/alice/p1.jpg',
    });
  });

  it('fails with ImageTooLarge, without reading it, when the object is over the download limit', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves({ ContentLength: 200 * 1024 * 1024 } as never);

    // Act / Assess
    await expect(generateRendition(s3, photo, settings, records)).rejects.toThrow(
      new ImageTooLarge('The file is 200.0 MB, over the 100 MB limit for display renditions.'),
    );
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('decodeImage on every accepted fixture', () => {
  let heicDecoded: Awaited<ReturnType<typeof decodeImage>>;
  beforeAll(async () => {
    heicDecoded = await decodeImage(fixture('formats/nokia-8.3-gps.heif'), {
      maxImagePixels: 50_000_000,
      purpose: 'for tests',
    });
  });

  it('decodes the Nokia HEIF (HEVC) at the size libheif shows, its irot applied', () => {
    expect(heicDecoded).toMatchObject({ decoder: 'libheif', width: 3456, height: 4608 });
  });
});
