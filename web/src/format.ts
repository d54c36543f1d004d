/** Display formatting. Pure functions, unit-tested. */
import {
  fileExtension,
  type UploadContentType,
  uploadContentType,
  uploadContentTypeOfExtension,
} from '../../lambda/shared/api';
import type { PhotoStatus } from '../../lambda/shared/model';

export const STATUS_TEXT: Record<PhotoStatus, string> = {
  PROCESSING: 'Processing',
  READY: 'Ready',
  REJECTED: 'Rejected',
  FAILED: 'Failed',
};

export function statusClass(status: PhotoStatus): string {
  return status.toLowerCase();
}

/** "512 B", "406 KB", "1.4 MB" (binary units, as file managers show them). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const kb = bytes / 1024;
  if (kb < 1024) return `${kb < 10 ? kb.toFixed(1) : Math.round(kb)} KB`;
  const mb = kb / 1024;
  if (mb < 1024) return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
  return `${(mb / 1024).toFixed(1)} GB`;
}

/** "85 ms", "1.24 s", "12.4 s", "2 min 5 s"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** 0-100 confidence as "97.3%". */
export function formatConfidence(confidence: number): string {
  const clamped = Math.min(100, Math.max(0, confidence));
  return `${clamped >= 99.95 ? '100' : clamped.toFixed(1)}%`;
}

/** Decimal degrees with 6 decimals (about 10 cm): "52.374030, 4.889690". */
export function formatCoordinates(latitude: number, longitude: number): string {
  return `${latitude.toFixed(6)}, ${longitude.toFixed(6)}`;
}

/** A plain OpenStreetMap link with a marker at the position (no embedded map). */
export function openStreetMapUrl(latitude: number, longitude: number, zoom = 16): string {
  const lat = latitude.toFixed(6);
  const lon = longitude.toFixed(6);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=${zoom}/${lat}/${lon}`;
}

/**
 * EXIF capture time as the camera recorded it: "2008-05-30 15:56:01", plus " (UTC+02:00)" when the offset
 * is known. Not converted to the viewer's zone: without an offset the camera's zone is unknown.
 */
export function formatCapturedAt(capturedAt: string | null): string {
  if (!capturedAt) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(
    capturedAt,
  );
  if (!match) return capturedAt;
  const [, date, time, offset] = match;
  if (!offset) return `${date} ${time}`;
  return `${date} ${time} (UTC${offset === 'Z' ? '' : offset})`;
}

/** "JPEG", "PNG", "TIFF"; "—" when unknown. */
export function formatImageFormat(format: string | null): string {
  return format ? format.toUpperCase() : '—';
}

export function formatDimensions(width: number | null, height: number | null): string {
  return width && height ? `${width} × ${height} px` : '—';
}

/** A moment in the viewer's locale, e.g. for uploadedAt. */
export function formatDateTime(iso: string | null, locale?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Time of day with milliseconds, for the timeline table. */
export function formatTimeOfDay(iso: string | null, locale?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(locale, { hour12: false });
  return `${time}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * The content type to declare for a file, from the accepted raster types (UPLOAD_CONTENT_TYPES): the
 * one its extension names (the API requires the two to agree), else the browser's own when accepted
 * (dropped files sometimes come without a usable name); null for anything else (SVG, BMP, PDF, ...).
 */
export function guessImageContentType(fileName: string, browserType: string): UploadContentType | null {
  const extension = fileExtension(fileName);
  if (extension !== '') return uploadContentTypeOfExtension(extension) ?? null;
  return uploadContentType(browserType) ?? null;
}
