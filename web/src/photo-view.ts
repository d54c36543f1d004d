/**
 * One photo: the image, labels with confidence bars, EXIF, status and reason, the state machine picture
 * with this photo's path, the timeline table, Retry on a failed photo, and Delete with a confirm step.
 * Polls while processing.
 */
import type { PhotoDetail, PhotoSummary } from '../../lambda/shared/api';
import type { WorkflowGraph } from '../../lambda/shared/workflow';
import { announce } from './announcer';
import { type ApiClient, ApiError, detailToSummary } from './api';
import { SignedOutError } from './auth';
import { updateBadge } from './badge';
import { clear, h, setText } from './dom';
import { FallbackImage, type ImageChoice } from './fallback-image';
import { STATUS_TEXT, statusClass } from './format';
import { isExecutionRunning } from './machine-status';
import {
  type ImageSource,
  imageAlt,
  imageChoice,
  imagePlaceholder,
  imageSources,
  placeholderText,
} from './photo-image';
import {
  loadFailedContent,
  loadingContent,
  notFoundContent,
  type PhotoLayout,
  photoLayout,
  photoTitle,
} from './photo-layout';
import { renderExif, renderFacts, renderLabels, renderMachine } from './photo-sections';
import { renderTimeline } from './photo-timeline';
import { GALLERY_HREF } from './router';

/** After the record is final, keep polling this many times for the execution to reach its end state. */
const MAX_POLLS_AFTER_FINAL = 15;

export interface PhotoViewCallbacks {
  fileNameFor(photoId: string): string | undefined;
  photoUpdated(photo: PhotoSummary): void;
  onDeleted(photoId: string): void;
  onBack(): void;
  onSignedOut(): void;
}

interface ViewParts extends PhotoLayout {
  /** The picture: the best source that loads, else the placeholder. */
  image: FallbackImage;
  /** The sources shown so far: one that failed is not tried again. */
  tried: Set<ImageSource>;
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
    this.content.replaceChildren(...loadingContent());
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
        this.content.replaceChildren(...notFoundContent());
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      if (this.parts) {
        // Keep showing what we have; the next poll retries.
        setText(this.parts.deleteError, `Could not refresh: ${message}`);
        this.parts.deleteError.hidden = false;
      } else {
        this.content.replaceChildren(...loadFailedContent(message, () => void this.load()));
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
    setText(parts.title, photoTitle(fileName, detail.labels));
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

    this.renderImage(detail, parts);
    this.renderSection('facts', parts.facts, detail, () => renderFacts(detail, fileName));
    this.renderSection('labels', parts.labels, [detail.status, detail.labels, detail.reason], () =>
      renderLabels(detail),
    );
    this.renderSection('exif', parts.exif, detail.metadata, () => renderExif(detail.metadata));
    const running = isExecutionRunning(detail.status, detail.execution.status, detail.timeline);
    this.renderSection('machine', parts.machine, [detail.status, detail.timeline, running], () =>
      renderMachine(detail, running, this.workflow),
    );
    this.renderSection('timeline', parts.timeline, detail.timeline, () => renderTimeline(detail.timeline));
  }

  /** Re-renders a section only when its data changed (keeps focus, selection and scroll). */
  private renderSection(key: string, container: HTMLElement, data: unknown, render: () => Node[]): void {
    const fingerprint = JSON.stringify(data);
    if (this.sectionKeys.get(key) === fingerprint) return;
    this.sectionKeys.set(key, fingerprint);
    container.replaceChildren(...render());
  }

  private build(detail: PhotoDetail): ViewParts {
    const layout = photoLayout(detail.status);
    const { deleteButton, confirm, confirmButton, cancelButton, retryButton } = layout;
    retryButton.addEventListener('click', () => void this.retryPhoto(retryButton));
    deleteButton.addEventListener('click', () => {
      confirm.hidden = false;
      deleteButton.hidden = true;
      cancelButton.focus();
    });
    cancelButton.addEventListener('click', () => this.hideConfirm());
    confirmButton.addEventListener('click', () => void this.deletePhoto(confirmButton, cancelButton));

    const tried = new Set<ImageSource>();
    const image: FallbackImage = new FallbackImage(layout.figure, {
      // The freshest answer decides (a display copy may have appeared since); nothing once the view
      // shows another photo or none.
      next: () => (this.detail && this.parts?.image === image ? this.nextImage(this.detail, tried) : null),
      placeholder: () => imagePlaceholder(this.detail ? placeholderText(this.detail) : ''),
    });

    const old = this.content.querySelector('#photo-title');
    const hadFocus = old !== null && document.activeElement === old;
    this.content.replaceChildren(...layout.nodes);
    if (hadFocus) layout.title.focus();
    return { ...layout, image, tried };
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

  private renderImage(detail: PhotoDetail, parts: ViewParts): void {
    const shown = parts.image.img;
    if (shown) {
      // Shown already: presigned URLs change on every answer, the picture does not.
      shown.alt = imageAlt(detail);
      return;
    }
    const next = this.nextImage(detail, parts.tried);
    if (next) parts.image.show(next);
    else parts.image.showPlaceholder();
  }

  /** The best source of the photo not tried yet (marked tried), or null. */
  private nextImage(detail: PhotoDetail, tried: Set<ImageSource>): ImageChoice | null {
    const next = imageSources(detail).find(({ source }) => !tried.has(source));
    if (!next) return null;
    tried.add(next.source);
    return imageChoice(detail, next.source, next.url);
  }
}
