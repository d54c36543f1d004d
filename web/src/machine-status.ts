/**
 * Where a photo went through the ImageProc state machine (lib/image-processing.ts), worked out from the
 * API's timeline: each known state's outcome and duration, where the execution stopped and where it
 * failed. Pure, unit-tested; state-machine-svg.ts draws it.
 */
import type { TimelineStep } from '../../lambda/shared/api';
import type { PhotoStatus } from '../../lambda/shared/model';
import {
  BRANCH_STATES,
  OUTCOME_PATHS,
  STATE_NAMES,
  STATE_TYPES,
  STATES,
  type StateName,
  TERMINAL_STATES,
} from '../../lambda/shared/workflow';

export type NodeOutcome = 'succeeded' | 'failed' | 'running' | 'skipped';

export interface NodeStatus {
  outcome: NodeOutcome;
  durationMs: number | null;
  attempts: number;
  error: string | null;
  cause: string | null;
  /** Still RUNNING in the timeline although the execution ended: the Parallel's other branch was stopped. */
  aborted: boolean;
}

export interface MachineStatus {
  nodes: Record<StateName, NodeStatus>;
  /** Where the execution stopped (its end state), or the states running now; empty when unknown. */
  stoppedAt: StateName[];
  /** The state whose error ended the happy path (the first failed Task or Parallel), if any. */
  failedAt: StateName | null;
  /** True when no timeline came with the photo and the path was inferred from its status. */
  inferred: boolean;
  /** Timeline steps whose names this diagram does not know (shown in the table only). */
  unknownSteps: TimelineStep[];
}

function isKnown(name: string): name is StateName {
  return (STATE_NAMES as readonly string[]).includes(name);
}

function emptyNode(): NodeStatus {
  return { outcome: 'skipped', durationMs: null, attempts: 0, error: null, cause: null, aborted: false };
}

function startTime(step: TimelineStep): number {
  const time = Date.parse(step.startedAt);
  return Number.isNaN(time) ? 0 : time;
}

/** Steps in the order they started (stable for equal times). */
export function sortTimeline(timeline: readonly TimelineStep[]): TimelineStep[] {
  return timeline
    .map((step, index) => ({ step, index }))
    .sort((a, b) => startTime(a.step) - startTime(b.step) || a.index - b.index)
    .map(({ step }) => step);
}

function inferFromStatus(status: PhotoStatus, nodes: Record<StateName, NodeStatus>): StateName[] {
  const mark = (names: readonly StateName[], outcome: NodeOutcome) => {
    for (const name of names) nodes[name] = { ...emptyNode(), outcome };
  };
  switch (status) {
    case 'READY':
      mark(OUTCOME_PATHS.READY, 'succeeded');
      return [STATES.photoReady];
    case 'REJECTED':
      mark(OUTCOME_PATHS.REJECTED.slice(0, -1), 'succeeded');
      mark([STATES.notSupportedImageType], 'failed');
      return [STATES.notSupportedImageType];
    case 'FAILED':
      mark([STATES.recordFailure], 'succeeded');
      mark([STATES.imageProcessingFailed], 'failed');
      return [STATES.imageProcessingFailed];
    default:
      return [];
  }
}

/**
 * @param status the photo's status
 * @param timeline the API's timeline (any order)
 * @param executionRunning whether the execution is still running (a photo's record turns READY inside
 *   RecordReady, a moment before the execution reaches PhotoReady)
 */
export function computeMachineStatus(
  status: PhotoStatus,
  timeline: readonly TimelineStep[],
  executionRunning: boolean,
): MachineStatus {
  const nodes = Object.fromEntries(STATE_NAMES.map((name) => [name, emptyNode()])) as Record<
    StateName,
    NodeStatus
  >;
  const ordered = sortTimeline(timeline);
  const unknownSteps = ordered.filter((step) => !isKnown(step.name));
  const known = ordered.filter((step): step is TimelineStep & { name: StateName } => isKnown(step.name));

  if (known.length === 0) {
    const stoppedAt = inferFromStatus(status, nodes);
    return { nodes, stoppedAt, failedAt: null, inferred: stoppedAt.length > 0, unknownSteps };
  }

  // The last entry of a state wins (a state is entered once per execution; this is just robust).
  for (const step of known) {
    const isFailState = STATE_TYPES[step.name] === 'Fail';
    let outcome: NodeOutcome;
    let aborted = false;
    if (step.outcome === 'RUNNING') {
      if (executionRunning) outcome = 'running';
      else {
        outcome = 'failed';
        aborted = true;
      }
    } else if (step.outcome === 'FAILED' || isFailState) {
      outcome = 'failed';
      // A Parallel branch stopped because its sibling failed: no error of its own.
      aborted = !isFailState && step.error === null && /stopped before it finished/i.test(step.cause ?? '');
    } else {
      outcome = 'succeeded';
    }
    nodes[step.name] = {
      outcome,
      durationMs: step.durationMs,
      attempts: step.attempts,
      error: step.error,
      cause: step.cause,
      aborted,
    };
  }

  // A timeline without the Parallel's own entry: derive it from its branches.
  const branchNodes = BRANCH_STATES.map((name) => nodes[name]);
  const parallel = nodes[STATES.processImage];
  if (parallel.outcome === 'skipped' && branchNodes.some((node) => node.outcome !== 'skipped')) {
    parallel.outcome = branchNodes.some((node) => node.outcome === 'failed')
      ? 'failed'
      : branchNodes.some((node) => node.outcome === 'running' || node.outcome === 'skipped')
        ? 'running'
        : 'succeeded';
  }

  let stoppedAt: StateName[];
  if (executionRunning) {
    const running = STATE_NAMES.filter((name) => nodes[name].outcome === 'running');
    const leaves = running.filter((name) => name !== STATES.processImage);
    stoppedAt = leaves.length > 0 ? leaves : running;
  } else {
    const terminal = TERMINAL_STATES.filter((name) => nodes[name].outcome !== 'skipped');
    stoppedAt = terminal.length > 0 ? terminal : [known[known.length - 1].name];
  }

  // Where it failed: a failed Task (not a Fail state, not the Parallel that only passes a branch's
  // error on) with an error name first (a branch stopped by its sibling's failure has none), earliest
  // ended first; the Parallel itself when no branch says more.
  const failedSteps = known.filter(
    (step) =>
      nodes[step.name].outcome === 'failed' && !nodes[step.name].aborted && STATE_TYPES[step.name] !== 'Fail',
  );
  const ended = (step: TimelineStep) => Date.parse(step.endedAt ?? step.startedAt) || 0;
  const leaves = failedSteps
    .filter((step) => step.name !== STATES.processImage)
    .sort((a, b) => Number(b.error !== null) - Number(a.error !== null) || ended(a) - ended(b));
  const failedAt = (leaves[0] ?? failedSteps[0])?.name ?? null;

  return { nodes, stoppedAt, failedAt, inferred: false, unknownSteps };
}

/** Whether the execution still runs: the API's execution status, else the photo's status. */
export function isExecutionRunning(
  status: PhotoStatus,
  executionStatus: string | null,
  timeline: readonly TimelineStep[],
): boolean {
  if (executionStatus) return executionStatus === 'RUNNING';
  if (status === 'PROCESSING') return true;
  // The record is final; the execution is done once it entered an end state.
  const ended = timeline.some((step) => (TERMINAL_STATES as readonly string[]).includes(step.name));
  return !ended && timeline.some((step) => step.outcome === 'RUNNING');
}
