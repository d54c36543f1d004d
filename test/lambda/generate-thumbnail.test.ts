import { crc32, deflateSync } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  generateThumbnail,
  renderThumbnail,
  type ThumbnailSettings,
} from '../../lambda/generate-thumbnail/generate-thumbnail';
import { CorruptImage, ImageTooLarge, ObjectNotFound } from '../../lambda/shared/errors';
import { fixture, serveObjects } from './helpers';

const settings: ThumbnailSettings = {
  prefix: 'Thumbnails/',
  maxWidth: 250,
  maxHeight: 250,
  maxImagePixels: 50_000_000,
};
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const dynamoMock = mockClient(DynamoDBDocumentClient);
const records = {
  dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'ImageMetadata',
};

/** Mean absolute difference per channel (0-255) of two images scaled to the same size. */
async function meanAbsDifference(a: Buffer, b: Buffer): Promise<number> {
  const raw = (image: Buffer) =>
    sharp(image).resize(250, 188, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [pa, pb] = await Promise.all([raw(a), raw(b)]);
  let sum = 0;
  for (let i = 0; i < pa.length; i++) sum += Math.abs(pa[i] - pb[i]);
  return sum / pa.length;
}

/** A valid, tiny PNG that declares width × height 1-bit grey pixels: a decompression bomb. */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8))); // filter byte 0 + zero pixels per row
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('renderThumbnail', () => {
  describe('orientation', () => {
    let upright: Buffer;
    beforeEach(async () => {
      upright = (await renderThumbnail(fixture('orientation/landscape-1.jpg'), settings)).data;
    });

    it.each([1, 3, 6, 8])(
      'turns landscape-%i.jpg upright: wider than tall, within the box, like landscape-1',
      async (orientation) => {
        // Act
        const thumbnail = await renderThumbnail(
          fixture(`orientation/landscape-${orientation}.jpg`),
          settings,
        );

        // Assess
        expect(thumbnail.format).toBe('jpeg');
        expect(thumbnail.width).toBeGreaterThan(thumbnail.height);
        expect(thumbnail.width).toBeLessThanOrEqual(250);
        expect(thumbnail.height).toBeLessThanOrEqual(250);
        expect(await meanAbsDifference(thumbnail.data, upright)).toBeLessThan(10);
      },
    );

    it('the pixel comparison tells a wrong rotation apart', async () => {
      const upsideDown = await sharp(upright).rotate(180).toBuffer();

      expect(await meanAbsDifference(upsideDown, upright)).toBeGreaterThan(30);
    });
  });

  it('strips EXIF and GPS from the output', async () => {
    // Prepare
    const original = fixture('exif/gps-dscn0010.jpg');
    expect((await sharp(original).metadata()).exif).toBeDefined();

    // Act
    const thumbnail = await renderThumbnail(original, settings);

    // Assess
    const metadata = await sharp(thumbnail.data).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect([thumbnail.width, thumbnail.height]).toEqual([250, 188]);
  });

  it('keeps transparency as a PNG and never enlarges', async () => {
    const thumbnail = await renderThumbnail(fixture('photos/pngsuite-basn6a16.png'), settings);

    const metadata = await sharp(thumbnail.data).metadata();
    expect(thumbnail).toMatchObject({ format: 'png', width: 32, height: 32 });
    expect(metadata).toMatchObject({ format: 'png', hasAlpha: true, depth: 'uchar' });
  });

  it.each(['broken/png-badcrc.png', 'broken/png-huge-idat.png'])(
    'fails when %s cannot be decoded (CorruptImage)',
    async (path) => {
      const rendering = renderThumbnail(fixture(path), settings);

      await expect(rendering).rejects.toThrow(CorruptImage);
      await expect(rendering).rejects.toMatchObject({
        name: 'CorruptImage',
        message: expect.stringMatching(
          /^The image data is corrupt and cannot be decoded \(.*libpng read error.*\)\.$/,
        ),
      });
    },
  );

  it('fails when a JPEG is truncated (CorruptImage)', async () => {
    const cat = fixture('photos/cat.jpg');

    const rendering = renderThumbnail(cat.subarray(0, cat.length / 2), settings);

    await expect(rendering).rejects.toMatchObject({
      name: 'CorruptImage',
      message: expect.stringContaining('premature end'),
    });
  });

  it('fails when the bytes are not an image (CorruptImage)', async () => {
    await expect(renderThumbnail(Buffer.from('hello'), settings)).rejects.toMatchObject({
      name: 'CorruptImage',
      message: expect.stringContaining('cannot be read as an image'),
    });
  });

  it('fails fast when a small file declares too many pixels (ImageTooLarge)', async () => {
    // Prepare
    const bomb = pngBomb(12_000, 12_000);
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();

    // Act
    const rendering = renderThumbnail(bomb, settings);

    // Assess
    await expect(rendering).rejects.toThrow(ImageTooLarge);
    await expect(rendering).rejects.toThrow(
      'The image is 12000×12000 px (144 MP), over the 50 MP limit for thumbnails.',
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('generateThumbnail', () => {
  beforeEach(() => {
    s3Mock.reset();
    dynamoMock.reset();
    // The photo's record, read after the thumbnail is written: still there.
    dynamoMock.on(GetCommand).resolves({ Item: { status: 'PROCESSING' } });
  });

  it('writes a JPEG under Thumbnails/<owner>/<photoId>.jpg and describes it', async () => {
    // Prepare
    serveObjects(s3Mock, { 'Incoming/alice/p1.jpg': fixture('photos/phone-jolla.jpg') });
    s3Mock.on(PutObjectCommand).resolves({});

    // Act
    const result = await generateThumbnail(
      s3,
      { bucket: 'photos', key: 'Incoming/alice/p1.jpg', owner: 'alice', photoId: 'p1' },
      settings,
      records,
    );

    // Assess
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({
      Bucket: 'photos',
      Key: 'Thumbnails/alice/p1.jpg',
      ContentType: 'image/jpeg',
    });
    expect(result).toEqual({
      key: 'Thumbnails/alice/p1.jpg',
      width: 250,
      height: 188,
      format: 'jpeg',
      sizeBytes: (put.Body as Buffer).length,
    });
    expect(await sharp(put.Body as Buffer).metadata()).toMatchObject({
      format: 'jpeg',
      width: 250,
      height: 188,
    });
  });

  it('writes a PNG with a .png key when the original has alpha', async () => {
    serveObjects(s3Mock, { 'Incoming/a.png': fixture('photos/pngsuite-basn6a16.png') });
    s3Mock.on(PutObjectCommand).resolves({});

    const result = await generateThumbnail(
      s3,
      { bucket: 'b', key: 'Incoming/a.png', owner: 'shared', photoId: 'a' },
      settings,
      records,
    );

    expect(result).toMatchObject({ key: 'Thumbnails/shared/a.png', format: 'png' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0].args[0].input.ContentType).toBe('image/png');
  });

  it('fails when the object is missing (ObjectNotFound)', async () => {
    serveObjects(s3Mock, {});

    const generation = generateThumbnail(
      s3,
      { bucket: 'b', key: 'Incoming/x.jpg', owner: 'o', photoId: 'x' },
      settings,
      records,
    );

    await expect(generation).rejects.toThrow(ObjectNotFound);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('fails when the file is over the byte limit, without reading it (ImageTooLarge)', async () => {
    serveObjects(s3Mock, { k: fixture('photos/cat.jpg') });

    const generation = generateThumbnail(
      s3,
      { bucket: 'b', key: 'k', owner: 'o', photoId: 'x' },
      { ...settings, maxObjectBytes: 1024 },
      records,
    );

    await expect(generation).rejects.toMatchObject({
      name: 'ImageTooLarge',
      message: expect.stringContaining('MB limit'),
    });
  });

  describe('when the photo is deleted while its thumbnail is made', () => {
    const photo = { bucket: 'photos', key: 'Incoming/alice/p1.jpg', owner: 'alice', photoId: 'p1' };

    beforeEach(() => {
      serveObjects(s3Mock, { 'Incoming/alice/p1.jpg': fixture('photos/phone-jolla.jpg') });
      s3Mock.on(PutObjectCommand).resolves({});
      s3Mock.on(DeleteObjectCommand).resolves({});
    });

    it.each([
      ['the record is a tombstone', { Item: { status: 'DELETED' } }],
      ['the record is gone', { Item: undefined }],
    ])('takes its thumbnail back and fails with ObjectNotFound when %s', async (_, answer) => {
      // Prepare
      dynamoMock.on(GetCommand).resolves(answer);

      // Act
      const generation = generateThumbnail(s3, photo, settings, records);

      // Assess
      await expect(generation).rejects.toMatchObject({
        name: 'ObjectNotFound',
        message: 'The photo p1 was deleted while it was being processed; its thumbnail was removed.',
      });
      expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: 'photos', Key: 'Thumbnails/alice/p1.jpg' },
      ]);
    });

    it('reads the record consistently, after the thumbnail is written', async () => {
      await generateThumbnail(s3, photo, settings, records);

      const get = dynamoMock.commandCalls(GetCommand)[0];
      expect(get.args[0].input).toMatchObject({
        TableName: 'ImageMetadata',
        Key: { owner: 'alice', photoId: 'p1' },
        ConsistentRead: true,
      });
      expect(get.calledAfter(s3Mock.commandCalls(PutObjectCommand)[0])).toBe(true);
      expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    });
  });
});
