/**
 * The photo view's skeleton, built once per opened photo: the heading with status, reason and Retry;
 * the picture, facts and the delete controls; the four sections. Elements only: the view fills them
 * and wires their buttons.
 */
import type { PhotoStatus } from '../../lambda/shared/model';
import { statusBadge } from './badge';
import { h } from './dom';

export interface PhotoLayout {
  /** What the view's content holds, in order. */
  readonly nodes: Node[];
  readonly title: HTMLElement;
  readonly badge: HTMLElement;
  readonly reason: HTMLElement;
  readonly figure: HTMLElement;
  readonly facts: HTMLElement;
  readonly labels: HTMLElement;
  readonly exif: HTMLElement;
  readonly machine: HTMLElement;
  readonly timeline: HTMLElement;
  readonly deleteButton: HTMLButtonElement;
  /** The confirm step, hidden until Delete is pressed. */
  readonly confirm: HTMLElement;
  readonly confirmButton: HTMLButtonElement;
  readonly cancelButton: HTMLButtonElement;
  readonly deleteError: HTMLElement;
  /** Retry and its explanation, shown for a FAILED photo. */
  readonly retry: HTMLElement;
  readonly retryButton: HTMLButtonElement;
  readonly retryError: HTMLElement;
}

const button = (className: string, testId: string, text: string) =>
  h('button', { type: 'button', class: `button ${className}`, 'data-testid': testId }, text);

const sectionBody = () => h('div', { class: 'section-body' });

function section(id: string, heading: string, body: HTMLElement, extraClass = ''): HTMLElement {
  return h(
    'section',
    { class: `detail-section ${extraClass}`.trim(), 'aria-labelledby': id },
    h('h3', { id }, heading),
    body,
  );
}

export function photoLayout(status: PhotoStatus): PhotoLayout {
  const title = h('h2', { id: 'photo-title', tabindex: -1 });
  const badge = statusBadge(status);
  const reason = h('p', { class: 'view-reason', 'data-testid': 'photo-view-reason', hidden: true });
  const figure = h('figure', { class: 'view-image' });
  const facts = h('dl', { class: 'facts' });
  const [labels, exif, machine, timeline] = [sectionBody(), sectionBody(), sectionBody(), sectionBody()];

  const deleteButton = button('danger', 'delete-photo', 'Delete photo…');
  const confirmButton = button('danger', 'confirm-delete', 'Yes, delete it');
  const cancelButton = button('subtle', 'cancel-delete', 'Cancel');
  const confirm = h(
    'div',
    { class: 'confirm', role: 'group', 'aria-labelledby': 'confirm-text', hidden: true },
    h('p', { id: 'confirm-text' }, 'Delete this photo, its thumbnail and its labels? This cannot be undone.'),
    h('div', { class: 'confirm-actions' }, confirmButton, cancelButton),
  );
  const deleteError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const retryButton = button('primary', 'retry-photo', 'Retry');
  const retryError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const retry = h(
    'div',
    { class: 'retry', 'data-testid': 'retry', hidden: true },
    h('p', { class: 'muted' }, 'Processing failed. Run it again without uploading the photo again:'),
    retryButton,
    retryError,
  );

  const nodes = [
    h('header', { class: 'view-head' }, title, badge, reason, retry),
    h(
      'div',
      { class: 'view-grid' },
      h(
        'div',
        { class: 'view-media' },
        figure,
        facts,
        h('div', { class: 'danger-zone' }, deleteButton, confirm, deleteError),
      ),
      h(
        'div',
        { class: 'view-details' },
        section('labels-heading', 'Labels', labels),
        section('exif-heading', 'Image details', exif),
        section('machine-heading', 'Processing', machine, 'machine-section'),
        section('timeline-heading', 'Timeline', timeline),
      ),
    ),
  ];
  return {
    nodes,
    title,
    badge,
    reason,
    figure,
    facts,
    labels,
    exif,
    machine,
    timeline,
    deleteButton,
    confirm,
    confirmButton,
    cancelButton,
    deleteError,
    retry,
    retryButton,
    retryError,
  };
}

/** The heading: the file's name when this page uploaded it, else what Rekognition saw, else "Photo". */
export function photoTitle(fileName: string | undefined, labels: readonly { name: string }[]): string {
  return (
    fileName ??
    (labels.length > 0
      ? labels
          .slice(0, 3)
          .map((label) => label.name)
          .join(', ')
      : 'Photo')
  );
}

/** The content while no photo shows: a heading (focusable, like a photo's title) and a message. */
function messageContent(heading: string, message: Node): Node[] {
  return [h('h2', { id: 'photo-title', tabindex: -1 }, heading), message];
}

export function loadingContent(): Node[] {
  return messageContent('Photo', h('p', { class: 'loading-text' }, 'Loading photo…'));
}

export function notFoundContent(): Node[] {
  return messageContent(
    'Photo not found',
    h('p', {}, 'There is no such photo among yours: it may have been deleted.'),
  );
}

export function loadFailedContent(message: string, tryAgain: () => void): Node[] {
  return messageContent(
    'Photo',
    h(
      'div',
      { class: 'notice', role: 'alert' },
      h('span', {}, `Could not load the photo: ${message}`),
      h('button', { type: 'button', class: 'button subtle', onclick: tryAgain }, 'Try again'),
    ),
  );
}
