/**
 * Files a careless or hostile user could upload, made in the tests (nothing hostile is checked in):
 * shared by the unit tests (test/lambda) and the local cloud's end-to-end tests (test/local).
 */
import sharp from 'sharp';

/** A small, real JPEG photo-like image (a gradient), `width` × `height`. */
export async function smallJpeg(width = 64, height = 48): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    pixels[i * 3] = (i * 7) % 256;
    pixels[i * 3 + 1] = (i * 3) % 256;
    pixels[i * 3 + 2] = 128;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/**
 * A valid JPEG whose header is `paddingBytes` of the smallest possible segments (APP15 with no data,
 * 4 bytes each) between SOI and the rest of `jpeg`: its frame header is megabytes in, behind a million
 * segments.
 */
export function tinySegmentsJpeg(jpeg: Buffer, paddingBytes: number): Buffer {
  const count = Math.floor(paddingBytes / 4);
  const padding = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) padding.writeUInt32BE(0xffef0002, i * 4);
  return Buffer.concat([jpeg.subarray(0, 2), padding, jpeg.subarray(2)]);
}

/**
 * A 16 × 16 grayscale, uncompressed little-endian TIFF whose IFD0 Make (tag 271, ASCII) is `make`,
 * built byte by byte (libvips does not write a TIFF's Make). As libtiff writes files, the directory
 * comes last, after the Make and the pixels: a reader must read the whole file to find either.
 */
export function tiffWithMake(make: string, width = 16, height = 16): Buffer {
  const SHORT = 3;
  const LONG = 4;
  const ASCII = 2;
  const makeBytes = Buffer.from(`${make}\0`, 'latin1');
  const makeOffset = 8;
  const pixelOffset = makeOffset + makeBytes.length + (makeBytes.length % 2); // word aligned
  const ifdOffset = pixelOffset + width * height + ((width * height) % 2);
  const entries: [tag: number, type: number, count: number, value: number][] = [
    [256, SHORT, 1, width], // ImageWidth
    [257, SHORT, 1, height], // ImageLength
    [258, SHORT, 1, 8], // BitsPerSample
    [259, SHORT, 1, 1], // Compression: none
    [262, SHORT, 1, 1], // PhotometricInterpretation: BlackIsZero
    [271, ASCII, makeBytes.length, makeOffset], // Make
    [273, LONG, 1, pixelOffset], // StripOffsets
    [277, SHORT, 1, 1], // SamplesPerPixel
    [278, SHORT, 1, height], // RowsPerStrip
    [279, LONG, 1, width * height], // StripByteCounts
  ];
  const file = Buffer.alloc(ifdOffset + 2 + entries.length * 12 + 4);
  file.write('II*\0', 0, 'latin1');
  file.writeUInt32LE(ifdOffset, 4);
  makeBytes.copy(file, makeOffset);
  file.fill(0x80, pixelOffset, pixelOffset + width * height);
  file.writeUInt16LE(entries.length, ifdOffset);
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(count, at + 4);
    if (type === SHORT) file.writeUInt16LE(value, at + 8);
    else file.writeUInt32LE(value, at + 8);
  });
  // The 4 bytes after the entries stay 0: no next directory.
  return file;
}
