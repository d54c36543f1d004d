/**
 * How S3 serves a photo's original through its presigned URL: always as a download, with a content
 * type from a raster allow-list by the format extract-metadata sniffed, never the type the uploader
 * claimed. An SVG, or anything else not in the list, is application/octet-stream: never image/*, so it
 * can never run as a document on S3's origin.
 */
import type { GetObjectCommandInput } from '@aws-sdk/client-s3';
import type { PhotoRecord } from '../shared/model';

/** sharp's format names → the content type and file extension the original is served with. */
const RASTER_FORMATS: Readonly<Record<string, { readonly type: string; readonly extension: string }>> = {
  jpeg: { type: 'image/jpeg', extension: 'jpg' },
  png: { type: 'image/png', extension: 'png' },
  webp: { type: 'image/webp', extension: 'webp' },
  gif: { type: 'image/gif', extension: 'gif' },
  tiff: { type: 'image/tiff', extension: 'tif' },
  avif: { type: 'image/avif', extension: 'avif' },
  // HEIC/HEIF; an AV1-coded HEIF is recorded as 'avif' (extract-metadata's formatName).
  heif: { type: 'image/heif', extension: 'heif' },
  jp2: { type: 'image/jp2', extension: 'jp2' },
  jxl: { type: 'image/jxl', extension: 'jxl' },
};

export const UNKNOWN_CONTENT_TYPE = 'application/octet-stream';

/** GetObject response overrides for the original: Content-Type and Content-Disposition: attachment. */
export function originalDownload(
  record: Pick<PhotoRecord, 'photoId' | 'originalKey' | 'metadata'>,
): Required<Pick<GetObjectCommandInput, 'ResponseContentType' | 'ResponseContentDisposition'>> {
  const format = record.metadata?.format ?? null;
  const raster =
    format !== null && Object.hasOwn(RASTER_FORMATS, format) ? RASTER_FORMATS[format] : undefined;
  const keyExtension = /\.([A-Za-z0-9]{1,8})$/.exec(record.originalKey)?.[1]?.toLowerCase();
  const extension = raster?.extension ?? keyExtension ?? 'bin';
  return {
    ResponseContentType: raster?.type ?? UNKNOWN_CONTENT_TYPE,
    ResponseContentDisposition: `attachment; filename="${safeFileName(record.photoId)}.${extension}"`,
  };
}

/** Letters, digits, '.', '-' and '_' only (nothing that could end the quoted string or the header), never a leading dot. */
function safeFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 128);
  return safe || 'photo';
}
