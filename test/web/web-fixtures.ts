/** Photos as the API answers them, and the fake DOM the web app's renderers run in under Node. */
import type { PhotoDetail, PhotoSummary } from '../../lambda/shared/api';
import { EMPTY_METADATA } from '../../lambda/shared/photo-view';
import { type FakeElement, installFakeDom } from '../../web/dev-mock/fake-dom';

/** Installs web/dev-mock's small DOM as the global document (once per test file: each runs in its own process). */
export function useFakeDom(): void {
  installFakeDom('http://localhost/');
}

/** A rendered node as the fake DOM's element, to read it the way the tests do. */
export const fake = (node: Node | string | null | undefined) => node as unknown as FakeElement;

export function summary(overrides: Partial<PhotoSummary> = {}): PhotoSummary {
  return {
    photoId: 'p1',
    key: 'Incoming/alice/p1.jpg',
    status: 'READY',
    reason: null,
    metadata: { ...EMPTY_METADATA, format: 'jpeg', width: 600, height: 400, sizeBytes: 245_000 },
    labels: [],
    thumbnail: { key: 'Thumbnails/alice/p1.jpg', width: 250, height: 167, format: 'jpeg' },
    rendition: null,
    execution: { name: 'p1-abc', status: 'SUCCEEDED', durationMs: 3200 },
    uploadedAt: '2025-01-03T10:04:00.000Z',
    duplicateOf: null,
    attempts: 1,
    thumbnailUrl: 'https://s3.example/Thumbnails/alice/p1.jpg?X-Amz-Signature=1',
    ...overrides,
  };
}

export function detail(overrides: Partial<PhotoDetail> = {}): PhotoDetail {
  const { thumbnailUrl: _url, ...view } = summary();
  return {
    ...view,
    urls: {
      thumbnail: 'https://s3.example/thumb?sig=1',
      rendition: null,
      original: 'https://s3.example/original?sig=1',
    },
    timeline: [],
    cost: null,
    ...overrides,
  };
}
