/**
 * The gallery's photos, merged from pages and polls. Pure (no DOM), unit-tested: it decides what changed
 * so the gallery touches only those cards, and which status changes to announce.
 */
import type { PhotoSummary } from '../../lambda/shared/api';
import type { PhotoStatus } from '../../lambda/shared/model';

export interface StatusChange {
  photoId: string;
  from: PhotoStatus | null;
  to: PhotoStatus;
}

export interface MergeResult {
  added: string[];
  changed: string[];
  removed: string[];
  statusChanges: StatusChange[];
}

/** What a card shows; presigned URLs differ on every answer and do not count as a change. */
function fingerprint(photo: PhotoSummary): string {
  return JSON.stringify([
    photo.status,
    photo.reason,
    photo.labels,
    photo.thumbnail?.key ?? null,
    photo.thumbnailUrl === null,
    photo.metadata,
    photo.uploadedAt,
  ]);
}

/** Newest first; photo id breaks ties so the order is stable. */
export function comparePhotos(a: PhotoSummary, b: PhotoSummary): number {
  if (a.uploadedAt !== b.uploadedAt) return a.uploadedAt < b.uploadedAt ? 1 : -1;
  return a.photoId < b.photoId ? -1 : a.photoId > b.photoId ? 1 : 0;
}

export class PhotoStore {
  private readonly photos = new Map<string, PhotoSummary>();
  private readonly prints = new Map<string, string>();

  get size(): number {
    return this.photos.size;
  }

  get(photoId: string): PhotoSummary | undefined {
    return this.photos.get(photoId);
  }

  has(photoId: string): boolean {
    return this.photos.has(photoId);
  }

  /** All photos, newest first. */
  list(): PhotoSummary[] {
    return [...this.photos.values()].sort(comparePhotos);
  }

  clear(): void {
    this.photos.clear();
    this.prints.clear();
  }

  anyProcessing(): boolean {
    for (const photo of this.photos.values()) if (photo.status === 'PROCESSING') return true;
    return false;
  }

  processingIds(): string[] {
    return [...this.photos.values()].filter((photo) => photo.status === 'PROCESSING').map((p) => p.photoId);
  }

  /** Every label seen, most frequent first, for the filter's suggestions. */
  labels(): string[] {
    const counts = new Map<string, number>();
    for (const photo of this.photos.values()) {
      for (const { name } of photo.labels) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([name]) => name);
  }

  /** Adds or updates photos; returns what changed. */
  upsert(photos: readonly PhotoSummary[]): MergeResult {
    const result: MergeResult = { added: [], changed: [], removed: [], statusChanges: [] };
    for (const photo of photos) {
      const previous = this.photos.get(photo.photoId);
      const print = fingerprint(photo);
      this.photos.set(photo.photoId, photo); // always keep the freshest presigned URL
      if (!previous) {
        this.prints.set(photo.photoId, print);
        result.added.push(photo.photoId);
        continue;
      }
      if (this.prints.get(photo.photoId) !== print) {
        this.prints.set(photo.photoId, print);
        result.changed.push(photo.photoId);
      }
      if (previous.status !== photo.status) {
        result.statusChanges.push({ photoId: photo.photoId, from: previous.status, to: photo.status });
      }
    }
    return result;
  }

  remove(photoId: string): boolean {
    this.prints.delete(photoId);
    return this.photos.delete(photoId);
  }

  /**
   * Merges a fresh first page (a poll). Photos the page should contain but does not were deleted
   * elsewhere: all missing ones when it is the only page, else those newer than the page's oldest photo.
   */
  mergeFirstPage(page: readonly PhotoSummary[], isLastPage: boolean): MergeResult {
    const result = this.upsert(page);
    const inPage = new Set(page.map((photo) => photo.photoId));
    const oldest =
      page.length > 0
        ? page.reduce((min, p) => (p.uploadedAt < min ? p.uploadedAt : min), page[0].uploadedAt)
        : null;
    for (const photo of [...this.photos.values()]) {
      if (inPage.has(photo.photoId)) continue;
      const shouldBeInPage = isLastPage || (oldest !== null && photo.uploadedAt > oldest);
      if (shouldBeInPage) {
        this.remove(photo.photoId);
        result.removed.push(photo.photoId);
      }
    }
    return result;
  }
}
