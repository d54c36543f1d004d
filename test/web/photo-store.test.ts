import { describe, expect, it } from 'vitest';
import type { PhotoSummary } from '../../lambda/shared/api';
import { PhotoStore } from '../../web/src/photo-store';

function photo(id: string, minute: number, extra: Partial<PhotoSummary> = {}): PhotoSummary {
  return {
    photoId: id,
    key: `Incoming/u/${id}.jpg`,
    status: 'PROCESSING',
    reason: null,
    metadata: {
      format: 'jpeg',
      width: 10,
      height: 10,
      orientation: null,
      sizeBytes: 100,
      capturedAt: null,
      make: null,
      model: null,
      gps: null,
    },
    labels: [],
    thumbnail: null,
    rendition: null,
    execution: { name: `exec-${id}`, status: null, durationMs: null },
    uploadedAt: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(),
    duplicateOf: null,
    attempts: 1,
    thumbnailUrl: null,
    ...extra,
  };
}

describe('PhotoStore', () => {
  it('lists newest first', () => {
    const store = new PhotoStore();
    store.upsert([photo('a', 1), photo('c', 3), photo('b', 2)]);
    expect(store.list().map((p) => p.photoId)).toEqual(['c', 'b', 'a']);
  });

  it('reports added, changed and status changes, ignoring fresh presigned URLs', () => {
    const store = new PhotoStore();
    const thumb = { key: 'Thumbnails/u/a.jpg', width: 10, height: 10, format: 'jpeg' };
    expect(store.upsert([photo('a', 1)]).added).toEqual(['a']);
    const ready = photo('a', 1, {
      status: 'READY',
      thumbnail: thumb,
      thumbnailUrl: 'https://s3/a.jpg?sig=1',
    });
    expect(store.upsert([ready])).toEqual({
      added: [],
      changed: ['a'],
      removed: [],
      statusChanges: [{ photoId: 'a', from: 'PROCESSING', to: 'READY' }],
    });
    const resigned = { ...ready, thumbnailUrl: 'https://s3/a.jpg?sig=2' };
    expect(store.upsert([resigned])).toEqual({ added: [], changed: [], removed: [], statusChanges: [] });
    expect(store.get('a')?.thumbnailUrl).toBe('https://s3/a.jpg?sig=2');
  });

  it('knows whether anything is processing, and the labels seen', () => {
    const store = new PhotoStore();
    store.upsert([
      photo('a', 1, { status: 'READY', labels: [{ name: 'Cat', confidence: 90 }] }),
      photo('b', 2, {
        status: 'READY',
        labels: [
          { name: 'Dog', confidence: 90 },
          { name: 'Cat', confidence: 80 },
        ],
      }),
    ]);
    expect(store.anyProcessing()).toBe(false);
    expect(store.labels()).toEqual(['Cat', 'Dog']);
    store.upsert([photo('c', 3)]);
    expect(store.anyProcessing()).toBe(true);
    expect(store.processingIds()).toEqual(['c']);
  });

  it('removes photos a complete first page no longer has', () => {
    const store = new PhotoStore();
    store.upsert([photo('a', 1), photo('b', 2)]);
    const result = store.mergeFirstPage([photo('b', 2)], true);
    expect(result.removed).toEqual(['a']);
    expect(store.list().map((p) => p.photoId)).toEqual(['b']);
  });

  it('keeps older photos beyond a partial first page, but drops missing newer ones', () => {
    const store = new PhotoStore();
    store.upsert([photo('old', 1), photo('mid', 5), photo('gone', 8), photo('new', 9)]);
    const result = store.mergeFirstPage([photo('new', 9), photo('mid', 5)], false);
    expect(result.removed).toEqual(['gone']);
    expect(store.has('old')).toBe(true);
  });
});
