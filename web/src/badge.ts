/** Status badges: colour plus an icon plus the word, never colour alone. */
import type { PhotoStatus } from '../../lambda/shared/model';
import { h } from './dom';
import { STATUS_TEXT, statusClass } from './format';

const STATUS_ICONS: Record<PhotoStatus, string> = {
  PROCESSING: '◌',
  READY: '✓',
  REJECTED: '⊘',
  FAILED: '✕',
};

export function statusBadge(status: PhotoStatus): HTMLSpanElement {
  const badge = h('span', { class: `badge badge-${statusClass(status)}` });
  updateBadge(badge, status);
  return badge;
}

export function updateBadge(badge: HTMLElement, status: PhotoStatus): void {
  const className = `badge badge-${statusClass(status)}`;
  if (badge.className === className && badge.dataset.status === status) return;
  badge.className = className;
  badge.dataset.status = status;
  badge.replaceChildren(
    h('span', { class: 'badge-icon', 'aria-hidden': 'true' }, STATUS_ICONS[status]),
    STATUS_TEXT[status],
  );
}
