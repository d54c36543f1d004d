/** Hash routes, so a photo's view is linkable and works from any static host: #/ and #/photos/<id>. */

export type Route = { name: 'gallery' } | { name: 'photo'; photoId: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/photos\/([^/?#]+)\/?$/.exec(hash);
  if (match) {
    try {
      return { name: 'photo', photoId: decodeURIComponent(match[1]) };
    } catch {
      return { name: 'gallery' };
    }
  }
  return { name: 'gallery' };
}

export function photoHref(photoId: string): string {
  return `#/photos/${encodeURIComponent(photoId)}`;
}

export const GALLERY_HREF = '#/';
