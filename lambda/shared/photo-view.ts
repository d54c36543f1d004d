import type { PhotoRecord, PhotoStatus } from './model';

/** A photo as users see it: `npm run pipeline -- --json` prints it; the API serves it. */
export interface PhotoView {
  photoId: string;
  key: string;
  status: PhotoStatus;
  reason: string | null;
  metadata: {
    format: string | null;
    width: number | null;
    height: number | null;
    orientation: number | null;
    sizeBytes: number | null;
    capturedAt: string | null;
    make: string | null;
    model: string | null;
    gps: { latitude: number; longitude: number; altitude: number | null } | null;
  };
  labels: { name: string; confidence: number }[];
  thumbnail: { key: string; width: number; height: number; format: string } | null;
  /** The display rendition (upright JPEG or PNG, no metadata) of a photo whose original a browser or Rekognition cannot take. */
  rendition: { key: string; width: number; height: number; format: string; reason: string } | null;
  execution: { name: string; status: string | null; durationMs: number | null };
  uploadedAt: string;
  /** The photo whose labels this byte-identical copy reuses (no Rekognition call); null when not a copy. */
  duplicateOf: string | null;
  /** Processing attempts: 1, plus one per retry of a FAILED photo (POST /photos/{photoId}/retry). */
  attempts: number;
}

export interface ExecutionSummary {
  status: string;
  startDate?: Date;
  stopDate?: Date;
}

/** A view's metadata before (or without) extraction: every field null. */
export const EMPTY_METADATA: PhotoView['metadata'] = {
  format: null,
  width: null,
  height: null,
  orientation: null,
  sizeBytes: null,
  capturedAt: null,
  make: null,
  model: null,
  gps: null,
};

export function toPhotoView(record: PhotoRecord, execution?: ExecutionSummary): PhotoView {
  const metadata = { ...EMPTY_METADATA, ...record.metadata };
  return {
    photoId: record.photoId,
    key: record.originalKey,
    status: record.status,
    reason: record.reason ?? null,
    metadata: {
      format: metadata.format,
      width: metadata.width,
      height: metadata.height,
      orientation: metadata.orientation,
      sizeBytes: metadata.sizeBytes,
      capturedAt: metadata.capturedAt,
      make: metadata.make,
      model: metadata.model,
      gps: metadata.gps
        ? {
            latitude: metadata.gps.latitude,
            longitude: metadata.gps.longitude,
            altitude: metadata.gps.altitude ?? null,
          }
        : null,
    },
    labels: (record.labels ?? []).map(({ name, confidence }) => ({ name, confidence })),
    thumbnail: record.thumbnail
      ? {
          key: record.thumbnail.key,
          width: record.thumbnail.width,
          height: record.thumbnail.height,
          format: record.thumbnail.format,
        }
      : null,
    rendition: record.rendition
      ? {
          key: record.rendition.key,
          width: record.rendition.width,
          height: record.rendition.height,
          format: record.rendition.format,
          reason: record.rendition.reason,
        }
      : null,
    execution: {
      name: record.executionName,
      status: execution?.status ?? null,
      durationMs:
        execution?.startDate && execution.stopDate
          ? execution.stopDate.getTime() - execution.startDate.getTime()
          : null,
    },
    uploadedAt: record.uploadedAt,
    duplicateOf: record.duplicateOf ?? null,
    attempts: record.attempts ?? 1,
  };
}

export const TERMINAL_STATUSES: readonly PhotoStatus[] = ['READY', 'REJECTED', 'FAILED'];
