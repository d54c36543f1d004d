/**
 * The gallery: the caller's photos newest first, "Load more" with nextCursor, a label filter, and live
 * status badges. Polls while photos are processing or uploads are in flight, and touches only the cards
 * that changed (an image's src is set once per thumbnail, so nothing flickers).
 */
import type { PhotoSummary } from '../../lambda/shared/api';
import { announce } from './announcer';
import { type ApiClient, ApiError, detailToSummary } from './api';
import { SignedOutError } from './auth';
import { h, setAttr, setText } from './dom';
import { FallbackImage } from './fallback-image';
import {
  type CardElements,
  cardAlt,
  cardElements,
  thumbnailIdentity,
  thumbPlaceholder,
  updateCardText,
} from './gallery-card';
import { finishedAnnouncement, galleryLayout, summaryText } from './gallery-parts';
import { type MergeResult, PhotoStore } from './photo-store';

const PAGE_SIZE = 24;
/** How long to keep polling for a just-uploaded photo that the API does not list yet. */
const AWAIT_UPLOADED_MS = 90_000;
/** Processing photos beyond the first page are refreshed one by one, this many per poll. */
const MAX_SINGLE_REFRESHES = 6;

interface Card extends CardElements {
  image: FallbackImage;
  /** Which thumbnail the image shows (the S3 key, not the short-lived URL). */
  thumbKey: string | null;
  /** Whether the thumbnail was tried again with a fresher URL (once per thumbnail). */
  retriedImage: boolean;
}

export interface GalleryCallbacks {
  fileNameFor(photoId: string): string | undefined;
  uploadsActive(): boolean;
  photoUpdated(photo: PhotoSummary): void;
  photoRemoved(photoId: string): void;
  onSignedOut(): void;
}

export class Gallery {
  readonly element: HTMLElement;
  private readonly store = new PhotoStore();
  private readonly cards = new Map<string, Card>();
  private readonly grid: HTMLUListElement;
  private readonly summary: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly loadMoreButton: HTMLButtonElement;
  private readonly filterInput: HTMLInputElement;
  private readonly clearFilterButton: HTMLButtonElement;
  private readonly datalist: HTMLDataListElement;
  private datalistKey = '';
  private label: string | null = null;
  private cursor: string | null = null;
  private pagesLoaded = 0;
  private loading = false;
  private loadedOnce = false;
  /** Bumped on every filter change or reset: answers to older requests are dropped. */
  private generation = 0;
  private readonly awaiting = new Map<string, number>();
  private filterTimer: number | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly callbacks: GalleryCallbacks,
  ) {
    const layout = galleryLayout();
    this.element = layout.element;
    this.summary = layout.summary;
    this.notice = layout.notice;
    this.grid = layout.grid;
    this.loadMoreButton = layout.loadMoreButton;
    this.filterInput = layout.input;
    this.clearFilterButton = layout.clearButton;
    this.datalist = layout.datalist;
    this.loadMoreButton.addEventListener('click', () => void this.loadMore());
    layout.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.applyFilter(this.filterInput.value);
    });
    this.filterInput.addEventListener('input', () => {
      window.clearTimeout(this.filterTimer);
      this.clearFilterButton.disabled = this.filterInput.value === '' && this.label === null;
      this.filterTimer = window.setTimeout(() => this.applyFilter(this.filterInput.value), 400);
    });
    this.filterInput.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.filterInput.value) {
        event.preventDefault();
        event.stopPropagation();
        this.clearFilter();
      }
    });
    this.clearFilterButton.addEventListener('click', () => {
      this.clearFilter();
      this.filterInput.focus();
    });
  }

  /** First load, or a full reload (after signing in again). */
  async reload(): Promise<void> {
    this.generation++;
    this.store.clear();
    for (const card of this.cards.values()) card.item.remove();
    this.cards.clear();
    this.cursor = null;
    this.pagesLoaded = 0;
    this.loadedOnce = false;
    this.renderSummary();
    await this.loadPage(null);
  }

  needsPolling(): boolean {
    const now = Date.now();
    for (const [photoId, deadline] of this.awaiting) {
      if (deadline < now || this.store.has(photoId)) this.awaiting.delete(photoId);
    }
    return this.store.anyProcessing() || this.callbacks.uploadsActive() || this.awaiting.size > 0;
  }

  /** A just-uploaded photo: poll until the API lists it. */
  expectPhoto(photoId: string): void {
    this.awaiting.set(photoId, Date.now() + AWAIT_UPLOADED_MS);
  }

  /** Fresh data from elsewhere (the photo view). */
  upsertPhoto(photo: PhotoSummary): void {
    // Only photos already listed: others (older than the loaded pages, or outside the filter) would show
    // out of place; polling adds new ones.
    if (!this.store.has(photo.photoId)) return;
    this.applyMerge(this.store.upsert([photo]));
  }

  removePhoto(photoId: string): void {
    if (this.store.remove(photoId))
      this.applyMerge({ added: [], changed: [], removed: [photoId], statusChanges: [] });
    else this.callbacks.photoRemoved(photoId);
  }

  /** The card link of a photo, to give focus back when returning from its view. */
  cardLink(photoId: string): HTMLAnchorElement | null {
    return this.cards.get(photoId)?.link ?? null;
  }

  /** Re-reads the first page (and processing photos further down) and merges it. */
  async poll(): Promise<void> {
    if (this.loading) return;
    const generation = this.generation;
    let page: Awaited<ReturnType<ApiClient['listPhotos']>>;
    try {
      page = await this.api.listPhotos({ limit: PAGE_SIZE, label: this.label });
    } catch (error) {
      this.handleError(error, 'Could not refresh the photos');
      return;
    }
    if (generation !== this.generation) return;
    this.hideNotice();
    if (this.pagesLoaded <= 1) this.cursor = page.nextCursor;
    const result = this.store.mergeFirstPage(page.photos, page.nextCursor === null);
    this.applyMerge(result);

    const inPage = new Set(page.photos.map((photo) => photo.photoId));
    const stale = this.store
      .processingIds()
      .filter((id) => !inPage.has(id))
      .slice(0, MAX_SINGLE_REFRESHES);
    for (const photoId of stale) {
      try {
        const detail = await this.api.getPhoto(photoId);
        if (generation !== this.generation) return;
        this.applyMerge(this.store.upsert([detailToSummary(detail)]));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) this.removePhoto(photoId);
        else if (error instanceof SignedOutError) return this.callbacks.onSignedOut();
      }
    }
  }

  private clearFilter(): void {
    this.filterInput.value = '';
    this.applyFilter('');
  }

  private applyFilter(value: string): void {
    window.clearTimeout(this.filterTimer);
    const label = value.trim() || null;
    this.clearFilterButton.disabled = label === null && this.filterInput.value === '';
    if (label === this.label) return;
    this.label = label;
    void this.reload();
  }

  private async loadMore(): Promise<void> {
    if (!this.cursor || this.loading) return;
    await this.loadPage(this.cursor);
  }

  private async loadPage(cursor: string | null): Promise<void> {
    const generation = this.generation;
    this.loading = true;
    this.loadMoreButton.disabled = true;
    this.loadMoreButton.textContent = 'Loading…';
    this.element.setAttribute('aria-busy', 'true');
    try {
      const page = await this.api.listPhotos({ limit: PAGE_SIZE, cursor, label: this.label });
      if (generation !== this.generation) return;
      this.hideNotice();
      this.cursor = page.nextCursor;
      this.pagesLoaded++;
      this.loadedOnce = true;
      this.applyMerge(this.store.upsert(page.photos));
    } catch (error) {
      if (generation === this.generation) this.handleError(error, 'Could not load the photos', true);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.loadMoreButton.disabled = false;
        this.loadMoreButton.textContent = 'Load more';
        this.loadMoreButton.hidden = !this.cursor;
        this.element.removeAttribute('aria-busy');
        this.renderSummary();
      }
    }
  }

  private handleError(error: unknown, what: string, offerRetry = false): void {
    if (error instanceof SignedOutError) {
      this.callbacks.onSignedOut();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const retry = offerRetry
      ? h(
          'button',
          { type: 'button', class: 'button subtle', onclick: () => void this.reload() },
          'Try again',
        )
      : null;
    this.notice.replaceChildren(h('span', {}, `${what}: ${message}`), retry ?? '');
    this.notice.hidden = false;
  }

  private hideNotice(): void {
    if (!this.notice.hidden) {
      this.notice.hidden = true;
      this.notice.replaceChildren();
    }
  }

  private applyMerge(result: MergeResult): void {
    for (const photoId of result.removed) {
      this.cards.get(photoId)?.item.remove();
      this.cards.delete(photoId);
      this.callbacks.photoRemoved(photoId);
    }
    for (const photoId of [...result.added, ...result.changed]) {
      const photo = this.store.get(photoId);
      if (!photo) continue;
      let card = this.cards.get(photoId);
      if (!card) {
        card = this.createCard(photo);
        this.cards.set(photoId, card);
      }
      this.updateCard(card, photo);
      this.callbacks.photoUpdated(photo);
    }
    // Photos the page just uploaded, seen for the first time already finished, are announced too.
    for (const photoId of result.added) {
      const photo = this.store.get(photoId);
      if (photo && this.awaiting.has(photoId)) {
        this.awaiting.delete(photoId);
        if (photo.status !== 'PROCESSING') this.announceStatus(photo);
      }
    }
    for (const change of result.statusChanges) {
      const photo = this.store.get(change.photoId);
      if (photo && change.from === 'PROCESSING') this.announceStatus(photo);
    }
    this.reorder();
    this.updateDatalist();
    this.renderSummary();
  }

  private announceStatus(photo: PhotoSummary): void {
    const sentence = finishedAnnouncement(photo, this.callbacks.fileNameFor(photo.photoId));
    if (sentence) announce(sentence);
  }

  private reorder(): void {
    const photos = this.store.list();
    let previous: HTMLLIElement | null = null;
    for (const photo of photos) {
      const card = this.cards.get(photo.photoId);
      if (!card) continue;
      const expectedNext: Element | null = previous
        ? previous.nextElementSibling
        : this.grid.firstElementChild;
      if (expectedNext !== card.item) {
        if (previous) previous.after(card.item);
        else this.grid.prepend(card.item);
      }
      previous = card.item;
    }
  }

  private updateDatalist(): void {
    const labels = this.store.labels().slice(0, 100);
    const key = labels.join('\n');
    if (key === this.datalistKey) return;
    this.datalistKey = key;
    this.datalist.replaceChildren(...labels.map((label) => h('option', { value: label })));
  }

  private renderSummary(): void {
    const text = summaryText({
      loadedOnce: this.loadedOnce,
      count: this.store.size,
      more: this.cursor !== null,
      processing: this.store.processingIds().length,
      label: this.label,
    });
    setText(this.summary, text);
  }

  private createCard(photo: PhotoSummary): Card {
    const elements = cardElements(photo);
    const { link } = elements;
    const image = new FallbackImage(elements.thumb, {
      // The placeholder stays until the thumbnail has loaded: no empty box flashes in the grid.
      swapWhenLoaded: true,
      // The presigned URL may have expired before the image loaded: try once more with the freshest one.
      next: (failed) => {
        const fresh = this.store.get(photo.photoId)?.thumbnailUrl;
        if (card.retriedImage || !fresh || fresh === failed.url) return null;
        card.retriedImage = true;
        return { url: fresh, attrs: failed.attrs };
      },
      placeholder: thumbPlaceholder,
      onState: (state, img) => {
        if (state === 'loaded') img?.classList.remove('loading');
        setAttr(link, 'data-thumbnail', state);
      },
    });
    const card: Card = { ...elements, image, thumbKey: null, retriedImage: false };
    return card;
  }

  private updateCard(card: Card, photo: PhotoSummary): void {
    const fileName = this.callbacks.fileNameFor(photo.photoId);
    updateCardText(card, photo, fileName);
    const alt = cardAlt(photo, fileName);
    const key = thumbnailIdentity(photo);
    if (photo.thumbnailUrl && key !== card.thumbKey) {
      card.thumbKey = key;
      card.retriedImage = false;
      // Eager: a page is 24 small thumbnails, and a lazy image could outlive its presigned URL.
      card.image.show({ url: photo.thumbnailUrl, attrs: { alt, class: 'loading' } });
    } else if (!photo.thumbnailUrl && card.thumbKey !== null) {
      card.thumbKey = null;
      card.image.showPlaceholder();
    }
    const img = card.image.img;
    if (img) setAttr(img, 'alt', alt);
  }
}
