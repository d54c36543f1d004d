import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  captureTime,
  extractMetadata,
  jpegHeaderLength,
} from '../../lambda/extract-metadata/extract-metadata';
import { MAX_TEXT_LENGTH } from '../../lambda/shared/bounds';
import { ImageTooLarge, ObjectNotFound } from '../../lambda/shared/errors';
import { displayedSize, sharpFormatOf } from '../local/fixtures';
import { exiftoolTruth, fixture, type RangeRead, serveObjects, silentLog } from './helpers';
import { smallJpeg, tiffWithMake, tinySegmentsJpeg } from './hostile-files';

// The EXIF reader, with a switch to make it throw (its ESM export cannot be spied on).
const exifrFailure = vi.hoisted(() => ({ error: undefined as Error | undefined }));
vi.mock('exifr', async (importOriginal) => {
  const original = (await importOriginal<{ default: { parse: (...args: unknown[]) => Promise<unknown> } }>())
    .default;
  const parse = (...args: unknown[]) =>
    exifrFailure.error ? Promise.reject(exifrFailure.error) : original.parse(...args);
  return { default: { parse } };
});

// sharp, recording what it is handed: content that is not an image must never reach it.
const sharpInputs = vi.hoisted(() => [] as unknown[]);
vi.mock('sharp', async (importOriginal) => {
  const original = (await importOriginal<{ default: (...args: unknown[]) => unknown }>()).default;
  const recording = (...args: unknown[]) => {
    sharpInputs.push(args[0]);
    return original(...args);
  };
  return { default: Object.assign(recording, original) };
});

const HEAD = 65_536;
/**
 * Where the pipeline rightly disagrees with exiftool on orientation: this file's only orientation
 * is in XMP (not EXIF, and sharp does not apply it).
 */
const ORIENTATION_EXCEPTIONS: Record<string, number | null> = {
  'broken/invalid-exif-00971.jpg': null,
};
/** Content written to look like something else (SOURCES.md): no image, whatever the name says. */
const isNotImage = (truth: { SourceFile: string }) => truth.SourceFile.startsWith('not-images/');

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });

/** Inserts `count` APP15 segments of maximal size right after SOI: pushes the frame header past the first read. */
function withPaddingSegments(jpeg: Buffer, count: number): Buffer {
  const pad = Buffer.alloc(2 + 2 + 65_533, 0x20);
  pad.writeUInt16BE(0xffef, 0);
  pad.writeUInt16BE(65_535, 2);
  return Buffer.concat([jpeg.subarray(0, 2), ...Array(count).fill(pad), jpeg.subarray(2)]);
}

describe('extractMetadata', () => {
  let log: ReturnType<typeof silentLog>;
  beforeEach(() => {
    s3Mock.reset();
    exifrFailure.error = undefined;
    log = silentLog();
  });

  const run = async (objects: Record<string, Uint8Array>, key: string) => {
    const reads = serveObjects(s3Mock, objects);
    const metadata = await extractMetadata(s3, { bucket: 'photos', key }, log);
    return { metadata, reads, bytesRead: reads.reduce((sum, read) => sum + read.bytes, 0) };
  };

  describe.each(exiftoolTruth().filter((truth) => !isNotImage(truth)))('$SourceFile', (truth) => {
    it('matches exiftool and reads only the head (all of a WebP)', async () => {
      // Prepare
      const bytes = fixture(truth.SourceFile);
      const format = sharpFormatOf(truth.SourceFile);
      // HEIF, HEIC and AVIF: libheif applies the container's irot (in the displayed size) and sharp
      // reports no EXIF orientation, whose value inside a HEIF is informative only (SOURCES.md).
      const orientation =
        truth.SourceFile in ORIENTATION_EXCEPTIONS
          ? ORIENTATION_EXCEPTIONS[truth.SourceFile]
          : format === 'heif' || format === 'avif'
            ? null
            : (truth.Orientation ?? null);

      // Act
      const { metadata, reads } = await run({ [truth.SourceFile]: bytes }, truth.SourceFile);

      // Assess
      expect(metadata).toMatchObject({
        format,
        ...displayedSize(truth),
        orientation,
        sizeBytes: bytes.length,
        capturedAt: truth.DateTimeOriginal
          ? truth.DateTimeOriginal.replace(/^(\d{4}):(\d{2}):(\d{2}) /, '$1-$2-$3T') +
            (truth.OffsetTimeOriginal ?? '')
          : null,
        make: truth.Make ?? null,
        model: truth.Model ?? null,
      });
      if (truth.GPSLatitude === undefined) {
        expect(metadata.gps).toBeNull();
      } else {
        expect(Math.abs((metadata.gps?.latitude ?? Number.NaN) - truth.GPSLatitude)).toBeLessThan(1e-6);
        expect(
          Math.abs((metadata.gps?.longitude ?? Number.NaN) - (truth.GPSLongitude as number)),
        ).toBeLessThan(1e-6);
        expect(metadata.gps?.altitude).toBe(truth.GPSAltitude ?? null);
      }
      if (format === 'webp') {
        // libvips parses a WebP only whole (a cut one is "corrupt header"), so it is read in steps to the end.
        expect(reads.reduce((sum, read) => sum + read.bytes, 0)).toBe(bytes.length);
        expect(reads[0]).toEqual<RangeRead>({
          key: truth.SourceFile,
          range: `bytes=0-${HEAD - 1}`,
          bytes: HEAD,
        });
      } else {
        expect(reads).toEqual<RangeRead[]>([
          { key: truth.SourceFile, range: `bytes=0-${HEAD - 1}`, bytes: Math.min(HEAD, bytes.length) },
        ]);
      }
    });
  });

  describe.each(exiftoolTruth().filter(isNotImage))('$SourceFile', ({ SourceFile }) => {
    it.each([SourceFile, 'Incoming/a/photo.jpg'])(
      'is not an image under the key %s: format null, read once, never handed to sharp',
      async (key) => {
        // Prepare
        const bytes = fixture(SourceFile);
        sharpInputs.length = 0;

        // Act
        const { metadata, reads } = await run({ [key]: bytes }, key);

        // Assess: judged by the content alone, before sharp (librsvg would parse an SVG, script and all).
        expect(metadata).toEqual({
          format: null,
          width: null,
          height: null,
          orientation: null,
          sizeBytes: bytes.length,
          capturedAt: null,
          make: null,
          model: null,
          gps: null,
        });
        expect(reads).toHaveLength(1);
        expect(sharpInputs).toEqual([]);
      },
    );
  });

  it('widens the read to the JPEG frame header when APP segments push it past the first 64 KiB', async () => {
    // Prepare: three 64 KiB segments before the EXIF and frame header of an 812 KB phone photo.
    const bytes = withPaddingSegments(fixture('photos/phone-jolla.jpg'), 3);
    const frameHeaderEnd = jpegHeaderLength(bytes) as number;

    // Act
    const { metadata, reads, bytesRead } = await run({ 'Incoming/a/p.jpg': bytes }, 'Incoming/a/p.jpg');

    // Assess
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 3264,
      height: 2448,
      capturedAt: '2014-09-21T16:00:56',
      make: 'Jolla',
      sizeBytes: bytes.length,
    });
    expect(frameHeaderEnd).toBeGreaterThan(3 * 65_537);
    expect(bytesRead).toBeGreaterThanOrEqual(frameHeaderEnd);
    // One more read, growing what is held fourfold (64 KiB → 256 KiB): never one read per segment.
    expect(reads).toHaveLength(2);
    expect(bytesRead).toBe(4 * HEAD);
    expect(reads.map((r) => r.range?.split('-')[0])).toEqual([
      'bytes=0',
      ...reads.slice(1).map((_, i) => `bytes=${reads.slice(0, i + 1).reduce((s, r) => s + r.bytes, 0)}`),
    ]);
  });

  it('never reads past the end of a JPEG whose header fills the whole object', async () => {
    // Prepare: a small JPEG behind 64 KiB of padding, so the frame header plus margin is beyond the end.
    const bytes = withPaddingSegments(fixture('exif/canon-40d.jpg'), 1);

    // Act
    const { metadata, bytesRead } = await run({ k: bytes }, 'k');

    // Assess
    expect(metadata).toMatchObject({ format: 'jpeg', width: 100, height: 68, make: 'Canon' });
    expect(bytesRead).toBe(bytes.length);
  });

  it('reads further for a TIFF whose directory sits after the first 64 KiB', async () => {
    // Prepare: an uncompressed TIFF; libtiff writes its directory after the pixel data.
    const tiff = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } })
      .tiff({ compression: 'none' })
      .toBuffer();

    // Act
    const { metadata, reads } = await run({ 't.tiff': tiff }, 't.tiff');

    // Assess
    expect(metadata).toMatchObject({ format: 'tiff', width: 300, height: 200, sizeBytes: tiff.length });
    expect(reads.length).toBeGreaterThan(1);
  });

  it('returns format null for bytes that are not an image, reading only the head', async () => {
    // Prepare
    const text = Buffer.from('not an image\n'.repeat(20_000));

    // Act
    const { metadata, reads } = await run({ 'notes.jpg': text }, 'notes.jpg');

    // Assess
    expect(metadata).toEqual({
      format: null,
      width: null,
      height: null,
      orientation: null,
      sizeBytes: text.length,
      capturedAt: null,
      make: null,
      model: null,
      gps: null,
    });
    expect(reads).toHaveLength(1);
  });

  it('returns format null and size 0 for an empty object', async () => {
    const { metadata } = await run({ empty: new Uint8Array() }, 'empty');

    expect(metadata).toMatchObject({ format: null, sizeBytes: 0 });
  });

  it('fails when the object is missing', async () => {
    serveObjects(s3Mock, {});

    const extraction = extractMetadata(s3, { bucket: 'photos', key: 'Incoming/gone.jpg' }, log);

    await expect(extraction).rejects.toThrow(ObjectNotFound);
    await expect(extraction).rejects.toMatchObject({
      name: 'ObjectNotFound',
      message: expect.stringContaining('Incoming/gone.jpg'),
    });
  });

  it('leaves out a malformed EXIF block with a warning and still reads the image', async () => {
    // Prepare: break the TIFF byte order mark inside canon-40d's APP1 ("Exif\0\0II*").
    const bytes = Buffer.from(fixture('exif/canon-40d.jpg'));
    bytes.write('ZZ', bytes.indexOf('Exif\0\0') + 6, 'latin1');

    // Act
    const { metadata } = await run({ k: bytes }, 'k');

    // Assess
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 100,
      height: 68,
      capturedAt: null,
      make: null,
      model: null,
      gps: null,
    });
    expect(log.warn).toHaveBeenCalled();
  });

  it('returns the metadata without EXIF fields when the EXIF reader throws', async () => {
    // Prepare
    exifrFailure.error = new Error('Invalid input argument');

    // Act
    const { metadata } = await run({ k: fixture('exif/gps-dscn0010.jpg') }, 'k');

    // Assess
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 640,
      height: 480,
      capturedAt: null,
      make: null,
      gps: null,
    });
    expect(log.warn).toHaveBeenCalledWith(
      'Unreadable EXIF left out',
      expect.objectContaining({ reason: 'Invalid input argument' }),
    );
  });

  it('signs GPS south, west and below sea level, and keeps a recorded time offset', async () => {
    // Prepare: libvips cannot write GPSAltitudeRef, so set its byte (tag 5, type BYTE, count 1) afterwards.
    const jpeg = await sharp({ create: { width: 120, height: 90, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({
        IFD0: { Make: '  Acme ', Model: 'Cam 1' },
        IFD2: { DateTimeOriginal: '2021:02:03 04:05:06', OffsetTimeOriginal: '-03:30' },
        IFD3: {
          GPSLatitudeRef: 'S',
          GPSLatitude: '33/1 51/1 2196/100',
          GPSLongitudeRef: 'W',
          GPSLongitude: '70/1 40/1 0/1',
          GPSAltitudeRef: '0',
          GPSAltitude: '4235/10',
        },
      })
      .toBuffer();
    const entry = [Buffer.from('0005000100000001', 'hex'), Buffer.from('0500010001000000', 'hex')]
      .map((pattern) => jpeg.indexOf(pattern))
      .find((at) => at >= 0) as number;
    jpeg[entry + 8] = 1;

    // Act
    const { metadata } = await run({ k: jpeg }, 'k');

    // Assess
    expect(metadata.capturedAt).toBe('2021-02-03T04:05:06-03:30');
    expect(metadata.make).toBe('Acme');
    expect(metadata.model).toBe('Cam 1');
    expect(metadata.gps?.latitude).toBeCloseTo(-(33 + 51 / 60 + 21.96 / 3600), 9);
    expect(metadata.gps?.longitude).toBeCloseTo(-(70 + 40 / 60), 9);
    expect(metadata.gps?.altitude).toBe(-423.5);
  });
});

describe('extractMetadata on hostile uploads', () => {
  const MiB = 1024 * 1024;
  beforeEach(() => {
    s3Mock.reset();
    exifrFailure.error = undefined;
  });

  const run = async (bytes: Uint8Array, settings?: Parameters<typeof extractMetadata>[3]) => {
    const reads = serveObjects(s3Mock, { k: bytes });
    const started = performance.now();
    const result = await extractMetadata(s3, { bucket: 'photos', key: 'k' }, silentLog(), settings).then(
      (metadata) => ({ metadata, error: undefined }),
      (error: unknown) => ({ metadata: undefined, error }),
    );
    const ms = performance.now() - started;
    return { ...result, reads, ms, bytesRead: reads.reduce((sum, read) => sum + read.bytes, 0) };
  };

  /**
   * Each read starts where the previous one ended and at least doubles what is held, or reads up to
   * `end` (the object's end or the byte budget).
   */
  const expectGeometricReads = (reads: RangeRead[], end: number) => {
    let held = 0;
    for (const read of reads) {
      expect(read.range?.startsWith(`bytes=${held}-`), read.range).toBe(true);
      if (held > 0 && held + read.bytes < end) expect(read.bytes).toBeGreaterThanOrEqual(held);
      held += read.bytes;
    }
  };

  it('returns format null and size 0 at once when the server answers 206 "bytes 0-0/0" and never sends the promised byte', async () => {
    // Prepare: s3rver's answer to a range on an empty object; reading its body would wait until the
    // function times out (the empty upload that ended FAILED "Task timed out after 30.00 seconds").
    const destroy = vi.fn();
    s3Mock.on(GetObjectCommand).resolves({
      ContentRange: 'bytes 0-0/0',
      ContentLength: 1,
      Body: { transformToByteArray: () => new Promise(() => {}), destroy } as never,
    });

    // Act
    const metadata = await extractMetadata(s3, { bucket: 'photos', key: 'empty.jpg' }, silentLog());

    // Assess
    expect(metadata).toMatchObject({ format: null, width: null, sizeBytes: 0 });
    expect(destroy).toHaveBeenCalled();
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it('reads a 4 MiB JPEG header of a million tiny segments in a handful of geometric reads', async () => {
    // Prepare: a real 64 × 48 JPEG behind 4 MiB of 4-byte APP15 segments.
    const bytes = tinySegmentsJpeg(await smallJpeg(64, 48), 4 * MiB);

    // Act
    const { metadata, error, reads, ms, bytesRead } = await run(bytes);

    // Assess
    console.log(
      `4 MiB of tiny JPEG segments: ${reads.length} ranged GETs, ${bytesRead} bytes, ${ms.toFixed(0)} ms`,
    );
    expect(error).toBeUndefined();
    expect(metadata).toMatchObject({ format: 'jpeg', width: 64, height: 48, sizeBytes: bytes.length });
    expect(reads.length).toBeLessThanOrEqual(6);
    expectGeometricReads(reads, bytes.length);
    expect(bytesRead).toBe(bytes.length);
    expect(ms).toBeLessThan(3000);
  });

  it('fails with ImageTooLarge when a JPEG header goes on past the 8 MiB budget, reading no more than that', async () => {
    // Prepare
    const bytes = tinySegmentsJpeg(await smallJpeg(), 9 * MiB);

    // Act
    const { error, reads, ms, bytesRead } = await run(bytes);

    // Assess
    console.log(
      `9 MiB of tiny JPEG segments: ${reads.length} ranged GETs, ${bytesRead} bytes, ${ms.toFixed(0)} ms`,
    );
    expect(error).toBeInstanceOf(ImageTooLarge);
    expect(error).toMatchObject({
      name: 'ImageTooLarge',
      message: expect.stringMatching(/^The image's header is larger than 8 MiB/),
    });
    expect(reads.length).toBeLessThanOrEqual(6);
    expectGeometricReads(reads, 8 * MiB);
    expect(bytesRead).toBe(8 * MiB);
    expect(ms).toBeLessThan(3000);
  });

  it('keeps to a smaller header budget when configured', async () => {
    const bytes = tinySegmentsJpeg(await smallJpeg(), 2 * MiB);

    const { error, bytesRead } = await run(bytes, { maxHeaderBytes: MiB });

    expect(error).toMatchObject({
      name: 'ImageTooLarge',
      message: expect.stringContaining('larger than 1 MiB'),
    });
    expect(bytesRead).toBe(MiB);
  });

  it('lets sharp decide on a JPEG that ends inside its header, without reading past the end', async () => {
    const bytes = tinySegmentsJpeg(await smallJpeg(), MiB).subarray(0, 700_000);

    const { metadata, error, bytesRead } = await run(bytes);

    expect(error).toBeUndefined();
    expect(metadata?.format).toBeNull();
    expect(bytesRead).toBe(bytes.length);
  });

  it('caps a TIFF Make of 1,000,000 characters to a short clean text, keeping the metadata small', async () => {
    // Prepare: a 1 MB TIFF whose Make fills it, its directory at the end: it is read whole.
    const bytes = tiffWithMake(`Hostile\u0007 ${'M'.repeat(1_000_000)}`);

    // Act
    const { metadata, error, reads, ms } = await run(bytes);

    // Assess
    console.log(
      `TIFF with a 1,000,000-character Make: ${reads.length} ranged GETs, ${JSON.stringify(metadata).length} bytes of metadata, ${ms.toFixed(0)} ms`,
    );
    expect(error).toBeUndefined();
    expect(JSON.stringify(metadata).length).toBeLessThan(1024);
    expect(metadata).toMatchObject({ format: 'tiff', width: 16, height: 16, sizeBytes: bytes.length });
    expect(metadata?.make).toHaveLength(MAX_TEXT_LENGTH);
    expect(metadata?.make).toMatch(/^Hostile +M+…$/);
    expect(JSON.stringify(metadata).length).toBeLessThan(1024);
  });
});

describe('captureTime', () => {
  it.each([
    ['2008:05:30 15:56:01', undefined, '2008-05-30T15:56:01'],
    ['2008:05:30 15:56:01', '+02:00', '2008-05-30T15:56:01+02:00'],
    ['2008:05:30 15:56:01', 'garbage', '2008-05-30T15:56:01'],
    ['0000:00:00 00:00:00', undefined, null],
    ['    :  :     :  :  ', undefined, null],
    [undefined, '+02:00', null],
  ])('%j with offset %j gives %j', (dateTime, offset, expected) => {
    expect(captureTime(dateTime, offset)).toBe(expected);
  });
});
