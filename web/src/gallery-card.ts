/**
 * A gallery card: the elements of one photo's card, and what they say, drawn from the photo's summary
 * alone. The gallery creates a card once and updates it in place as the photo changes.
 */
import type { PhotoSummary } from '../../lambda/shared/api';
import { statusBadge, updateBadge } from './badge';
import { h, setAttr, setText } from './dom';
import { formatDateTime, statusClass } from './format';
import { photoHref } from './router';

export interface CardElements {
  item: HTMLLIElement;
  link: HTMLAnchorElement;
  /** Holds the thumbnail, or its placeholder. */
  thumb: HTMLDivElement;
  badge: HTMLSpanElement;
  title: HTMLElement;
  meta: HTMLElement;
  body: HTMLElement;
}

export function cardElements(photo: PhotoSummary): CardElements {
  const badge = statusBadge(photo.status);
  const title = h('p', { class: 'card-title' });
  const meta = h('p', { class: 'card-meta' });
  const body = h('div', { class: 'card-body' }, h('div', { class: 'card-badges' }, badge), title, meta);
  const thumb = h('div', { class: 'card-thumb' }, thumbPlaceholder());
  const link = h(
    'a',
    {
      class: 'card',
      href: photoHref(photo.photoId),
      'data-testid': 'photo-card',
      'data-photo-id': photo.photoId,
      'data-status': statusClass(photo.status),
      'data-thumbnail': 'none',
    },
    thumb,
    body,
  );
  // Links open on Enter; Space opens the card too, as it would a button.
  link.addEventListener('keydown', (event) => {
    if (event.key === ' ' && !event.repeat) {
      event.preventDefault();
      link.click();
    }
  });
  const item = h('li', { class: 'grid-item' }, link);
  return { item, link, thumb, badge, title, meta, body };
}

/** Brings the card's status, title, format and time, and reason up to date, touching only what changed. */
export function updateCardText(card: CardElements, photo: PhotoSummary, fileName: string | undefined): void {
  setAttr(card.link, 'data-status', statusClass(photo.status));
  updateBadge(card.badge, photo.status);
  const title = cardTitle(photo, fileName);
  setText(card.title, title);
  setAttr(card.title, 'title', title);
  setText(card.meta, cardMeta(photo));
  const reason = cardReason(photo);
  let shown = card.body.querySelector<HTMLElement>('[data-testid=photo-reason]');
  if (reason) {
    if (!shown) {
      shown = h('p', { class: 'card-reason', 'data-testid': 'photo-reason' });
      card.body.append(shown);
    }
    setText(shown, reason);
  } else {
    shown?.remove();
  }
}

/** What Rekognition saw (three labels at most), else the file's name, else what the status says. */
export function cardTitle(photo: PhotoSummary, fileName: string | undefined): string {
  const labels = photo.labels.map((label) => label.name);
  if (labels.length > 0) return labels.slice(0, 3).join(', ');
  return (
    fileName ??
    (photo.status === 'PROCESSING' ? 'Processing…' : photo.status === 'READY' ? 'No labels' : 'Photo')
  );
}

/** The thumbnail's alternative text: up to five labels, else which photo it is. */
export function cardAlt(photo: PhotoSummary, fileName: string | undefined): string {
  const labels = photo.labels.map((label) => label.name);
  return labels.length > 0 ? `Photo: ${labels.slice(0, 5).join(', ')}` : `Photo ${fileName ?? photo.photoId}`;
}

/** Format and upload time: "JPEG · 3 Jan 2025, 10:04". */
export function cardMeta(photo: PhotoSummary): string {
  const format = photo.metadata.format ? `${photo.metadata.format.toUpperCase()} · ` : '';
  return `${format}${formatDateTime(photo.uploadedAt)}`;
}

/** Why a rejected or failed photo ended so; null for the others. */
export function cardReason(photo: PhotoSummary): string | null {
  return (photo.status === 'REJECTED' || photo.status === 'FAILED') && photo.reason ? photo.reason : null;
}

/** Which thumbnail the photo has: its S3 key (the short-lived URL changes on every answer), else null. */
export function thumbnailIdentity(photo: PhotoSummary): string | null {
  return photo.thumbnail?.key ?? (photo.thumbnailUrl ? photo.thumbnailUrl.split('?')[0] : null);
}

export function thumbPlaceholder(): HTMLElement {
  return h(
    'div',
    { class: 'thumb-placeholder', 'aria-hidden': 'true' },
    h('span', { class: 'thumb-placeholder-icon' }, '▣'),
  );
}
