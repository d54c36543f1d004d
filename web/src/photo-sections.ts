/**
 * The photo view's sections, each drawn from the photo's data alone: the facts under the picture,
 * the labels with confidence bars, the image details (EXIF) and the state machine with this photo's
 * path. The view re-draws a section only when its data changed.
 */
import type { PhotoDetail } from '../../lambda/shared/api';
import type { WorkflowGraph } from '../../lambda/shared/workflow';
import { describeCost } from './cost';
import { h } from './dom';
import {
  formatBytes,
  formatCapturedAt,
  formatConfidence,
  formatCoordinates,
  formatDateTime,
  formatDimensions,
  formatDuration,
  formatImageFormat,
  openStreetMapUrl,
} from './format';
import { computeMachineStatus } from './machine-status';
import { photoHref } from './router';
import { describeMachineStatus, renderStateMachine } from './state-machine-svg';

/** The facts under the picture (a <dl>'s terms and values): file, upload, processing, cost, duplicate. */
export function renderFacts(detail: PhotoDetail, fileName: string | undefined): Node[] {
  const rows: [string, string][] = [
    ['Uploaded', formatDateTime(detail.uploadedAt)],
    ['Photo ID', detail.photoId],
  ];
  if (fileName) rows.unshift(['File', fileName]);
  if (detail.execution.durationMs !== null)
    rows.push(['Processing time', formatDuration(detail.execution.durationMs)]);
  if (detail.attempts > 1) rows.push(['Attempts', String(detail.attempts)]);
  const nodes = rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]);
  if (detail.cost) {
    // What this photo's processing cost on AWS, from its execution and the dated price table.
    const { total, lines } = describeCost(detail.cost);
    nodes.push(
      h('dt', {}, 'Cost'),
      h(
        'dd',
        { 'data-testid': 'photo-cost' },
        h('span', {}, total),
        h('ul', { class: 'cost-lines' }, ...lines.map((line) => h('li', {}, line))),
      ),
    );
  }
  if (detail.duplicateOf) {
    // Same bytes as a photo already labelled: its labels were reused, without a Rekognition call.
    nodes.push(
      h('dt', {}, 'Duplicate of'),
      h(
        'dd',
        { 'data-testid': 'duplicate-of' },
        h('a', { href: photoHref(detail.duplicateOf) }, detail.duplicateOf),
        ' (same file: its labels were reused)',
      ),
    );
  }
  return nodes;
}

/** The labels, most confident first, each with a bar; or why there are none. */
export function renderLabels(detail: Pick<PhotoDetail, 'labels' | 'status' | 'reason'>): Node[] {
  const list = h('ul', { class: 'label-list', 'data-testid': 'photo-labels' });
  const labels = [...detail.labels].sort((a, b) => b.confidence - a.confidence);
  for (const label of labels) {
    const fill = h('span', { class: 'bar-fill' });
    fill.style.width = `${Math.min(100, Math.max(0, label.confidence))}%`;
    list.append(
      h(
        'li',
        { class: 'label-row', 'data-label': label.name },
        h('span', { class: 'label-name' }, label.name),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'label-value' }, formatConfidence(label.confidence)),
      ),
    );
  }
  const nodes: Node[] = [list];
  if (labels.length === 0) {
    const text =
      detail.status === 'PROCESSING'
        ? 'Labels appear when processing finishes.'
        : detail.status === 'READY'
          ? `No labels${detail.reason ? `: ${detail.reason}` : ' were found.'}`
          : 'No labels: the photo was not analysed.';
    nodes.push(h('p', { class: 'muted' }, text));
  }
  return nodes;
}

/** The image details: camera, capture time, location (with a map link), size, format. */
export function renderExif(m: PhotoDetail['metadata']): Node[] {
  // "Canon" + "Canon EOS 40D" reads as the model alone.
  const camera =
    m.make && m.model?.toLowerCase().startsWith(m.make.toLowerCase())
      ? m.model
      : [m.make, m.model].filter(Boolean).join(' ');
  const list = h('dl', { class: 'exif', 'data-testid': 'photo-exif' });
  const row = (term: string, value: Node | string, key: string) =>
    list.append(h('dt', {}, term), h('dd', { 'data-field': key }, value));
  row('Camera', camera || '—', 'camera');
  row('Captured', formatCapturedAt(m.capturedAt), 'capturedAt');
  if (m.gps) {
    const url = openStreetMapUrl(m.gps.latitude, m.gps.longitude);
    row(
      'Location',
      h(
        'span',
        { class: 'gps' },
        h('span', { class: 'gps-coordinates' }, formatCoordinates(m.gps.latitude, m.gps.longitude)),
        h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'gps-link' }, url),
      ),
      'gps',
    );
    if (m.gps.altitude !== null) row('Altitude', `${Math.round(m.gps.altitude)} m`, 'altitude');
  } else {
    row('Location', '—', 'gps');
  }
  row('Dimensions', formatDimensions(m.width, m.height), 'dimensions');
  row('Format', formatImageFormat(m.format), 'format');
  row('Size', formatBytes(m.sizeBytes), 'size');
  if (m.orientation !== null && m.orientation !== 1)
    row('EXIF orientation', String(m.orientation), 'orientation');
  return [list];
}

const LEGEND = { succeeded: 'Succeeded', failed: 'Failed', running: 'Running', skipped: 'Not visited' };

/** The state machine with the photo's path through it, a sentence saying where it is, and a legend. */
export function renderMachine(
  detail: Pick<PhotoDetail, 'status' | 'timeline'>,
  running: boolean,
  workflow: WorkflowGraph,
): Node[] {
  const status = computeMachineStatus(detail.status, detail.timeline, running);
  const swatch = (name: string, text: string) =>
    h('li', {}, h('span', { class: `sm-swatch sm-swatch-${name}`, 'aria-hidden': 'true' }), text);
  return [
    h('div', { class: 'sm-scroll' }, renderStateMachine(status, workflow)),
    h('p', { class: 'sm-caption' }, describeMachineStatus(status)),
    h(
      'ul',
      { class: 'sm-legend', 'aria-label': 'Legend' },
      ...Object.entries(LEGEND).map(([outcome, text]) => swatch(outcome, text)),
      swatch('stopped', 'Where it stopped'),
    ),
  ];
}
