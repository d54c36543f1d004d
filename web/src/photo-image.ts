/**
 * The photo view's picture: which image to show (the display rendition, the original, the thumbnail,
 * in that order of preference), its caption, and the placeholder's words when none can be shown.
 */
import type { PhotoDetail } from '../../lambda/shared/api';
import { h } from './dom';
import type { ImageChoice } from './fallback-image';
import { formatDimensions, formatImageFormat } from './format';

/**
 * Formats (sharp's names) that Chromium and Firefox display; others show the thumbnail instead. The
 * API serves only raster allow-listed originals with an image type (lambda/get-photo/original-download.ts),
 * so no SVG here. Content-Disposition: attachment on the original's URL does not stop an <img> showing it.
 */
export const BROWSER_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'gif', 'webp']);

/** What the view's picture shows: the display rendition, the original, or the thumbnail. */
export type ImageSource = 'rendition' | 'original' | 'thumbnail';

/** The images a photo can be shown with, best first; each one the browser can be expected to show. */
export function imageSources(detail: PhotoDetail): { source: ImageSource; url: string }[] {
  const sources: { source: ImageSource; url: string }[] = [];
  // The pipeline made a display copy because browsers cannot show the original (HEIC, TIFF) or it is
  // very large: upright, a few hundred KB, JPEG or PNG.
  if (detail.urls.rendition) sources.push({ source: 'rendition', url: detail.urls.rendition });
  const format = detail.metadata.format;
  if (format && BROWSER_FORMATS.has(format)) sources.push({ source: 'original', url: detail.urls.original });
  // Browsers cannot show every original (TIFF, HEIF): the thumbnail is a JPEG or PNG.
  if (detail.urls.thumbnail) sources.push({ source: 'thumbnail', url: detail.urls.thumbnail });
  return sources;
}

/** The picture's alternative text: what Rekognition saw in it. */
export function imageAlt(detail: PhotoDetail): string {
  const names = detail.labels.map((label) => label.name);
  return names.length > 0 ? `Photo: ${names.join(', ')}` : 'The uploaded photo';
}

/** The img and caption for one source of the photo. */
export function imageChoice(detail: PhotoDetail, source: ImageSource, url: string): ImageChoice {
  const rendition = detail.rendition;
  const { width, height } = source === 'rendition' && rendition ? rendition : detail.metadata;
  // Reserves the space before the image arrives (CSS keeps it responsive); a thumbnail is smaller.
  const size = width && height && source !== 'thumbnail' ? { width, height } : {};
  return {
    url,
    attrs: { alt: imageAlt(detail), 'data-source': source, ...size },
    caption:
      source === 'thumbnail'
        ? h('figcaption', {}, 'Thumbnail: the original cannot be shown here')
        : source === 'rendition' && rendition
          ? h(
              'figcaption',
              { 'data-testid': 'rendition-caption' },
              `Display copy, ${formatDimensions(rendition.width, rendition.height)} ${formatImageFormat(rendition.format)}, upright and without location data. ${rendition.reason}.`,
            )
          : null,
  };
}

/** Why no picture shows, for the placeholder. */
export function placeholderText(detail: PhotoDetail): string {
  const format = detail.metadata.format;
  const processing = detail.status === 'PROCESSING';
  if (!format) {
    return processing
      ? 'The preview appears once the photo has been read.'
      : 'No preview: the file could not be read as an image.';
  }
  if (!BROWSER_FORMATS.has(format)) {
    return `Browsers cannot show ${formatImageFormat(format)} files${processing ? '; a display copy will appear here when it is ready.' : ', and there is no display copy or thumbnail.'}`;
  }
  return 'This browser could not show the image.';
}

export function imagePlaceholder(text: string): HTMLElement {
  return h(
    'div',
    { class: 'image-placeholder' },
    h('span', { class: 'thumb-placeholder-icon', 'aria-hidden': 'true' }, '▣'),
    h('p', {}, text),
  );
}
