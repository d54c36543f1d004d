/** The gallery's fixed parts and its sentences: the label filter, the summary line, the announcements. */
import type { PhotoSummary } from '../../lambda/shared/api';
import { h } from './dom';

export interface FilterControls {
  form: HTMLFormElement;
  input: HTMLInputElement;
  clearButton: HTMLButtonElement;
  /** Label suggestions for the input. */
  datalist: HTMLDataListElement;
}

function filterControls(): FilterControls {
  const datalist = h('datalist', { id: 'label-suggestions' });
  const input = h('input', {
    type: 'search',
    id: 'label-filter',
    list: 'label-suggestions',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'e.g. Cat',
    'data-testid': 'label-filter',
  });
  const clearButton = h(
    'button',
    { type: 'button', class: 'button subtle', disabled: true, 'data-testid': 'clear-filter' },
    'Clear',
  );
  const form = h(
    'form',
    { class: 'filter', role: 'search', 'aria-label': 'Filter photos by label' },
    h('label', { for: 'label-filter' }, 'Filter by label'),
    h('div', { class: 'filter-controls' }, input, clearButton),
    datalist,
  );
  return { form, input, clearButton, datalist };
}

export interface GalleryLayout extends FilterControls {
  element: HTMLElement;
  summary: HTMLElement;
  /** Errors loading the photos, with Try again. */
  notice: HTMLElement;
  grid: HTMLUListElement;
  loadMoreButton: HTMLButtonElement;
}

/** The gallery's frame: heading and filter, the summary line, the notice, the grid and Load more. */
export function galleryLayout(): GalleryLayout {
  const filter = filterControls();
  const summary = h('p', { class: 'gallery-summary', id: 'gallery-summary' });
  const notice = h('div', { class: 'notice', role: 'alert', hidden: true });
  const grid = h('ul', {
    class: 'grid',
    'aria-labelledby': 'gallery-heading',
    'aria-describedby': 'gallery-summary',
  });
  const loadMoreButton = h(
    'button',
    { type: 'button', class: 'button', hidden: true, 'data-testid': 'load-more' },
    'Load more',
  );
  const element = h(
    'section',
    { class: 'panel gallery', 'aria-labelledby': 'gallery-heading' },
    h(
      'div',
      { class: 'gallery-head' },
      h('h2', { id: 'gallery-heading', tabindex: -1 }, 'Your photos'),
      filter.form,
    ),
    summary,
    notice,
    grid,
    h('div', { class: 'gallery-foot' }, loadMoreButton),
  );
  return { ...filter, element, summary, notice, grid, loadMoreButton };
}

export interface SummaryState {
  /** Whether a first page has arrived. */
  loadedOnce: boolean;
  /** Photos listed so far. */
  count: number;
  /** Whether there are more pages. */
  more: boolean;
  processing: number;
  label: string | null;
}

/** The line under the heading: how many photos (and how many still processing), under which filter. */
export function summaryText({ loadedOnce, count, more, processing, label }: SummaryState): string {
  if (!loadedOnce) return 'Loading photos…';
  if (count === 0) return label ? `No photos labelled “${label}”.` : 'No photos yet: upload some above.';
  const text = `${count}${more ? '+' : ''} photo${count === 1 ? '' : 's'}${label ? ` labelled “${label}”` : ''}`;
  return processing > 0 ? `${text} · ${processing} processing` : text;
}

/** What a screen reader hears when a photo finishes; null while it is processing. */
export function finishedAnnouncement(photo: PhotoSummary, fileName: string | undefined): string | null {
  const name = fileName ?? 'A photo';
  const reason = photo.reason ? `: ${photo.reason}` : '.';
  if (photo.status === 'READY') return `${name} is ready.`;
  if (photo.status === 'REJECTED') return `${name} was rejected${reason}`;
  if (photo.status === 'FAILED') return `${name} failed${reason}`;
  return null;
}
