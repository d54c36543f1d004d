/**
 * One photo: the image, labels with confidence bars, EXIF, status and reason, the state machine picture
 * with this photo's path, the timeline table, Retry on a failed photo, and Delete with a confirm step.
 * Polls while processing.
 */
import type { PhotoDetail, PhotoSummary, TimelineStep } from '../../lambda/shared/api';
import type { WorkflowGraph } from '../../lambda/shared/workflow';
import { announce } from './announcer';
import { type ApiClient, ApiError, detailToSummary } from './api';
import { SignedOutError } from './auth';
import { statusBadge, updateBadge } from './badge';
import { describeCost } from './cost';
import { clear, h, setText } from './dom';
import {
  formatBytes,
  formatCapturedAt,
  formatConfidence,
  formatCoordinates,
  formatDateTime,
  formatDimensions,
  formatDuration,
  formatImageFormat,
  formatTimeOfDay,
  openStreetMapUrl,
  STATUS_TEXT,
  statusClass,
} from './format';
import { computeMachineStatus, isExecutionRunning, sortTimeline } from './machine-status';
import { GALLERY_HREF, photoHref } from './router';
import { describeMachineStatus, renderStateMachine } from './state-machine-svg';

/**
 * Formats (sharp's names) that Chromium and Firefox display; others show the thumbnail instead. The
 * API serves only raster allow-listed originals with an image type (lambda/get-photo/original-download.ts),
 * so no SVG here. Content-Disposition: attachment on the original's URL does not stop an <img> showing it.
 */
const BROWSER_FORMATS = new Set(['jpeg', 'png', 'gif', 'webp']);

/** What the view's picture shows: the display rendition, the original, or the thumbnail. */
type ImageSource = 'rendition' | 'original' | 'thumbnail';

/** After the record is final, keep polling this many times for the execution to reach its end state. */
const MAX_POLLS_AFTER_FINAL = 15;

export interface PhotoViewCallbacks {
  fileNameFor(photoId: string): string | undefined;
  photoUpdated(photo: PhotoSummary): void;
  onDeleted(photoId: string): void;
  onBack(): void;
  onSignedOut(): void;
}

interface ViewParts {
  title: HTMLElement;
  badge: HTMLElement;
  reason: HTMLElement;
  figure: HTMLElement;
  img: HTMLImageElement | null;
  imageSource: ImageSource | 'none';
  renditionTried: boolean;
  originalTried: boolean;
  thumbnailTried: boolean;
  facts: HTMLElement;
  labels: HTMLElement;
  exif: HTMLElement;
  machine: HTMLElement;
  timeline: HTMLElement;
  deleteButton: HTMLButtonElement;
  confirm: HTMLElement;
  deleteError: HTMLElement;
  retry: HTMLElement;
  retryButton: HTMLButtonElement;
  retryError: HTMLElement;
}

export class PhotoView {
  readonly element: HTMLElement;
  private readonly content: HTMLElement;
  private photoId: string | null = null;
  private detail: PhotoDetail | null = null;
  private generation = 0;
  private pollsAfterFinal = 0;
  private sectionKeys = new Map<string, string>();
  private parts: ViewParts | null = null;

  constructor(
    private readonly api: ApiClient,
    private readonly callbacks: PhotoViewCallbacks,
    /** The state machine's graph from config.json, which the photo's path is drawn on. */
    private readonly workflow: WorkflowGraph,
  ) {
    const back = h(
      'a',
      { class: 'button subtle back-link', href: GALLERY_HREF, 'data-testid': 'back' },
      '← Gallery',
    );
    back.addEventListener('click', (event) => {
      event.preventDefault();
      this.callbacks.onBack();
    });
    this.content = h('div', { class: 'photo-content' });
    this.element = h(
      'section',
      { class: 'photo-view', 'data-testid': 'photo-view', 'aria-labelledby': 'photo-title', hidden: true },
      h('div', { class: 'view-bar' }, back, h('span', { class: 'hint' }, 'Esc returns to the gallery')),
      this.content,
    );
  }

  get isOpen(): boolean {
    return this.photoId !== null;
  }

  get openPhotoId(): string | null {
    return this.photoId;
  }

  /** Whether the confirm step is showing (Escape then cancels it instead of leaving). */
  cancelConfirmIfOpen(): boolean {
    if (this.parts && !this.parts.confirm.hidden) {
      this.hideConfirm();
      return true;
    }
    return false;
  }

  async open(photoId: string): Promise<void> {
    this.generation++;
    this.photoId = photoId;
    this.detail = null;
    this.parts = null;
    this.pollsAfterFinal = 0;
    this.sectionKeys.clear();
    this.element.hidden = false;
    this.element.removeAttribute('data-status');
    this.content.replaceChildren(
      h('h2', { id: 'photo-title', tabindex: -1 }, 'Photo'),
      h('p', { class: 'loading-text' }, 'Loading photo…'),
    );
    this.focusTitle();
    await this.load();
  }

  close(): void {
    this.generation++;
    this.photoId = null;
    this.detail = null;
    this.parts = null;
    this.element.hidden = true;
    this.element.removeAttribute('data-status');
    clear(this.content);
  }

  needsPolling(): boolean {
    if (!this.detail) return false;
    if (this.detail.status === 'PROCESSING') return true;
    const running = isExecutionRunning(
      this.detail.status,
      this.detail.execution.status,
      this.detail.timeline,
    );
    return running && this.pollsAfterFinal < MAX_POLLS_AFTER_FINAL;
  }

  async poll(): Promise<void> {
    if (this.detail && this.detail.status !== 'PROCESSING') this.pollsAfterFinal++;
    await this.load();
  }

  private async load(): Promise<void> {
    const photoId = this.photoId;
    if (!photoId) return;
    const generation = this.generation;
    try {
      const detail = await this.api.getPhoto(photoId);
      if (generation !== this.generation) return;
      const previous = this.detail;
      this.detail = detail;
      this.render(detail);
      this.callbacks.photoUpdated(detailToSummary(detail));
      if (previous && previous.status !== detail.status) {
        announce(
          `This photo is now ${STATUS_TEXT[detail.status].toLowerCase()}${detail.reason && detail.status !== 'READY' ? `: ${detail.reason}` : '.'}`,
        );
      }
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof SignedOutError) {
        this.callbacks.onSignedOut();
        return;
      }
      if (error instanceof ApiError && error.status === 404) {
        this.detail = null;
        this.parts = null;
        this.element.dataset.status = 'not-found';
        this.content.replaceChildren(
          h('h2', { id: 'photo-title', tabindex: -1 }, 'Photo not found'),
          h('p', {}, 'There is no such photo among yours: it may have been deleted.'),
        );
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      if (this.parts) {
        // Keep showing what we have; the next poll retries.
        setText(this.parts.deleteError, `Could not refresh: ${message}`);
        this.parts.deleteError.hidden = false;
      } else {
        this.content.replaceChildren(
          h('h2', { id: 'photo-title', tabindex: -1 }, 'Photo'),
          h(
            'div',
            { class: 'notice', role: 'alert' },
            h('span', {}, `Could not load the photo: ${message}`),
            h(
              'button',
              { type: 'button', class: 'button subtle', onclick: () => void this.load() },
              'Try again',
            ),
          ),
        );
      }
    }
  }

  private focusTitle(): void {
    const title = this.content.querySelector<HTMLElement>('#photo-title');
    title?.focus({ preventScroll: false });
  }

  private render(detail: PhotoDetail): void {
    this.element.dataset.status = statusClass(detail.status);
    if (!this.parts) this.parts = this.build(detail);
    const parts = this.parts;
    if (!parts.deleteError.textContent?.startsWith('Could not delete')) parts.deleteError.hidden = true;

    const fileName = this.callbacks.fileNameFor(detail.photoId);
    const labelNames = detail.labels.map((label) => label.name);
    setText(parts.title, fileName ?? (labelNames.length > 0 ? labelNames.slice(0, 3).join(', ') : 'Photo'));
    updateBadge(parts.badge, detail.status);
    if (detail.reason) {
      setText(parts.reason, detail.reason);
      parts.reason.hidden = false;
    } else {
      parts.reason.hidden = true;
    }
    // Retry only where the API takes it: a FAILED photo (a transient fault can have caused it).
    parts.retry.hidden = detail.status !== 'FAILED';
    if (detail.status !== 'FAILED') parts.retryError.hidden = true;

    this.renderImage(detail, labelNames);
    this.renderSection('facts', parts.facts, detail, () => this.renderFacts(detail));
    this.renderSection('labels', parts.labels, [detail.status, detail.labels, detail.reason], () =>
      this.renderLabels(detail),
    );
    this.renderSection('exif', parts.exif, detail.metadata, () => this.renderExif(detail));
    const running = isExecutionRunning(detail.status, detail.execution.status, detail.timeline);
    this.renderSection('machine', parts.machine, [detail.status, detail.timeline, running], () =>
      this.renderMachine(detail, running),
    );
    this.renderSection('timeline', parts.timeline, detail.timeline, () =>
      this.renderTimeline(detail.timeline),
    );
  }

  /** Re-renders a section only when its data changed (keeps focus, selection and scroll). */
  private renderSection(key: string, container: HTMLElement, data: unknown, render: () => Node[]): void {
    const fingerprint = JSON.stringify(data);
    if (this.sectionKeys.get(key) === fingerprint) return;
    this.sectionKeys.set(key, fingerprint);
    container.replaceChildren(...render());
  }

  private build(detail: PhotoDetail): ViewParts {
    const title = h('h2', { id: 'photo-title', tabindex: -1 });
    const badge = statusBadge(detail.status);
    const reason = h('p', { class: 'view-reason', 'data-testid': 'photo-view-reason', hidden: true });
    const figure = h('figure', { class: 'view-image' });
    const facts = h('dl', { class: 'facts' });
    const labels = h('div', { class: 'section-body' });
    const exif = h('div', { class: 'section-body' });
    const machine = h('div', { class: 'section-body' });
    const timeline = h('div', { class: 'section-body' });

    const deleteButton = h(
      'button',
      { type: 'button', class: 'button danger', 'data-testid': 'delete-photo' },
      'Delete photo…',
    );
    const confirmButton = h(
      'button',
      { type: 'button', class: 'button danger', 'data-testid': 'confirm-delete' },
      'Yes, delete it',
    );
    const cancelButton = h(
      'button',
      { type: 'button', class: 'button subtle', 'data-testid': 'cancel-delete' },
      'Cancel',
    );
    const confirm = h(
      'div',
      { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-text', hidden: true },
      h(
        'p',
        { id: 'confirm-text' },
        'Delete this photo, its thumbnail and its labels? This cannot be undone.',
      ),
      h('div', { class: 'confirm-actions' }, confirmButton, cancelButton),
    );
    const deleteError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const retryButton = h(
      'button',
      { type: 'button', class: 'button primary', 'data-testid': 'retry-photo' },
      'Retry',
    );
    const retryError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const retry = h(
      'div',
      { class: 'retry', 'data-testid': 'retry', hidden: true },
      h('p', { class: 'muted' }, 'Processing failed. Run it again without uploading the photo again:'),
      retryButton,
      retryError,
    );
    retryButton.addEventListener('click', () => void this.retryPhoto(retryButton));
    deleteButton.addEventListener('click', () => {
      confirm.hidden = false;
      deleteButton.hidden = true;
      cancelButton.focus();
    });
    cancelButton.addEventListener('click', () => this.hideConfirm());
    confirmButton.addEventListener('click', () => void this.deletePhoto(confirmButton, cancelButton));

    const section = (id: string, heading: string, body: HTMLElement, extraClass = '') =>
      h(
        'section',
        { class: `detail-section ${extraClass}`.trim(), 'aria-labelledby': id },
        h('h3', { id }, heading),
        body,
      );

    const old = this.content.querySelector('#photo-title');
    const hadFocus = old !== null && document.activeElement === old;
    this.content.replaceChildren(
      h('header', { class: 'view-head' }, title, badge, reason, retry),
      h(
        'div',
        { class: 'view-grid' },
        h(
          'div',
          { class: 'view-media' },
          figure,
          facts,
          h('div', { class: 'danger-zone' }, deleteButton, confirm, deleteError),
        ),
        h(
          'div',
          { class: 'view-details' },
          section('labels-heading', 'Labels', labels),
          section('exif-heading', 'Image details', exif),
          section('machine-heading', 'Processing', machine, 'machine-section'),
          section('timeline-heading', 'Timeline', timeline),
        ),
      ),
    );
    if (hadFocus) title.focus();
    return {
      title,
      badge,
      reason,
      figure,
      img: null,
      imageSource: 'none',
      renditionTried: false,
      originalTried: false,
      thumbnailTried: false,
      facts,
      labels,
      exif,
      machine,
      timeline,
      deleteButton,
      confirm,
      deleteError,
      retry,
      retryButton,
      retryError,
    };
  }

  private async retryPhoto(button: HTMLButtonElement): Promise<void> {
    const photoId = this.photoId;
    const parts = this.parts;
    if (!photoId || !parts) return;
    button.disabled = true;
    button.textContent = 'Retrying…';
    parts.retryError.hidden = true;
    try {
      await this.api.retryPhoto(photoId);
      announce('Processing this photo again.');
      // PROCESSING again: polling resumes and follows the new attempt to its end.
      this.pollsAfterFinal = 0;
      await this.load();
    } catch (error) {
      if (error instanceof SignedOutError) {
        this.callbacks.onSignedOut();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      parts.retryError.textContent = `Could not retry: ${message}`;
      parts.retryError.hidden = false;
      // 409: the photo changed meanwhile (another tab retried it); show what it is now.
      if (error instanceof ApiError && error.status === 409) await this.load();
    } finally {
      button.disabled = false;
      button.textContent = 'Retry';
    }
  }

  private hideConfirm(): void {
    if (!this.parts) return;
    this.parts.confirm.hidden = true;
    this.parts.deleteButton.hidden = false;
    this.parts.deleteButton.focus();
  }

  private async deletePhoto(
    confirmButton: HTMLButtonElement,
    cancelButton: HTMLButtonElement,
  ): Promise<void> {
    const photoId = this.photoId;
    if (!photoId || !this.parts) return;
    confirmButton.disabled = true;
    cancelButton.disabled = true;
    confirmButton.textContent = 'Deleting…';
    try {
      await this.api.deletePhoto(photoId);
    } catch (error) {
      if (error instanceof SignedOutError) {
        this.callbacks.onSignedOut();
        return;
      }
      if (!(error instanceof ApiError && error.status === 404)) {
        confirmButton.disabled = false;
        cancelButton.disabled = false;
        confirmButton.textContent = 'Yes, delete it';
        const message = error instanceof Error ? error.message : String(error);
        this.parts.deleteError.textContent = `Could not delete the photo: ${message}`;
        this.parts.deleteError.hidden = false;
        return;
      }
      // 404: already gone, which is what was asked.
    }
    announce('Photo deleted.');
    this.callbacks.onDeleted(photoId);
  }

  private renderImage(detail: PhotoDetail, labelNames: string[]): void {
    const parts = this.parts;
    if (!parts) return;
    const alt = labelNames.length > 0 ? `Photo: ${labelNames.join(', ')}` : 'The uploaded photo';
    if (parts.img) {
      // Shown already: presigned URLs change on every answer, the picture does not.
      parts.img.alt = alt;
      return;
    }
    const format = detail.metadata.format;
    if (!parts.renditionTried && detail.urls.rendition) {
      // The pipeline made a display copy because browsers cannot show the original (HEIC, TIFF) or it is
      // very large: upright, a few hundred KB, JPEG or PNG.
      this.showImage(detail.urls.rendition, 'rendition', alt);
    } else if (!parts.originalTried && format && BROWSER_FORMATS.has(format)) {
      this.showImage(detail.urls.original, 'original', alt);
    } else if (!parts.thumbnailTried && detail.urls.thumbnail) {
      // Browsers cannot show every original (TIFF, HEIF): the thumbnail is a JPEG or PNG.
      this.showImage(detail.urls.thumbnail, 'thumbnail', alt);
    } else {
      this.showImagePlaceholder(detail);
    }
  }

  private showImagePlaceholder(detail: PhotoDetail): void {
    const parts = this.parts;
    if (!parts) return;
    const format = detail.metadata.format;
    let text: string;
    if (!format) {
      text =
        detail.status === 'PROCESSING'
          ? 'The preview appears once the photo has been read.'
          : 'No preview: the file could not be read as an image.';
    } else if (!BROWSER_FORMATS.has(format)) {
      text = `Browsers cannot show ${formatImageFormat(format)} files${detail.status === 'PROCESSING' ? '; a display copy will appear here when it is ready.' : ', and there is no display copy or thumbnail.'}`;
    } else {
      text = 'This browser could not show the image.';
    }
    const existing = parts.figure.querySelector('.image-placeholder p');
    if (existing && existing.textContent === text) return;
    parts.figure.replaceChildren(
      h(
        'div',
        { class: 'image-placeholder' },
        h('span', { class: 'thumb-placeholder-icon', 'aria-hidden': 'true' }, '▣'),
        h('p', {}, text),
      ),
    );
  }

  private showImage(url: string, source: ImageSource, alt: string): void {
    const parts = this.parts;
    const detail = this.detail;
    if (!parts || !detail) return;
    if (source === 'rendition') parts.renditionTried = true;
    else if (source === 'original') parts.originalTried = true;
    else parts.thumbnailTried = true;
    const img = h('img', { alt, decoding: 'async', 'data-source': source });
    const { width, height } = source === 'rendition' && detail.rendition ? detail.rendition : detail.metadata;
    if (width && height && source !== 'thumbnail') {
      // Reserves the space before the image arrives (CSS keeps it responsive).
      img.width = width;
      img.height = height;
    }
    img.addEventListener('error', () => {
      if (this.parts !== parts || parts.img !== img) return;
      parts.img = null;
      parts.imageSource = 'none';
      const latest = this.detail;
      if (!latest) return;
      const format = latest.metadata.format;
      if (!parts.originalTried && format && BROWSER_FORMATS.has(format)) {
        this.showImage(latest.urls.original, 'original', alt);
      } else if (!parts.thumbnailTried && latest.urls.thumbnail) {
        this.showImage(latest.urls.thumbnail, 'thumbnail', alt);
      } else {
        this.showImagePlaceholder(latest);
      }
    });
    parts.img = img;
    parts.imageSource = source;
    const rendition = detail.rendition;
    const caption =
      source === 'thumbnail'
        ? h('figcaption', {}, 'Thumbnail: the original cannot be shown here')
        : source === 'rendition' && rendition
          ? h(
              'figcaption',
              { 'data-testid': 'rendition-caption' },
              `Display copy, ${formatDimensions(rendition.width, rendition.height)} ${formatImageFormat(rendition.format)}, upright and without location data. ${rendition.reason}.`,
            )
          : null;
    parts.figure.replaceChildren(img, caption ?? '');
    img.src = url;
  }

  private renderFacts(detail: PhotoDetail): Node[] {
    const rows: [string, string][] = [
      ['Uploaded', formatDateTime(detail.uploadedAt)],
      ['Photo ID', detail.photoId],
    ];
    const fileName = this.callbacks.fileNameFor(detail.photoId);
    if (fileName) rows.unshift(['File', fileName]);
    if (detail.execution.durationMs !== null)
      rows.push(['Processing time', formatDuration(detail.execution.durationMs)]);
    if (detail.attempts > 1) rows.push(['Attempts', String(detail.attempts)]);
    const nodes = rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]);
    if (detail.cost) {
      // What this photo's processing cost on AWS, from its execution and the dated price table.
      const { total, lines } = describeCost(detail.cost);
      nodes.push(
        h('dt', {}, 'Cost'),
        h(
          'dd',
          { 'data-testid': 'photo-cost' },
          h('span', {}, total),
          h('ul', { class: 'cost-lines' }, ...lines.map((line) => h('li', {}, line))),
        ),
      );
    }
    if (detail.duplicateOf) {
      // Same bytes as a photo already labelled: its labels were reused, without a Rekognition call.
      nodes.push(
        h('dt', {}, 'Duplicate of'),
        h(
          'dd',
          { 'data-testid': 'duplicate-of' },
          h('a', { href: photoHref(detail.duplicateOf) }, detail.duplicateOf),
          ' (same file: its labels were reused)',
        ),
      );
    }
    return nodes;
  }

  private renderLabels(detail: PhotoDetail): Node[] {
    const list = h('ul', { class: 'label-list', 'data-testid': 'photo-labels' });
    const labels = [...detail.labels].sort((a, b) => b.confidence - a.confidence);
    for (const label of labels) {
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${Math.min(100, Math.max(0, label.confidence))}%`;
      list.append(
        h(
          'li',
          { class: 'label-row', 'data-label': label.name },
          h('span', { class: 'label-name' }, label.name),
          h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
          h('span', { class: 'label-value' }, formatConfidence(label.confidence)),
        ),
      );
    }
    const nodes: Node[] = [list];
    if (labels.length === 0) {
      const text =
        detail.status === 'PROCESSING'
          ? 'Labels appear when processing finishes.'
          : detail.status === 'READY'
            ? `No labels${detail.reason ? `: ${detail.reason}` : ' were found.'}`
            : 'No labels: the photo was not analysed.';
      nodes.push(h('p', { class: 'muted' }, text));
    }
    return nodes;
  }

  private renderExif(detail: PhotoDetail): Node[] {
    const m = detail.metadata;
    // "Canon" + "Canon EOS 40D" reads as the model alone.
    const camera =
      m.make && m.model?.toLowerCase().startsWith(m.make.toLowerCase())
        ? m.model
        : [m.make, m.model].filter(Boolean).join(' ');
    const list = h('dl', { class: 'exif', 'data-testid': 'photo-exif' });
    const row = (term: string, value: Node | string, key: string) =>
      list.append(h('dt', {}, term), h('dd', { 'data-field': key }, value));
    row('Camera', camera || '—', 'camera');
    row('Captured', formatCapturedAt(m.capturedAt), 'capturedAt');
    if (m.gps) {
      const url = openStreetMapUrl(m.gps.latitude, m.gps.longitude);
      row(
        'Location',
        h(
          'span',
          { class: 'gps' },
          h('span', { class: 'gps-coordinates' }, formatCoordinates(m.gps.latitude, m.gps.longitude)),
          h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'gps-link' }, url),
        ),
        'gps',
      );
      if (m.gps.altitude !== null) row('Altitude', `${Math.round(m.gps.altitude)} m`, 'altitude');
    } else {
      row('Location', '—', 'gps');
    }
    row('Dimensions', formatDimensions(m.width, m.height), 'dimensions');
    row('Format', formatImageFormat(m.format), 'format');
    row('Size', formatBytes(m.sizeBytes), 'size');
    if (m.orientation !== null && m.orientation !== 1)
      row('EXIF orientation', String(m.orientation), 'orientation');
    return [list];
  }

  private renderMachine(detail: PhotoDetail, running: boolean): Node[] {
    const status = computeMachineStatus(detail.status, detail.timeline, running);
    const legend = h(
      'ul',
      { class: 'sm-legend', 'aria-label': 'Legend' },
      ...(['succeeded', 'failed', 'running', 'skipped'] as const).map((outcome) =>
        h(
          'li',
          {},
          h('span', { class: `sm-swatch sm-swatch-${outcome}`, 'aria-hidden': 'true' }),
          { succeeded: 'Succeeded', failed: 'Failed', running: 'Running', skipped: 'Not visited' }[outcome],
        ),
      ),
      h(
        'li',
        {},
        h('span', { class: 'sm-swatch sm-swatch-stopped', 'aria-hidden': 'true' }),
        'Where it stopped',
      ),
    );
    return [
      h('div', { class: 'sm-scroll' }, renderStateMachine(status, this.workflow)),
      h('p', { class: 'sm-caption' }, describeMachineStatus(status)),
      legend,
    ];
  }

  private renderTimeline(timeline: TimelineStep[]): Node[] {
    const body = h('tbody');
    const steps = sortTimeline(timeline);
    for (const step of steps) {
      body.append(
        h(
          'tr',
          { 'data-state': step.name, 'data-outcome': step.outcome.toLowerCase() },
          h('th', { scope: 'row' }, step.name),
          h('td', {}, step.type),
          h('td', {}, h('time', { datetime: step.startedAt }, formatTimeOfDay(step.startedAt))),
          h(
            'td',
            { class: 'num' },
            step.outcome === 'RUNNING' ? 'running…' : formatDuration(step.durationMs),
          ),
          h('td', { class: 'num' }, String(step.attempts)),
          h(
            'td',
            {},
            h('span', { class: `outcome outcome-${step.outcome.toLowerCase()}` }, outcomeText(step.outcome)),
          ),
          h('td', { class: 'error-cell' }, errorCell(step)),
        ),
      );
    }
    if (steps.length === 0) {
      body.append(
        h(
          'tr',
          {},
          h('td', { colspan: 7, class: 'muted' }, 'No execution history is available for this photo.'),
        ),
      );
    }
    const table = h(
      'table',
      { class: 'timeline', 'data-testid': 'timeline' },
      h('caption', { class: 'visually-hidden' }, 'Steps of the execution, in the order they started'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['State', 'Type', 'Started', 'Duration', 'Attempts', 'Outcome', 'Error'].map((name) =>
            h('th', { scope: 'col' }, name),
          ),
        ),
      ),
      body,
    );
    return [
      h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Timeline table' }, table),
    ];
  }
}

function outcomeText(outcome: TimelineStep['outcome']): string {
  return { RUNNING: 'Running', SUCCEEDED: 'Succeeded', FAILED: 'Failed' }[outcome];
}

/** The cause is often a JSON document from Lambda ({ errorMessage, errorType, ... }): show its message. */
function readableCause(cause: string | null): string | null {
  if (!cause) return null;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; message?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // plain text
  }
  return cause;
}

function errorCell(step: TimelineStep): Node | string {
  if (!step.error && !step.cause) return '—';
  const cause = readableCause(step.cause);
  if (!cause) return step.error ?? '';
  if (cause.length <= 80) return h('span', {}, h('strong', {}, step.error ?? 'Error'), ` ${cause}`);
  return h('details', {}, h('summary', {}, step.error ?? 'Error'), h('p', { class: 'cause' }, cause));
}
