/**
 * The photo API's contract: routes, request and response bodies. The API handlers implement it and
 * the web app (web/) imports these types, so both sides change together.
 *
 * Every route needs a signed-in user. On AWS an API Gateway JWT authorizer checks the Cognito token and
 * the handlers read the user from `requestContext.authorizer.jwt.claims.sub`; the local cloud signs a
 * local user in and puts the same claim there (a request may name another local user with the
 * `X-Local-User` header, so isolation is testable locally).
 *
 * Errors: `{ "message": "<what was wrong and what to do>" }` with 400 (malformed request), 401 (no
 * user), 404 (no such photo for this user: another user's photo is 404 too, never 403), 413 (declared
 * size over the limit), 429 (the user's daily upload quota is used up; `Retry-After` says for how long),
 * 409 (a retry of a photo that is not FAILED, or has failed too often), 503 (a retry that the workflow
 * service could not start just now).
 */
import type { CostReceipt } from './cost';
import type { PhotoView } from './photo-view';

export const API_ROUTES = {
  createUpload: 'POST /photos',
  listPhotos: 'GET /photos',
  getPhoto: 'GET /photos/{photoId}',
  deletePhoto: 'DELETE /photos/{photoId}',
  retryPhoto: 'POST /photos/{photoId}/retry',
} as const;

/**
 * The raster types POST /photos accepts, each with the file extensions that go with it. Nothing else is
 * offered an upload: no SVG (a script-carrying document a browser would run from the bucket's origin),
 * no text, PDF or video. The POST policy pins the chosen type exactly, so S3 stores and serves the
 * original with it.
 */
export const UPLOAD_CONTENT_TYPES = {
  'image/jpeg': ['jpg', 'jpeg', 'jpe', 'jfif'],
  'image/png': ['png'],
  'image/webp': ['webp'],
  'image/gif': ['gif'],
  'image/tiff': ['tif', 'tiff'],
  'image/heic': ['heic'],
  'image/heif': ['heif', 'hif'],
  'image/avif': ['avif'],
} as const satisfies Record<string, readonly string[]>;

export type UploadContentType = keyof typeof UPLOAD_CONTENT_TYPES;

/** Names some systems give the accepted types; they are pinned under the standard name. */
const UPLOAD_TYPE_ALIASES: Readonly<Record<string, UploadContentType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'image/x-tiff': 'image/tiff',
};

/** The accepted type a declared MIME type names (case-insensitive, aliases resolved), or undefined. */
export function uploadContentType(declared: string): UploadContentType | undefined {
  const type = declared.trim().toLowerCase();
  if (Object.hasOwn(UPLOAD_CONTENT_TYPES, type)) return type as UploadContentType;
  return Object.hasOwn(UPLOAD_TYPE_ALIASES, type) ? UPLOAD_TYPE_ALIASES[type] : undefined;
}

/** The file name's extension, lower-case, without the dot; '' when the name has none. */
export function fileExtension(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}

/** The accepted type a file extension belongs to, or undefined. */
export function uploadContentTypeOfExtension(extension: string): UploadContentType | undefined {
  const ext = extension.toLowerCase();
  return (Object.keys(UPLOAD_CONTENT_TYPES) as UploadContentType[]).find((type) =>
    (UPLOAD_CONTENT_TYPES[type] as readonly string[]).includes(ext),
  );
}

/** POST /photos */
export interface CreateUploadRequest {
  /**
   * The file's name on the user's machine; only its extension is used. When it has one, it must be
   * one of the content type's (UPLOAD_CONTENT_TYPES): a .svg, .pdf or a .png declared as JPEG is 400.
   */
  fileName: string;
  /**
   * One of UPLOAD_CONTENT_TYPES (case-insensitive; image/jpg and image/pjpeg count as image/jpeg).
   * Anything else is 400 with the list of accepted types. The POST policy pins the standard name
   * exactly: send the response's `Content-Type` field unchanged.
   */
  contentType: string;
  /** Declared size; refused with 413 when over the limit (the POST policy enforces it too). */
  sizeBytes: number;
}

/** 201 from POST /photos: a presigned POST straight to PhotoRepo, never through the API. */
export interface CreateUploadResponse {
  photoId: string;
  /** `Incoming/<owner>/<photoId>.<ext>`, pinned by the policy. */
  key: string;
  upload: {
    /** POST a multipart form here: every field below, then `file` last. */
    url: string;
    fields: Record<string, string>;
  };
  /** ISO 8601: the policy's expiry. */
  expiresAt: string;
  /** The largest file the policy accepts, in bytes. */
  maxBytes: number;
}

/** A photo in a listing: the pipeline's view plus a short-lived thumbnail URL. */
export interface PhotoSummary extends PhotoView {
  thumbnailUrl: string | null;
}

/** GET /photos?limit=&cursor=&label= : the caller's photos, newest first. */
export interface ListPhotosResponse {
  photos: PhotoSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** One step of an execution's path through the state machine. */
export interface TimelineStep {
  /** State name, e.g. ExtractImageMetadata. */
  name: string;
  /** ASL state type: Task, Choice, Parallel, Succeed, Fail, Pass, ... */
  type: string;
  /** ISO 8601 */
  startedAt: string;
  /** ISO 8601; null while the step runs. */
  endedAt: string | null;
  durationMs: number | null;
  /** RUNNING; SUCCEEDED; FAILED (the error ended the step); the state machine may then CATCH it. */
  outcome: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** How many times a Task ran (retries included). */
  attempts: number;
  error: string | null;
  /** For people: the message alone when the cause was Lambda's error JSON (get-photo's readableCause). */
  cause: string | null;
}

/** GET /photos/{photoId} */
export interface PhotoDetail extends PhotoView {
  urls: {
    /** Short-lived (5 minutes) presigned GETs; null when the object does not exist. */
    thumbnail: string | null;
    /** The display rendition, when the photo has one (see PhotoView.rendition): what a browser shows. */
    rendition: string | null;
    original: string;
  };
  timeline: TimelineStep[];
  /**
   * What processing this photo cost on AWS, estimated from its execution with the configured price
   * table (lambda/shared/cost.ts); null while it is processing or when its execution has no history.
   */
  cost: CostReceipt | null;
}

/** 202 from POST /photos/{photoId}/retry: the photo, PROCESSING again, and how it is being retried. */
export interface RetryPhotoResponse extends PhotoView {
  /** `redrive`: the failed execution resumes where it failed; `new-execution`: the whole workflow again. */
  retriedBy: 'redrive' | 'new-execution';
}

export interface ApiError {
  message: string;
}
