/**
 * A picture of a photo's path through the ImageProc state machine. Which states and edges it draws
 * comes from the graph of the definition that runs (config.json's `workflow`, made from the
 * synthesized DefinitionString by lib/workflow-graph.ts), shipped with the app's runtime config rather
 * than generated into the bundle: the same build then always draws the deployment it is served by,
 * and the local cloud's picture is the one of the template it runs. Where each state sits is laid out
 * by hand (the happy path down the middle with the Parallel's branches side by side, the rejection and
 * failure paths to the right); a state this layout does not know (a renamed or new one) is still drawn,
 * in a row below, and test/web/state-machine-svg.test.ts fails until the layout names it. Edges are
 * routed from the boxes they join. Each state carries data-state and data-outcome; colours come from
 * styles.css (light and dark).
 */

import {
  type GraphEdge,
  type GraphState,
  STATES,
  type StateName,
  type StateType,
  type WorkflowGraph,
} from '../../lambda/shared/workflow';
import { svg } from './dom';
import { formatDuration } from './format';
import type { MachineStatus, NodeStatus } from './machine-status';

const WIDTH = 560;
const HEIGHT = 580;
const BOX_H = 44;
const MAIN_X = 170;
const SIDE_X = 450;
const BUS_X = 348;
const RIGHT_X = 550;
/** Rows of states the layout does not know, below the picture. */
const EXTRA_ROW_H = 72;
const EXTRA_COLUMNS = 3;

type Shape = 'task' | 'choice' | 'end' | 'parallel';

interface Place {
  cx: number;
  y: number;
  w: number;
  h: number;
}

interface Box extends Place {
  shape: Shape;
}

/** Where each ImageProc state sits. */
export const LAYOUT: Readonly<Record<StateName, Place>> = {
  [STATES.extractImageMetadata]: { cx: MAIN_X, y: 28, w: 170, h: BOX_H },
  [STATES.imageTypeCheck]: { cx: MAIN_X, y: 100, w: 176, h: 60 },
  [STATES.storeImageMetadata]: { cx: MAIN_X, y: 188, w: 170, h: BOX_H },
  [STATES.generateRendition]: { cx: MAIN_X, y: 260, w: 170, h: BOX_H },
  [STATES.processImage]: { cx: MAIN_X, y: 332, w: 320, h: 90 },
  [STATES.detectLabels]: { cx: 90, y: 364, w: 150, h: BOX_H },
  [STATES.generateThumbnail]: { cx: 250, y: 364, w: 150, h: BOX_H },
  [STATES.recordReady]: { cx: MAIN_X, y: 450, w: 170, h: BOX_H },
  [STATES.photoReady]: { cx: MAIN_X, y: 522, w: 170, h: BOX_H },
  [STATES.recordRejection]: { cx: SIDE_X, y: 108, w: 170, h: BOX_H },
  [STATES.notSupportedImageType]: { cx: SIDE_X, y: 180, w: 170, h: BOX_H },
  [STATES.recordFailure]: { cx: SIDE_X, y: 450, w: 170, h: BOX_H },
  [STATES.imageProcessingFailed]: { cx: SIDE_X, y: 522, w: 170, h: BOX_H },
};

/** What the rule edges of a Choice say (its Default edge says "other"). */
const CHOICE_LABELS: Readonly<Partial<Record<StateName, string>>> = {
  [STATES.imageTypeCheck]: 'supported type',
};

const SHAPES: Record<StateType, Shape> = {
  Task: 'task',
  Pass: 'task',
  Wait: 'task',
  Choice: 'choice',
  Succeed: 'end',
  Fail: 'end',
  Parallel: 'parallel',
  Map: 'parallel',
};

type Point = [number, number];

interface Label {
  text: string;
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
}

interface Edge {
  from: string;
  to: string;
  points: Point[];
  label?: Label;
  error: boolean;
  /** The edge leaves a Choice: taken only when the Choice itself succeeded. */
  fromChoice: boolean;
}

interface Layout {
  boxes: Map<string, Box>;
  types: Map<string, StateType>;
  edges: Edge[];
  height: number;
  startX: number;
}

function isKnown(name: string): name is StateName {
  return Object.hasOwn(LAYOUT, name);
}

/** A state's rank in the layout's order; states it does not know come after, in the graph's order. */
function layoutOrder(name: string): number {
  return isKnown(name) ? Object.keys(LAYOUT).indexOf(name) : Number.MAX_SAFE_INTEGER;
}

/** The boxes: the hand layout for the states it knows, rows below it for any other. */
function place(states: readonly GraphState[]): { boxes: Map<string, Box>; height: number } {
  const boxes = new Map<string, Box>();
  let extra = 0;
  for (const state of states) {
    const shape = SHAPES[state.type];
    if (isKnown(state.name)) {
      boxes.set(state.name, { ...LAYOUT[state.name], shape });
      continue;
    }
    const row = Math.floor(extra / EXTRA_COLUMNS);
    const column = extra % EXTRA_COLUMNS;
    extra += 1;
    boxes.set(state.name, {
      cx: 90 + column * 180,
      y: HEIGHT + 8 + row * EXTRA_ROW_H,
      w: 150,
      h: BOX_H,
      shape,
    });
  }
  return { boxes, height: HEIGHT + Math.ceil(extra / EXTRA_COLUMNS) * EXTRA_ROW_H };
}

const right = (box: Box) => box.cx + box.w / 2;
const left = (box: Box) => box.cx - box.w / 2;
const middle = (box: Box) => box.y + box.h / 2;
const bottom = (box: Box) => box.y + box.h;

/**
 * The path of one edge. A Catch runs along the dashed bus between the two columns to the left side of
 * its handler, or around the right of the side column when it starts there; any other edge goes
 * straight down a column or across a row, else with an elbow.
 */
function route(from: Box, to: Box, catchEdge: boolean): Point[] {
  if (middle(from) === middle(to) && from.cx < to.cx) {
    return [
      [right(from), middle(from)],
      [left(to), middle(to)],
    ];
  }
  if (catchEdge && from.cx === to.cx) {
    return [
      [right(from), middle(from)],
      [RIGHT_X, middle(from)],
      [RIGHT_X, middle(to)],
      [right(to), middle(to)],
    ];
  }
  if (catchEdge && from.cx < to.cx) {
    return [
      [right(from), middle(from)],
      [BUS_X, middle(from)],
      [BUS_X, middle(to)],
      [left(to), middle(to)],
    ];
  }
  if (from.cx === to.cx && bottom(from) <= to.y) {
    return [
      [from.cx, bottom(from)],
      [to.cx, to.y],
    ];
  }
  const turn = (bottom(from) + to.y) / 2;
  return [
    [from.cx, bottom(from)],
    [from.cx, turn],
    [to.cx, turn],
    [to.cx, to.y],
  ];
}

function edgeLabel(edge: GraphEdge, points: Point[]): Label | undefined {
  const text =
    edge.kind === 'default'
      ? 'other'
      : edge.kind === 'choice'
        ? ((CHOICE_LABELS as Record<string, string | undefined>)[edge.from] ?? 'match')
        : undefined;
  if (!text) return undefined;
  const [x1, y1] = points[0];
  const [x2, y2] = points[points.length - 1];
  if (x1 === x2) return { text, x: x1 + 8, y: y2 - 10, anchor: 'start' };
  return { text, x: Math.round((x1 + x2) / 2), y: Math.round((y1 + y2) / 2) - 6, anchor: 'middle' };
}

/** Boxes and routed edges for a graph: every state and every edge of it, nothing else. */
export function layoutGraph(graph: WorkflowGraph): Layout {
  const { boxes, height } = place(graph.states);
  const types = new Map(graph.states.map((state) => [state.name, state.type]));
  // Drawn in the layout's order, the Catch edges last, so that the dashed bus lies under nothing.
  const sorted = graph.edges
    .map((edge, index) => ({ edge, index }))
    .sort(
      (a, b) =>
        Number(a.edge.kind === 'catch') - Number(b.edge.kind === 'catch') ||
        layoutOrder(a.edge.from) - layoutOrder(b.edge.from) ||
        a.index - b.index,
    );
  const start = boxes.get(graph.startAt)!;
  const edges: Edge[] = [
    {
      from: 'start',
      to: graph.startAt,
      points: [
        [start.cx, 18],
        [start.cx, start.y],
      ],
      error: false,
      fromChoice: false,
    },
  ];
  for (const { edge } of sorted) {
    const points = route(boxes.get(edge.from)!, boxes.get(edge.to)!, edge.kind === 'catch');
    edges.push({
      from: edge.from,
      to: edge.to,
      points,
      label: edgeLabel(edge, points),
      error: edge.kind === 'catch',
      fromChoice: types.get(edge.from) === 'Choice',
    });
  }
  return { boxes, types, edges, height, startX: start.cx };
}

const NOT_VISITED: NodeStatus = {
  outcome: 'skipped',
  durationMs: null,
  attempts: 0,
  error: null,
  cause: null,
  aborted: false,
};

/** A state's status; a state the status does not know (not in the contract) was not visited. */
function nodeOf(status: MachineStatus, name: string): NodeStatus {
  return (status.nodes as Record<string, NodeStatus | undefined>)[name] ?? NOT_VISITED;
}

function visited(node: NodeStatus | undefined): boolean {
  return node !== undefined && node.outcome !== 'skipped';
}

function edgeTaken(edge: Edge, status: MachineStatus): boolean {
  const to = nodeOf(status, edge.to);
  if (edge.from === 'start') return visited(to);
  const from = nodeOf(status, edge.from);
  if (edge.error) return from.outcome === 'failed' && !from.aborted && visited(to);
  if (edge.fromChoice) return from.outcome === 'succeeded' && visited(to);
  return visited(from) && visited(to);
}

function durationLine(type: StateType, node: NodeStatus, inferred: boolean): string {
  if (node.outcome === 'skipped') return 'not run';
  if (node.outcome === 'running') return 'running…';
  if (node.aborted) return 'stopped';
  if (inferred && node.durationMs === null) return node.outcome === 'failed' ? 'ended here' : 'done';
  let text = formatDuration(node.durationMs);
  if (node.attempts > 1) text += ` · ${node.attempts} tries`;
  if (node.outcome === 'failed' && type !== 'Fail') text = `✕ ${text}`;
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

function renderNode(name: string, box: Box, type: StateType, status: MachineStatus): SVGGElement {
  const node = nodeOf(status, name);
  const stopped = (status.stoppedAt as readonly string[]).includes(name);
  const classes = ['sm-node', `sm-${node.outcome}`, `sm-type-${type.toLowerCase()}`];
  if (stopped) classes.push('sm-stopped');
  if (status.failedAt === name) classes.push('sm-failed-here');
  if (node.aborted) classes.push('sm-aborted');

  const description = [`${name} (${type}): ${outcomeWord(node)}`];
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

  const duration = durationLine(type, node, status.inferred);
  if (box.shape === 'parallel') {
    const left = box.cx - box.w / 2;
    group.append(
      svg('text', { class: 'sm-name', x: left + 12, y: box.y + 20 }, name),
      svg('text', { class: 'sm-type', x: left + 112, y: box.y + 20 }, type),
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

/** The picture of `graph` with the photo's path (`status`) on it. */
export function renderStateMachine(status: MachineStatus, graph: WorkflowGraph): SVGSVGElement {
  const layout = layoutGraph(graph);
  const description = describeMachineStatus(status);
  const root = svg(
    'svg',
    {
      class: 'state-machine',
      viewBox: `0 0 ${WIDTH} ${layout.height}`,
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
    svg('circle', { class: 'sm-start', cx: layout.startX, cy: 12, r: 6 }),
  );
  for (const edge of layout.edges) root.append(renderEdge(edge, status));
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
  // Parallels (and Maps) first, so that their branches draw on top of them.
  const states = [...layout.boxes].sort(
    ([nameA, a], [nameB, b]) =>
      Number(b.shape === 'parallel') - Number(a.shape === 'parallel') ||
      layoutOrder(nameA) - layoutOrder(nameB),
  );
  for (const [name, box] of states) root.append(renderNode(name, box, layout.types.get(name)!, status));
  return root;
}
