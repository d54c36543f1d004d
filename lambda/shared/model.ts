/**
 * The data model: the photo records, their keys and the S3 layout. What the ImageProc states pass to
 * each other (results, RecordPhoto's requests, the execution's input) is in ./workflow.ts.
 */

/** Originals are uploaded here; only object-created events under this prefix start the pipeline. */
export const INCOMING_PREFIX = 'Incoming/';
/** Thumbnails are written here, outside INCOMING_PREFIX, so they can never trigger the pipeline. */
export const THUMBNAIL_PREFIX = 'Thumbnails/';
/**
 * The deployment's PreTraffic hooks put their tiny smoke photo here, outside INCOMING_PREFIX (so it
 * starts nothing), and remove it when done (lambda/pre-traffic-hook).
 */
export const SMOKE_TEST_PREFIX = 'SmokeTests/';
/** The owner of the smoke photo's thumbnail, `Thumbnails/<SMOKE_TEST_OWNER>/…`; never a Cognito sub. */
export const SMOKE_TEST_OWNER = 'deployment-smoke-test';
/**
 * The key of a photo's thumbnail, `<prefix><owner>/<photoId>.<jpg|png>`. generate-thumbnail writes it;
 * delete-photo derives both possible keys from the photo's key, so it removes a thumbnail that the
 * record does not know yet (a photo deleted while it is processing).
 */
export function thumbnailKey(
  owner: string,
  photoId: string,
  format: 'jpeg' | 'png',
  prefix: string = THUMBNAIL_PREFIX,
): string {
  return `${prefix}${owner}/${photoId}.${format === 'png' ? 'png' : 'jpg'}`;
}
/**
 * Display renditions (a browser- and Rekognition-ready copy of a photo whose original is not one:
 * HEIC, TIFF, AVIF, WebP, too big) are written here, beside the thumbnails and outside INCOMING_PREFIX.
 */
export const RENDITION_PREFIX = 'Renditions/';

/**
 * The reprocess workflow's Distributed Map writes its results here (ResultWriter:
 * `ReprocessResults/<map run id>/manifest.json`, SUCCEEDED_0.json, FAILED_0.json), outside INCOMING_PREFIX.
 */
export const REPROCESS_RESULTS_PREFIX = 'ReprocessResults';
/**
 * The key of a photo's display rendition, `<prefix><owner>/<photoId>.<jpg|png>`. generate-rendition
 * writes it; delete-photo derives both possible keys, as it does for thumbnails.
 */
export function renditionKey(
  owner: string,
  photoId: string,
  format: 'jpeg' | 'png',
  prefix: string = RENDITION_PREFIX,
): string {
  return `${prefix}${owner}/${photoId}.${format === 'png' ? 'png' : 'jpg'}`;
}
/** Owner recorded for objects uploaded straight under `Incoming/` rather than `Incoming/<owner>/`. */
export const DEFAULT_OWNER = 'shared';

export type PhotoStatus = 'PROCESSING' | 'READY' | 'REJECTED' | 'FAILED';

/** Which photo a step works on. `owner` + `photoId` is the record's primary key. */
export interface PhotoRef {
  readonly bucket: string;
  readonly key: string;
  readonly owner: string;
  readonly photoId: string;
}

export interface GpsPosition {
  /** Decimal degrees, north positive. */
  readonly latitude: number;
  /** Decimal degrees, east positive. */
  readonly longitude: number;
  /** Metres above sea level (negative below); null when the photo has none. */
  readonly altitude: number | null;
}

/** What ExtractImageMetadata returns; stored on the record by StoreImageMetadata. */
export interface ImageMetadata {
  /** sharp's name for the format (jpeg, png, tiff, heif, webp, gif, ...); null when the bytes are not an image sharp knows. */
  readonly format: string | null;
  /** Width as displayed, EXIF orientation applied; null when unknown. */
  readonly width: number | null;
  /** Height as displayed, EXIF orientation applied; null when unknown. */
  readonly height: number | null;
  /** EXIF orientation as stored (1-8); null when the photo has none. */
  readonly orientation: number | null;
  /** Size of the original object in bytes. */
  readonly sizeBytes: number;
  /**
   * DateTimeOriginal as ISO 8601 ("2008-05-30T15:56:01"), the camera's local time; with the offset
   * ("+02:00") when the camera recorded OffsetTimeOriginal. Null when absent.
   */
  readonly capturedAt: string | null;
  readonly make: string | null;
  readonly model: string | null;
  readonly gps: GpsPosition | null;
}

export interface Label {
  readonly name: string;
  /** 0-100, as Rekognition reports it. */
  readonly confidence: number;
}

/** What GenerateThumbnail returns. */
export interface ThumbnailResult {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly format: 'jpeg' | 'png';
  readonly sizeBytes: number;
}

/** A display rendition: upright, metadata-free JPEG (PNG with transparency) that fits the rendition box. */
export interface Rendition {
  readonly key: string;
  readonly width: number;
  readonly height: number;
  readonly format: 'jpeg' | 'png';
  readonly sizeBytes: number;
  /** Why the original needed one, for people ("TIFF: browsers cannot show it and Rekognition cannot read it"). */
  readonly reason: string;
}

/** One item of the ImageMetadata table. */
export interface PhotoRecord {
  /** Partition key. */
  readonly owner: string;
  /** Sort key. */
  readonly photoId: string;
  readonly bucket: string;
  readonly originalKey: string;
  readonly status: PhotoStatus;
  /** Why the photo is REJECTED or FAILED, or why it has no labels; written for people. Null when nothing to say. */
  readonly reason: string | null;
  /** ISO 8601; sort key of the ByUploadedAt index (newest first listing). */
  readonly uploadedAt: string;
  readonly updatedAt: string;
  /** Deterministic name: a duplicated S3 event maps to the same execution. */
  readonly executionName: string;
  /** ARN of the execution, once it has started. */
  readonly executionId: string | null;
  readonly metadata: ImageMetadata | null;
  readonly labels: Label[];
  /** Lower-case label names, for filtering by label. */
  readonly tags: string[];
  readonly thumbnail: ThumbnailResult | null;
  /** The display rendition, when the original needed one (absent on records written before renditions). */
  readonly rendition?: Rendition | null;
  /**
   * The uploaded object's S3 ETag as the upload event carried it (the MD5 of the bytes for a
   * single-part upload, which presigned POSTs are); null or absent when the event had none.
   */
  readonly etag?: string | null;
  /** The READY photo whose labels this byte-identical copy reuses; null or absent when it is not one. */
  readonly duplicateOf?: string | null;
  /** DetectLabels calls Rekognition answered for this photo (the cost receipt); absent until READY. */
  readonly rekognitionCalls?: number;
  /** The pipeline version (lib/pipeline-version.ts) that made the final outcome; absent until then. */
  readonly pipelineVersion?: string;
  /** Processing attempts of this upload: 1, plus one per retry (POST /photos/{id}/retry). Absent means 1. */
  readonly attempts?: number;
  /** Earlier attempts, oldest first: what each one's execution was and why it failed. */
  readonly attemptHistory?: AttemptRecord[];
}

/** One attempt that a later run replaced (lambda/retry-photo, lambda/reprocess-photo). */
export interface AttemptRecord {
  readonly executionName: string;
  readonly executionId: string | null;
  /** The record's reason when the retry was asked for. */
  readonly reason: string | null;
  /** ISO 8601: when the retry was asked for. */
  readonly retriedAt: string;
  /**
   * How it was run again: the same execution redriven, or a new execution (POST /photos/{id}/retry),
   * or a new execution of a reprocess run (`npm run reprocess`, lib/reprocess.ts).
   */
  readonly retriedBy: 'redrive' | 'new-execution' | 'reprocess';
}

/** Table layout, shared by the CDK table and every reader/writer. */
export const TABLE_KEYS = {
  partitionKey: 'owner',
  sortKey: 'photoId',
  /** Local secondary index: same partition (owner), sorted by upload time: newest first with ScanIndexForward=false. */
  byUploadedAtIndex: 'ByUploadedAt',
  byUploadedAtSortKey: 'uploadedAt',
  /** Epoch seconds after which DynamoDB's TTL deletes the item (upload quota counters and tombstones). */
  timeToLiveAttribute: 'expiresAt',
} as const;

/**
 * Sort-key prefix of a user's upload counter for one UTC day, `quota#2025-03-01`, kept in the owner's
 * partition of ImageMetadata. It is not a photo: it has no `uploadedAt`, so the ByUploadedAt index
 * (the listing) never holds it, and `#` is never in a photo id, so no photo route can address it.
 */
export const UPLOAD_QUOTA_ID_PREFIX = 'quota#';

/**
 * Sort-key prefix of a content index item, `content#<etag>#<sizeBytes>`, kept in the owner's
 * partition: it names the READY photo that was processed with those bytes, so a byte-identical
 * upload finds it with one GetItem (no index to add, none to keep consistent). Like the quota
 * counters it has no `uploadedAt` (never listed) and `#` keeps photo routes from addressing it. It
 * is a hint, not a reference: the photo it names is checked (READY, same ETag and size, same
 * pipeline version) before its labels are reused, so a deleted or reprocessed photo is never trusted.
 */
export const CONTENT_ID_PREFIX = 'content#';

/** The content index item's sort key for these bytes. */
export function contentId(etag: string, sizeBytes: number): string {
  return `${CONTENT_ID_PREFIX}${etag}#${sizeBytes}`;
}

/** An S3 ETag without the quotes S3 puts around it in ListObjectsV2 and HeadObject (events have none). */
export function normalizeEtag(etag: string | null | undefined): string | null {
  if (typeof etag !== 'string') return null;
  const bare = etag.trim().replace(/^"|"$/g, '');
  return bare === '' ? null : bare;
}

/** The `status` of a tombstone: a deleted photo's record, kept for a while in its place (see PhotoTombstone). */
export const DELETED_STATUS = 'DELETED';

/**
 * How long a tombstone stays (DynamoDB's TTL removes it after this, at its own pace). Longer than any
 * late S3 event can arrive: Lambda retries an upload event for up to 6 hours, then keeps it 14 days
 * in ImageProcStartExecution's dead-letter queue, from where it can be redriven.
 */
export const TOMBSTONE_RETENTION_DAYS = 15;

/**
 * What delete-photo leaves in place of a deleted photo's record (same key). It is what keeps a
 * deleted photo deleted: start-execution does not recreate a record over it for an upload made
 * before `deletedAt` (a duplicate or late S3 event), and the pipeline's own writes need the record
 * to be PROCESSING, so none of them lands on it. It has no `uploadedAt`, so the listing's index
 * (ByUploadedAt) never holds it; the photo routes answer 404 for it.
 */
export interface PhotoTombstone {
  readonly owner: string;
  readonly photoId: string;
  readonly status: typeof DELETED_STATUS;
  readonly bucket: string;
  readonly originalKey: string;
  /** The deleted record's execution name (the upload that was deleted). */
  readonly executionName: string;
  /** ISO 8601, when the photo was deleted: uploads made before it are not processed again. */
  readonly deletedAt: string;
  /** Epoch seconds: DynamoDB's TTL removes the tombstone after TOMBSTONE_RETENTION_DAYS. */
  readonly expiresAt: number;
}

/** Whether an item read by a photo's key is a deleted photo's tombstone rather than its record. */
export function isTombstone(item: unknown): item is PhotoTombstone {
  return (
    typeof item === 'object' && item !== null && (item as { status?: unknown }).status === DELETED_STATUS
  );
}
