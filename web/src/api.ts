/**
 * The photo API (lambda/shared/api.ts) and the presigned POST to S3. Every call carries the auth
 * headers; a 401 refreshes the tokens once and retries.
 */
import type {
  CreateUploadRequest,
  CreateUploadResponse,
  ListPhotosResponse,
  PhotoDetail,
  PhotoSummary,
  RetryPhotoResponse,
} from '../../lambda/shared/api';
import { type Auth, SignedOutError } from './auth';
import { parseS3Error } from './s3-error';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The API's `{ "message": "..." }`, else a generic line with the status. */
function errorMessage(status: number, statusText: string, body: string): string {
  try {
    const json = JSON.parse(body) as { message?: unknown };
    if (typeof json.message === 'string' && json.message) return json.message;
  } catch {
    // not JSON
  }
  return `The API answered ${status}${statusText ? ` ${statusText}` : ''}`;
}

export interface ListOptions {
  limit?: number;
  cursor?: string | null;
  label?: string | null;
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly auth: Auth,
  ) {}

  listPhotos(options: ListOptions = {}, signal?: AbortSignal): Promise<ListPhotosResponse> {
    const query = new URLSearchParams();
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    if (options.label) query.set('label', options.label);
    const text = query.toString();
    const suffix = text ? `?${text}` : '';
    return this.request<ListPhotosResponse>('GET', `/photos${suffix}`, undefined, signal);
  }

  getPhoto(photoId: string, signal?: AbortSignal): Promise<PhotoDetail> {
    return this.request<PhotoDetail>('GET', `/photos/${encodeURIComponent(photoId)}`, undefined, signal);
  }

  async deletePhoto(photoId: string): Promise<void> {
    await this.request<unknown>('DELETE', `/photos/${encodeURIComponent(photoId)}`);
  }

  /** POST /photos/{photoId}/retry: a FAILED photo processed again (409 when it is not FAILED). */
  retryPhoto(photoId: string): Promise<RetryPhotoResponse> {
    return this.request<RetryPhotoResponse>('POST', `/photos/${encodeURIComponent(photoId)}/retry`);
  }

  createUpload(body: CreateUploadRequest): Promise<CreateUploadResponse> {
    return this.request<CreateUploadResponse>('POST', '/photos', body);
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response = await this.send(method, path, body, false, signal);
    if (response.status === 401) {
      // The token may have been revoked or expired early: refresh once, then give up.
      response = await this.send(method, path, body, true, signal);
      if (response.status === 401) throw new SignedOutError('The API did not accept the session');
    }
    const text = await response.text();
    if (!response.ok)
      throw new ApiError(response.status, errorMessage(response.status, response.statusText, text));
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        response.status,
        `The API answered ${response.status} with something that is not JSON`,
      );
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    forceRefresh: boolean,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...(await this.auth.requestHeaders({ forceRefresh })),
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(0, 'Could not reach the API (network error)');
    }
  }
}

export class UploadError extends Error {
  override name = 'UploadError';
}

/**
 * POSTs the file to the presigned URL: every policy field, then `file` last (S3 ignores fields after
 * it). XMLHttpRequest rather than fetch, for upload progress.
 */
export function uploadToS3(
  upload: CreateUploadResponse['upload'],
  file: Blob,
  fileName: string,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('file', file, fileName);

    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
        return;
      }
      const { code, message } = parseS3Error(xhr.responseText ?? '');
      const detail = message ?? code ?? (xhr.statusText || 'upload refused');
      reject(new UploadError(`Storage refused the upload (${xhr.status}): ${detail}`));
    });
    xhr.addEventListener('error', () =>
      reject(
        new UploadError('Upload failed: network error, or the bucket does not allow this origin (CORS)'),
      ),
    );
    xhr.addEventListener('timeout', () => reject(new UploadError('Upload timed out')));
    xhr.addEventListener('abort', () => reject(new UploadError('Upload cancelled')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** A photo detail as a listing entry, so the gallery can merge single-photo refreshes. */
export function detailToSummary(detail: PhotoDetail): PhotoSummary {
  const { urls, timeline: _timeline, ...view } = detail;
  return { ...view, thumbnailUrl: urls.thumbnail };
}
