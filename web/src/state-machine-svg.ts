/**
 * A picture of the ImageProc state machine, hand laid out: the happy path down the middle with the
 * Parallel's two branches side by side, the rejection path and the failure path to the right. Each state
 * carries data-state and data-outcome; colours come from styles.css (light and dark).
 */
import { svg } from './dom';
import { formatDuration } from './format';
import { type MachineStatus, type NodeStatus, STATE_TYPES, type StateName } from './machine-status';

const WIDTH = 560;
const HEIGHT = 580;
const BOX_H = 44;
const MAIN_X = 170;
const SIDE_X = 450;
const BUS_X = 348;
const RIGHT_X = 550;

interface Box {
  cx: number;
  y: number;
  w: number;
  h: number;
  shape: 'task' | 'choice' | 'end' | 'parallel';
}

const LAYOUT: Record<StateName, Box> = {
  ExtractImageMetadata: { cx: MAIN_X, y: 28, w: 170, h: BOX_H, shape: 'task' },
  ImageTypeCheck: { cx: MAIN_X, y: 100, w: 176, h: 60, shape: 'choice' },
  StoreImageMetadata: { cx: MAIN_X, y: 188, w: 170, h: BOX_H, shape: 'task' },
  GenerateRendition: { cx: MAIN_X, y: 260, w: 170, h: BOX_H, shape: 'task' },
  ProcessImage: { cx: MAIN_X, y: 332, w: 320, h: 90, shape: 'parallel' },
  DetectLabels: { cx: 90, y: 364, w: 150, h: BOX_H, shape: 'task' },
  GenerateThumbnail: { cx: 250, y: 364, w: 150, h: BOX_H, shape: 'task' },
  RecordReady: { cx: MAIN_X, y: 450, w: 170, h: BOX_H, shape: 'task' },
  PhotoReady: { cx: MAIN_X, y: 522, w: 170, h: BOX_H, shape: 'end' },
  RecordRejection: { cx: SIDE_X, y: 108, w: 170, h: BOX_H, shape: 'task' },
  NotSupportedImageType: { cx: SIDE_X, y: 180, w: 170, h: BOX_H, shape: 'end' },
  RecordFailure: { cx: SIDE_X, y: 450, w: 170, h: BOX_H, shape: 'task' },
  ImageProcessingFailed: { cx: SIDE_X, y: 522, w: 170, h: BOX_H, shape: 'end' },
};

type Point = [number, number];

interface Edge {
  from: StateName | 'start';
  to: StateName;
  points: Point[];
  label?: { text: string; x: number; y: number; anchor?: 'start' | 'middle' | 'end' };
  error?: boolean;
}

const EDGES: Edge[] = [
  {
    from: 'start',
    to: 'ExtractImageMetadata',
    points: [
      [MAIN_X, 18],
      [MAIN_X, 28],
    ],
  },
  {
    from: 'ExtractImageMetadata',
    to: 'ImageTypeCheck',
    points: [
      [MAIN_X, 72],
      [MAIN_X, 100],
    ],
  },
  {
    from: 'ImageTypeCheck',
    to: 'StoreImageMetadata',
    points: [
      [MAIN_X, 160],
      [MAIN_X, 188],
    ],
    label: { text: 'supported type', x: MAIN_X + 8, y: 178, anchor: 'start' },
  },
  {
    from: 'StoreImageMetadata',
    to: 'GenerateRendition',
    points: [
      [MAIN_X, 232],
      [MAIN_X, 260],
    ],
  },
  {
    from: 'GenerateRendition',
    to: 'ProcessImage',
    points: [
      [MAIN_X, 304],
      [MAIN_X, 332],
    ],
  },
  {
    from: 'ProcessImage',
    to: 'RecordReady',
    points: [
      [MAIN_X, 422],
      [MAIN_X, 450],
    ],
  },
  {
    from: 'RecordReady',
    to: 'PhotoReady',
    points: [
      [MAIN_X, 494],
      [MAIN_X, 522],
    ],
  },
  {
    from: 'ImageTypeCheck',
    to: 'RecordRejection',
    points: [
      [MAIN_X + 88, 130],
      [SIDE_X - 85, 130],
    ],
    label: { text: 'other', x: 312, y: 124 },
  },
  {
    from: 'RecordRejection',
    to: 'NotSupportedImageType',
    points: [
      [SIDE_X, 152],
      [SIDE_X, 180],
    ],
  },
  {
    from: 'RecordFailure',
    to: 'ImageProcessingFailed',
    points: [
      [SIDE_X, 494],
      [SIDE_X, 522],
    ],
  },
  // Catch → RecordFailure, along a dashed bus between the two columns.
  {
    from: 'ExtractImageMetadata',
    to: 'RecordFailure',
    error: true,
    points: [
      [MAIN_X + 85, 50],
      [BUS_X, 50],
      [BUS_X, 472],
      [SIDE_X - 85, 472],
    ],
  },
  {
    from: 'StoreImageMetadata',
    to: 'RecordFailure',
    error: true,
    points: [
      [MAIN_X + 85, 210],
      [BUS_X, 210],
      [BUS_X, 472],
      [SIDE_X - 85, 472],
    ],
  },
  {
    from: 'GenerateRendition',
    to: 'RecordFailure',
    error: true,
    points: [
      [MAIN_X + 85, 282],
      [BUS_X, 282],
      [BUS_X, 472],
      [SIDE_X - 85, 472],
    ],
  },
  {
    from: 'ProcessImage',
    to: 'RecordFailure',
    error: true,
    points: [
      [MAIN_X + 160, 377],
      [BUS_X, 377],
      [BUS_X, 472],
      [SIDE_X - 85, 472],
    ],
  },
  {
    from: 'RecordReady',
    to: 'RecordFailure',
    error: true,
    points: [
      [MAIN_X + 85, 472],
      [SIDE_X - 85, 472],
    ],
  },
  {
    from: 'RecordRejection',
    to: 'RecordFailure',
    error: true,
    points: [
      [SIDE_X + 85, 130],
      [RIGHT_X, 130],
      [RIGHT_X, 472],
      [SIDE_X + 85, 472],
    ],
  },
];

function visited(node: NodeStatus | undefined): boolean {
  return node !== undefined && node.outcome !== 'skipped';
}

function edgeTaken(edge: Edge, status: MachineStatus): boolean {
  const to = status.nodes[edge.to];
  if (edge.from === 'start') return visited(to);
  const from = status.nodes[edge.from];
  if (edge.error) return from.outcome === 'failed' && !from.aborted && visited(to);
  if (edge.from === 'ImageTypeCheck') return from.outcome === 'succeeded' && visited(to);
  return visited(from) && visited(to);
}

function durationLine(name: StateName, node: NodeStatus, inferred: boolean): string {
  if (node.outcome === 'skipped') return 'not run';
  if (node.outcome === 'running') return 'running…';
  if (node.aborted) return 'stopped';
  if (inferred && node.durationMs === null) return node.outcome === 'failed' ? 'ended here' : 'done';
  let text = formatDuration(node.durationMs);
  if (node.attempts > 1) text += ` · ${node.attempts} tries`;
  if (node.outcome === 'failed' && STATE_TYPES[name] !== 'Fail') text = `✕ ${text}`;
  return text;
}

function outcomeWord(node: NodeStatus): string {
  if (node.aborted) return 'stopped when the other branch failed';
  return { succeeded: 'succeeded', failed: 'failed', running: 'running', skipped: 'not visited' }[
    node.outcome
  ];
}

function nodeShape(box: Box): SVGElement {
  const x = box.cx - box.w / 2;
  switch (box.shape) {
    case 'choice': {
      const cy = box.y + box.h / 2;
      const points = `${box.cx},${box.y} ${x + box.w},${cy} ${box.cx},${box.y + box.h} ${x},${cy}`;
      return svg('polygon', { class: 'sm-shape', points });
    }
    case 'end':
      return svg('rect', { class: 'sm-shape', x, y: box.y, width: box.w, height: box.h, rx: box.h / 2 });
    case 'parallel':
      return svg('rect', { class: 'sm-shape sm-parallel', x, y: box.y, width: box.w, height: box.h, rx: 12 });
    default:
      return svg('rect', { class: 'sm-shape', x, y: box.y, width: box.w, height: box.h, rx: 8 });
  }
}

function stopRing(box: Box): SVGElement {
  const pad = 5;
  const x = box.cx - box.w / 2 - pad;
  const y = box.y - pad;
  const width = box.w + 2 * pad;
  const height = box.h + 2 * pad;
  if (box.shape === 'choice') {
    const cy = box.y + box.h / 2;
    const points = `${box.cx},${y - 4} ${x + width + 8},${cy} ${box.cx},${y + height + 4} ${x - 8},${cy}`;
    return svg('polygon', { class: 'sm-stop-ring', points });
  }
  const rx = box.shape === 'end' ? height / 2 : box.shape === 'parallel' ? 16 : 12;
  return svg('rect', { class: 'sm-stop-ring', x, y, width, height, rx });
}

function renderNode(name: StateName, status: MachineStatus): SVGGElement {
  const box = LAYOUT[name];
  const node = status.nodes[name];
  const stopped = status.stoppedAt.includes(name);
  const classes = ['sm-node', `sm-${node.outcome}`, `sm-type-${STATE_TYPES[name].toLowerCase()}`];
  if (stopped) classes.push('sm-stopped');
  if (status.failedAt === name) classes.push('sm-failed-here');
  if (node.aborted) classes.push('sm-aborted');

  const description = [`${name} (${STATE_TYPES[name]}): ${outcomeWord(node)}`];
  if (node.durationMs !== null) description.push(`took ${formatDuration(node.durationMs)}`);
  if (node.attempts > 1) description.push(`${node.attempts} attempts`);
  if (node.error) description.push(`error ${node.error}`);
  if (stopped) description.push(node.outcome === 'running' ? 'running now' : 'the execution stopped here');

  const group = svg(
    'g',
    {
      class: classes.join(' '),
      'data-state': name,
      'data-outcome': node.outcome,
      'data-stopped': stopped ? 'true' : null,
    },
    svg('title', {}, description.join(', ')),
  );
  if (stopped) group.append(stopRing(box));
  group.append(nodeShape(box));

  const duration = durationLine(name, node, status.inferred);
  if (box.shape === 'parallel') {
    const left = box.cx - box.w / 2;
    group.append(
      svg('text', { class: 'sm-name', x: left + 12, y: box.y + 20 }, name),
      svg('text', { class: 'sm-type', x: left + 112, y: box.y + 20 }, 'Parallel'),
      svg(
        'text',
        { class: 'sm-duration', x: left + box.w - 12, y: box.y + 20, 'text-anchor': 'end' },
        duration,
      ),
    );
  } else {
    const middle = box.y + box.h / 2;
    group.append(
      svg('text', { class: 'sm-name', x: box.cx, y: middle - 3, 'text-anchor': 'middle' }, name),
      svg('text', { class: 'sm-duration', x: box.cx, y: middle + 12, 'text-anchor': 'middle' }, duration),
    );
  }
  return group;
}

function renderEdge(edge: Edge, status: MachineStatus): SVGGElement {
  const taken = edgeTaken(edge, status);
  const classes = ['sm-edge', edge.error ? 'sm-edge-error' : '', taken ? 'sm-edge-taken' : ''].filter(
    Boolean,
  );
  const d = edge.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x},${y}`).join(' ');
  const group = svg(
    'g',
    { class: classes.join(' '), 'data-from': edge.from, 'data-to': edge.to },
    svg('path', {
      d,
      'marker-end': `url(#${taken ? (edge.error ? 'sm-arrow-error' : 'sm-arrow-taken') : 'sm-arrow'})`,
    }),
  );
  if (edge.label) {
    group.append(
      svg(
        'text',
        {
          class: 'sm-edge-label',
          x: edge.label.x,
          y: edge.label.y,
          'text-anchor': edge.label.anchor ?? 'middle',
        },
        edge.label.text,
      ),
    );
  }
  return group;
}

function arrowMarker(id: string, className: string): SVGMarkerElement {
  return svg(
    'marker',
    {
      id,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    },
    svg('path', { class: className, d: 'M0,0 L10,5 L0,10 z' }),
  );
}

/** A sentence for screen readers and the caption: where the photo's execution is or ended. */
export function describeMachineStatus(status: MachineStatus): string {
  const running = status.stoppedAt.filter((name) => status.nodes[name].outcome === 'running');
  const parts: string[] = [];
  if (running.length > 0) parts.push(`Running: ${running.join(' and ')}.`);
  else if (status.stoppedAt.length > 0) parts.push(`Stopped at ${status.stoppedAt.join(', ')}.`);
  else parts.push('No step has run yet.');
  if (status.failedAt) {
    const error = status.nodes[status.failedAt].error;
    parts.push(`Failed in ${status.failedAt}${error ? ` (${error})` : ''}.`);
  }
  if (status.inferred) parts.push('Path inferred from the photo status: no execution history was available.');
  return parts.join(' ');
}

export function renderStateMachine(status: MachineStatus): SVGSVGElement {
  const description = describeMachineStatus(status);
  const root = svg(
    'svg',
    {
      class: 'state-machine',
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': 'sm-title sm-desc',
      'data-testid': 'state-machine',
      'data-inferred': status.inferred ? 'true' : null,
    },
    svg('title', { id: 'sm-title' }, 'ImageProc state machine: this photo’s path'),
    svg('desc', { id: 'sm-desc' }, description),
    svg(
      'defs',
      {},
      arrowMarker('sm-arrow', 'sm-arrowhead'),
      arrowMarker('sm-arrow-taken', 'sm-arrowhead-taken'),
      arrowMarker('sm-arrow-error', 'sm-arrowhead-error'),
    ),
    svg('circle', { class: 'sm-start', cx: MAIN_X, cy: 12, r: 6 }),
  );
  for (const edge of EDGES) root.append(renderEdge(edge, status));
  root.append(
    svg(
      'text',
      {
        class: 'sm-edge-label sm-bus-label',
        x: BUS_X - 5,
        y: 262,
        transform: `rotate(-90 ${BUS_X - 5} 262)`,
        'text-anchor': 'middle',
      },
      'any error',
    ),
  );
  // The Parallel first, so its branches draw on top of it.
  const order: StateName[] = [
    'ProcessImage',
    'ExtractImageMetadata',
    'ImageTypeCheck',
    'StoreImageMetadata',
    'GenerateRendition',
    'DetectLabels',
    'GenerateThumbnail',
    'RecordReady',
    'PhotoReady',
    'RecordRejection',
    'NotSupportedImageType',
    'RecordFailure',
    'ImageProcessingFailed',
  ];
  for (const name of order) root.append(renderNode(name, status));
  return root;
}
