import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { TimelineStep } from '../shared/api';
import { stepErrorMessage } from '../shared/errors';

/**
 * A photo's path through the state machine, from its execution's history (GetExecutionHistory, all
 * pages, in event order): one step per state entered, in the order entered, Parallel branches included.
 *
 * Task events (Scheduled, Started, Succeeded, Failed, ...) do not name their state. They are matched
 * to one: first by the event that follows (an outcome is followed by its state's Exited event when
 * nothing interleaves), then by `previousEventId` (AWS chains each Parallel branch's events), then,
 * when only one Task could be meant, that one; else the earliest entered. Only two branches' tasks
 * failing and running at the same moment in a history without branch chains can be told apart wrongly.
 */
export function timelineFrom(events: readonly HistoryEvent[]): TimelineStep[] {
  const history = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const tracks: Track[] = [];
  const trackOfEvent = new Map<number, Track>();
  let ended = false;

  const open = (filter: (track: Track) => boolean) => tracks.filter((t) => t.open && filter(t));
  const lastFailureInside = (parent: Track) =>
    [...tracks].reverse().find((t) => t.index > parent.index && t.failure)?.failure;

  for (let i = 0; i < history.length; i++) {
    const event = history[i];
    const type = event.type ?? '';
    const at = event.timestamp ? new Date(event.timestamp) : new Date(0);
    let track: Track | undefined;

    if (type.endsWith('StateEntered')) {
      const stateType = type.slice(0, -'StateEntered'.length);
      track = {
        index: tracks.length,
        name: event.stateEnteredEventDetails?.name ?? stateType,
        type: stateType,
        startedAt: at,
        endedAt: null,
        outcome: 'RUNNING',
        attempts: 0,
        open: true,
        inFlight: false,
        failure: null,
        failedAt: null,
      };
      tracks.push(track);
      // A Fail state ends the moment it is entered; its error comes with ExecutionFailed.
      if (stateType === 'Fail') close(track, at, 'FAILED');
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name;
      track = [...tracks].reverse().find((t) => t.open && t.name === name);
      // A caught error exits the state too: the step still failed.
      if (track) close(track, at, track.failure ? 'FAILED' : 'SUCCEEDED');
    } else if (SCHEDULED.has(type)) {
      track = pick(
        event,
        undefined,
        open((t) => t.type === 'Task' && !t.inFlight),
      );
      if (track) {
        track.attempts += 1;
        track.inFlight = true;
        track.failure = null;
        track.failedAt = null;
      }
    } else if (STARTED.has(type)) {
      track = pick(
        event,
        undefined,
        open((t) => t.type === 'Task' && t.inFlight),
      );
    } else if (SUCCEEDED.has(type)) {
      track = pick(
        event,
        history[i + 1],
        open((t) => t.type === 'Task' && t.inFlight),
      );
      if (track) track.inFlight = false;
    } else if (FAILED.has(type)) {
      const beforeScheduling = type.endsWith('ScheduleFailed');
      track = pick(
        event,
        history[i + 1],
        open((t) => t.type === 'Task' && t.inFlight !== beforeScheduling),
      );
      if (track) fail(track, failureOf(event), at);
    } else if (type === 'EvaluationFailed') {
      const details = event.evaluationFailedEventDetails;
      track = [...tracks].reverse().find((t) => t.open && t.name === details?.state);
      if (track) fail(track, failureOf(event), at);
    } else if (type === 'ParallelStateFailed' || type === 'MapStateFailed') {
      const stateType = type.slice(0, -'StateFailed'.length);
      const candidates = open((t) => t.type === stateType);
      track = pick(event, undefined, candidates, 'latest');
      if (track) {
        fail(track, lastFailureInside(track) ?? { error: null, cause: null }, at);
        // Branch states that failed without being caught end with their Parallel.
        for (const inner of open((t) => t.index > track!.index)) close(inner, inner.failedAt ?? at, 'FAILED');
      }
    } else if (type.endsWith('StateAborted')) {
      const stateType = type.slice(0, -'StateAborted'.length);
      track = pick(
        event,
        undefined,
        open((t) => t.type === stateType && !t.failure),
      );
      if (track) {
        track.failure = { error: null, cause: 'The step was stopped before it finished.' };
        close(track, at, 'FAILED');
      }
    } else if (EXECUTION_ENDS.has(type)) {
      ended = true;
      const failure = type === 'ExecutionSucceeded' ? null : failureOf(event);
      const last = tracks[tracks.length - 1];
      if (failure && last?.type === 'Fail' && !last.failure?.error && !last.failure?.cause) {
        last.failure = failure;
      }
      // A state that never exited did not finish: the execution ended around it.
      for (const t of open(() => true)) {
        t.failure ??= failure;
        close(t, t.failedAt ?? at, 'FAILED');
      }
    } else if (type === 'ExecutionRedriven') {
      ended = false;
    }
    if (track && event.id !== undefined) trackOfEvent.set(event.id, track);
  }

  return tracks.map((t) => ({
    name: t.name,
    type: t.type,
    startedAt: t.startedAt.toISOString(),
    endedAt: t.endedAt?.toISOString() ?? null,
    durationMs: t.endedAt ? t.endedAt.getTime() - t.startedAt.getTime() : null,
    outcome: t.open ? (ended ? 'FAILED' : 'RUNNING') : t.outcome,
    attempts: t.attempts,
    error: t.outcome === 'SUCCEEDED' ? null : (t.failure?.error ?? null),
    cause: t.outcome === 'SUCCEEDED' ? null : (t.failure?.cause ?? null),
  }));

  /** The state an unnamed event belongs to, among the open states it could belong to. */
  function pick(
    event: HistoryEvent,
    next: HistoryEvent | undefined,
    candidates: Track[],
    fallback: 'earliest' | 'latest' = 'earliest',
  ): Track | undefined {
    if (candidates.length === 0) return undefined;
    const exitName = next?.type?.endsWith('StateExited') ? next.stateExitedEventDetails?.name : undefined;
    const exiting = exitName === undefined ? undefined : candidates.find((t) => t.name === exitName);
    if (exiting) return exiting;
    const chained = event.previousEventId === undefined ? undefined : trackOfEvent.get(event.previousEventId);
    if (chained && candidates.includes(chained)) return chained;
    return fallback === 'earliest' ? candidates[0] : candidates[candidates.length - 1];
  }
}

interface Failure {
  error: string | null;
  cause: string | null;
}

interface Track {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly startedAt: Date;
  endedAt: Date | null;
  outcome: TimelineStep['outcome'];
  attempts: number;
  open: boolean;
  /** A task attempt is scheduled and has not ended yet. */
  inFlight: boolean;
  /** Why the step failed (its last attempt, a branch, or the execution); null when it has not. */
  failure: Failure | null;
  failedAt: Date | null;
}

const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'ActivityScheduled']);
const STARTED = new Set(['LambdaFunctionStarted', 'TaskStarted', 'TaskSubmitted', 'ActivityStarted']);
const SUCCEEDED = new Set(['LambdaFunctionSucceeded', 'TaskSucceeded', 'ActivitySucceeded']);
const FAILED = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
]);
const EXECUTION_ENDS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

function close(track: Track, at: Date, outcome: TimelineStep['outcome']): void {
  track.open = false;
  track.inFlight = false;
  track.endedAt = at;
  track.outcome = outcome;
}

function fail(track: Track, failure: Failure, at: Date): void {
  track.inFlight = false;
  track.failure = failure;
  track.failedAt = at;
}

/** error and cause from an event's `<type>EventDetails` (every failure event is shaped that way). */
function failureOf(event: HistoryEvent): Failure {
  const type = event.type ?? '';
  const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails` as keyof HistoryEvent;
  const details = event[key] as { error?: string; cause?: string } | undefined;
  return { error: details?.error ?? null, cause: readableCause(details?.cause) };
}

/**
 * A Lambda error's cause is Lambda's JSON (`{"errorType","errorMessage","trace"}`); the message is what
 * a person wants to read (stepErrorMessage). Any other cause is kept as it is; none is null.
 */
export function readableCause(cause: string | undefined): string | null {
  return stepErrorMessage(cause) || null;
}
