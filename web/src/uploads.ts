/**
 * Uploads: a drop zone with a real button that opens the file picker, and one row per file with its own
 * progress bar and error. Each file: POST /photos for a presigned POST, then the multipart POST to S3.
 */
import { type PhotoSummary, UPLOAD_CONTENT_TYPES } from '../../lambda/shared/api';
import { announce } from './announcer';
import { type ApiClient, ApiError, uploadToS3 } from './api';
import { SignedOutError } from './auth';
import { h, setAttr, setText } from './dom';
import { formatBytes, guessImageContentType, STATUS_TEXT, statusClass } from './format';
import { photoHref } from './router';

const PARALLEL_UPLOADS = 3;

/** The file picker offers what the API accepts: each raster type and its extensions. */
const ACCEPT = Object.entries(UPLOAD_CONTENT_TYPES)
  .flatMap(([type, extensions]) => [type, ...extensions.map((extension) => `.${extension}`)])
  .join(',');

type RowState = 'queued' | 'requesting' | 'uploading' | 'uploaded' | 'error';

interface UploadRow {
  file: File;
  state: RowState;
  photoId: string | null;
  element: HTMLLIElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  error: HTMLElement;
  link: HTMLAnchorElement;
}

export interface UploadCallbacks {
  /** The file is in S3: the pipeline will pick it up. */
  onUploaded(photoId: string, fileName: string): void;
  /** Uploads started or finished (polling depends on it). */
  onActivityChange(): void;
  onSignedOut(): void;
}

export class Uploads {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly clearButton: HTMLButtonElement;
  private readonly rows: UploadRow[] = [];
  private readonly fileNames = new Map<string, string>();
  private running = 0;

  constructor(
    private readonly api: ApiClient,
    private readonly callbacks: UploadCallbacks,
  ) {
    const input = h('input', {
      type: 'file',
      multiple: true,
      accept: ACCEPT,
      class: 'visually-hidden',
      tabindex: -1,
      'aria-hidden': 'true',
      'data-testid': 'file-input',
      id: 'file-input',
    });
    input.addEventListener('change', () => {
      if (input.files) this.add([...input.files]);
      input.value = '';
    });
    const pick = h(
      'button',
      { type: 'button', class: 'button primary', onclick: () => input.click() },
      'Choose photos…',
    );
    const dropzone = h(
      'div',
      { class: 'dropzone', 'data-testid': 'dropzone', role: 'group', 'aria-labelledby': 'upload-heading' },
      h('span', { class: 'dropzone-icon', 'aria-hidden': 'true' }, '⇪'),
      h('p', { class: 'dropzone-text' }, h('strong', {}, 'Drop photos here'), ' or'),
      pick,
      h('p', { class: 'hint' }, 'Many at once is fine. Each photo is checked, labelled and thumbnailed.'),
      input,
    );
    this.attachDropHandlers(dropzone);

    this.list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads' });
    this.clearButton = h(
      'button',
      { type: 'button', class: 'button subtle', hidden: true, onclick: () => this.clearFinished() },
      'Clear finished',
    );
    this.element = h(
      'section',
      { class: 'panel uploads', 'aria-labelledby': 'upload-heading' },
      h('h2', { id: 'upload-heading' }, 'Upload photos'),
      dropzone,
      this.list,
      this.clearButton,
    );
  }

  /** Whether any upload is queued or running. */
  active(): boolean {
    return this.rows.some(
      (row) => row.state === 'queued' || row.state === 'requesting' || row.state === 'uploading',
    );
  }

  /** The name the user's file had, for photos uploaded from this page. */
  fileNameFor(photoId: string): string | undefined {
    return this.fileNames.get(photoId);
  }

  /** The gallery saw the photo: show its pipeline status on the row. */
  photoUpdated(photo: PhotoSummary): void {
    for (const row of this.rows) {
      if (row.photoId !== photo.photoId) continue;
      setAttr(row.element, 'data-photo-status', statusClass(photo.status));
      const text =
        photo.status === 'PROCESSING'
          ? 'Uploaded · processing…'
          : `${STATUS_TEXT[photo.status]}${photo.reason && photo.status !== 'READY' ? `: ${photo.reason}` : ''}`;
      setText(row.status, text);
      row.link.hidden = false;
    }
  }

  photoRemoved(photoId: string): void {
    for (const row of this.rows) {
      if (row.photoId === photoId) {
        setText(row.status, 'Deleted');
        row.link.hidden = true;
      }
    }
  }

  add(files: File[]): void {
    for (const file of files) this.rows.push(this.createRow(file));
    this.updateClearButton();
    this.callbacks.onActivityChange();
    this.pump();
  }

  private attachDropHandlers(zone: HTMLElement): void {
    let depth = 0;
    const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    zone.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth++;
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    zone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove('dragging');
    });
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      depth = 0;
      zone.classList.remove('dragging');
      const files = event.dataTransfer ? [...event.dataTransfer.files] : [];
      if (files.length > 0) this.add(files);
    });
    // A file dropped next to the zone must not make the browser navigate away to it.
    for (const type of ['dragover', 'drop'] as const) {
      window.addEventListener(type, (event) => {
        if (event.dataTransfer?.types.includes('Files') && !zone.contains(event.target as Node)) {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
        }
      });
    }
  }

  private createRow(file: File): UploadRow {
    const progress = h('progress', { max: 100, value: 0, 'aria-label': `Upload progress of ${file.name}` });
    const status = h('span', { class: 'upload-status' }, 'Waiting');
    const error = h('p', { class: 'upload-error', 'data-testid': 'upload-error', hidden: true });
    const link = h('a', { class: 'upload-link', hidden: true, href: '#' }, 'View');
    const element = h(
      'li',
      {
        class: 'upload-row',
        'data-testid': 'upload-row',
        'data-file-name': file.name,
        'data-state': 'queued',
      },
      h(
        'div',
        { class: 'upload-head' },
        h('span', { class: 'upload-name', title: file.name }, file.name),
        h('span', { class: 'upload-size' }, formatBytes(file.size)),
      ),
      progress,
      h('div', { class: 'upload-foot' }, status, link),
      error,
    );
    this.list.prepend(element);
    return { file, state: 'queued', photoId: null, element, progress, status, error, link };
  }

  private setState(row: UploadRow, state: RowState, statusText: string): void {
    row.state = state;
    row.element.dataset.state = state;
    setText(row.status, statusText);
  }

  private fail(row: UploadRow, message: string): void {
    this.setState(row, 'error', 'Not uploaded');
    row.error.textContent = message;
    row.error.hidden = false;
    row.progress.hidden = true;
    announce(`${row.file.name} was not uploaded: ${message}`);
  }

  private pump(): void {
    while (this.running < PARALLEL_UPLOADS) {
      const next = this.rows.find((row) => row.state === 'queued');
      if (!next) break;
      this.running++;
      next.state = 'requesting';
      void this.upload(next).finally(() => {
        this.running--;
        this.updateClearButton();
        this.callbacks.onActivityChange();
        this.pump();
      });
    }
  }

  private async upload(row: UploadRow): Promise<void> {
    const { file } = row;
    const contentType = guessImageContentType(file.name, file.type);
    if (!contentType) {
      this.fail(
        row,
        'This is not an image file that can be uploaded: only JPEG, PNG, WebP, GIF, TIFF, HEIC, HEIF and AVIF photos (no SVG).',
      );
      return;
    }
    this.setState(row, 'requesting', 'Preparing…');
    let created: Awaited<ReturnType<ApiClient['createUpload']>>;
    try {
      created = await this.api.createUpload({ fileName: file.name, contentType, sizeBytes: file.size });
    } catch (error) {
      if (error instanceof SignedOutError) {
        this.fail(row, 'Signed out before the upload started.');
        this.callbacks.onSignedOut();
      } else {
        this.fail(row, error instanceof ApiError ? error.message : 'Could not prepare the upload.');
      }
      return;
    }
    row.photoId = created.photoId;
    row.element.dataset.photoId = created.photoId;
    row.link.href = photoHref(created.photoId);
    this.fileNames.set(created.photoId, file.name);

    this.setState(row, 'uploading', 'Uploading 0%');
    try {
      await uploadToS3(created.upload, file, file.name, (loaded, total) => {
        const percent = total > 0 ? Math.round((loaded / total) * 100) : 0;
        row.progress.value = percent;
        setText(row.status, `Uploading ${percent}%`);
      });
    } catch (error) {
      this.fail(row, (error as Error).message);
      return;
    }
    row.progress.value = 100;
    this.setState(row, 'uploaded', 'Uploaded · processing…');
    setAttr(row.element, 'data-photo-status', 'processing');
    announce(`${file.name} uploaded.`);
    this.callbacks.onUploaded(created.photoId, file.name);
  }

  private clearFinished(): void {
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const row = this.rows[i];
      if (row.state === 'uploaded' || row.state === 'error') {
        row.element.remove();
        this.rows.splice(i, 1);
      }
    }
    this.updateClearButton();
  }

  private updateClearButton(): void {
    this.clearButton.hidden = !this.rows.some((row) => row.state === 'uploaded' || row.state === 'error');
  }
}
