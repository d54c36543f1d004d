import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { readableCause, timelineFrom } from '../../lambda/get-photo/timeline';
import { STATES } from '../../lambda/shared/workflow';

const START = Date.parse('2025-03-01T10:00:00.000Z');
const FUNCTION = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

/**
 * Builds a GetExecutionHistory answer event by event, in the shapes AWS (and the local endpoint,
 * local/stepfunctions/history.ts) emit. `after` is the previousEventId: AWS chains each Parallel
 * branch's events to the branch's own previous event.
 */
class History {
  readonly events: HistoryEvent[] = [];
  private clock = START;

  constructor(private readonly chained = true) {
    this.add('ExecutionStarted', {
      executionStartedEventDetails: { roleArn: 'arn:aws:iam::123456789012:role/ImageProcRole' },
    });
  }

  /** Appends an event `ms` after the previous one; returns its id. */
  add(type: string, details: Record<string, unknown> = {}, after?: number, ms = 100): number {
    this.clock += ms;
    const id = this.events.length + 1;
    const previousEventId = this.chained ? (after ?? id - 1) : id - 1;
    this.events.push({
      id,
      previousEventId,
      timestamp: new Date(this.clock),
      type,
      ...details,
    } as HistoryEvent);
    return id;
  }

  entered(type: string, name: string, after?: number): number {
    return this.add(`${type}StateEntered`, { stateEnteredEventDetails: { name } }, after);
  }

  exited(type: string, name: string, after?: number): number {
    return this.add(`${type}StateExited`, { stateExitedEventDetails: { name } }, after);
  }

  /** One attempt of a Lambda task: Scheduled, Started, then Succeeded or Failed. */
  attempt(fn: string, after: number, failure?: { error: string; cause: string }, ms = 100): number {
    const scheduled = this.add(
      'LambdaFunctionScheduled',
      { lambdaFunctionScheduledEventDetails: { resource: FUNCTION(fn), timeoutInSeconds: 30 } },
      after,
    );
    const started = this.add('LambdaFunctionStarted', {}, scheduled);
    return failure
      ? this.add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure }, started, ms)
      : this.add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: {} }, started, ms);
  }

  /** A Task state that runs its function once (or once per failure given, then once more). */
  task(name: string, failures: { error: string; cause: string }[] = [], after?: number): number {
    let last = this.entered('Task', name, after);
    for (const failure of failures) last = this.attempt(name, last, failure);
    last = this.attempt(name, last);
    return this.exited('Task', name, last);
  }

  choice(name: string): number {
    this.entered('Choice', name);
    return this.exited('Choice', name);
  }
}

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at handler'] });

/** ExtractImageMetadata → ImageTypeCheck → StoreImageMetadata → ProcessImage[DetectLabels | GenerateThumbnail]. */
function upToParallel(history: History): { labels: number; thumbnail: number } {
  history.task(STATES.extractImageMetadata);
  history.choice(STATES.imageTypeCheck);
  history.task(STATES.storeImageMetadata);
  history.entered('Parallel', STATES.processImage);
  const started = history.add('ParallelStateStarted');
  const labels = history.entered('Task', STATES.detectLabels, started);
  const thumbnail = history.entered('Task', STATES.generateThumbnail, started);
  return { labels, thumbnail };
}

function readyRun(chained = true): History {
  const history = new History(chained);
  const branch = upToParallel(history);
  // The branches interleave: each event follows its own branch's previous one.
  const labelsScheduled = history.add(
    'LambdaFunctionScheduled',
    { lambdaFunctionScheduledEventDetails: { resource: FUNCTION(STATES.detectLabels) } },
    branch.labels,
  );
  const thumbScheduled = history.add(
    'LambdaFunctionScheduled',
    { lambdaFunctionScheduledEventDetails: { resource: FUNCTION(STATES.generateThumbnail) } },
    branch.thumbnail,
  );
  const labelsStarted = history.add('LambdaFunctionStarted', {}, labelsScheduled);
  const thumbStarted = history.add('LambdaFunctionStarted', {}, thumbScheduled);
  const thumbDone = history.add('LambdaFunctionSucceeded', {}, thumbStarted, 400);
  const labelsDone = history.add('LambdaFunctionSucceeded', {}, labelsStarted, 1200);
  history.exited('Task', STATES.generateThumbnail, thumbDone);
  history.exited('Task', STATES.detectLabels, labelsDone);
  history.add('ParallelStateSucceeded');
  history.exited('Parallel', STATES.processImage);
  history.task(STATES.recordReady);
  history.entered('Succeed', STATES.photoReady);
  history.exited('Succeed', STATES.photoReady);
  history.add('ExecutionSucceeded', { executionSucceededEventDetails: {} });
  return history;
}

const summary = (steps: ReturnType<typeof timelineFrom>) =>
  steps.map(({ name, type, outcome, attempts }) => ({ name, type, outcome, attempts }));

describe('timelineFrom', () => {
  it('maps a READY run, Parallel branches included, in the order the states were entered', () => {
    const steps = timelineFrom(readyRun().events);

    expect(summary(steps)).toEqual([
      { name: STATES.extractImageMetadata, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.imageTypeCheck, type: 'Choice', outcome: 'SUCCEEDED', attempts: 0 },
      { name: STATES.storeImageMetadata, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.processImage, type: 'Parallel', outcome: 'SUCCEEDED', attempts: 0 },
      { name: STATES.detectLabels, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.generateThumbnail, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.recordReady, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.photoReady, type: 'Succeed', outcome: 'SUCCEEDED', attempts: 0 },
    ]);
    for (const step of steps) {
      expect(step.error).toBeNull();
      expect(step.cause).toBeNull();
      expect(step.durationMs).toBe(Date.parse(step.endedAt as string) - Date.parse(step.startedAt));
    }
    // ExtractImageMetadata: entered at +200 ms, its attempt took 300 ms more, exited 100 ms later.
    expect(steps[0]).toMatchObject({
      startedAt: '2025-03-01T10:00:00.200Z',
      endedAt: '2025-03-01T10:00:00.600Z',
      durationMs: 400,
    });
    const labels = steps.find((s) => s.name === STATES.detectLabels);
    const thumbnail = steps.find((s) => s.name === STATES.generateThumbnail);
    expect(thumbnail?.durationMs).toBeLessThan(labels?.durationMs as number);
  });

  it('maps the same run when events are not chained per branch (the local endpoint)', () => {
    expect(summary(timelineFrom(readyRun(false).events))).toEqual(summary(timelineFrom(readyRun().events)));
  });

  it('maps a run whose thumbnail failed, caught into RecordFailure', () => {
    const history = new History();
    const branch = upToParallel(history);
    const labelsDone = history.attempt(STATES.detectLabels, branch.labels);
    history.exited('Task', STATES.detectLabels, labelsDone);
    const cause = lambdaCause('CorruptImage', 'The image data is corrupt and cannot be decoded.');
    history.attempt(STATES.generateThumbnail, branch.thumbnail, { error: 'CorruptImage', cause });
    history.add('ParallelStateFailed');
    history.exited('Parallel', STATES.processImage);
    history.task(STATES.recordFailure);
    history.entered('Fail', STATES.imageProcessingFailed);
    history.add('ExecutionFailed', {
      executionFailedEventDetails: { error: 'CorruptImage', cause },
    });

    const steps = timelineFrom(history.events);

    expect(summary(steps)).toEqual([
      { name: STATES.extractImageMetadata, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.imageTypeCheck, type: 'Choice', outcome: 'SUCCEEDED', attempts: 0 },
      { name: STATES.storeImageMetadata, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.processImage, type: 'Parallel', outcome: 'FAILED', attempts: 0 },
      { name: STATES.detectLabels, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.generateThumbnail, type: 'Task', outcome: 'FAILED', attempts: 1 },
      { name: STATES.recordFailure, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.imageProcessingFailed, type: 'Fail', outcome: 'FAILED', attempts: 0 },
    ]);
    const byName = Object.fromEntries(steps.map((s) => [s.name, s]));
    const readable = 'The image data is corrupt and cannot be decoded.';
    expect(byName.GenerateThumbnail).toMatchObject({ error: 'CorruptImage', cause: readable });
    expect(byName.GenerateThumbnail.endedAt).not.toBeNull();
    expect(byName.ProcessImage).toMatchObject({ error: 'CorruptImage', cause: readable });
    expect(byName.DetectLabels).toMatchObject({ error: null, cause: null });
    expect(byName.ImageProcessingFailed).toMatchObject({
      error: 'CorruptImage',
      cause: readable,
      durationMs: 0,
    });
    expect(byName.ImageProcessingFailed.endedAt).toBe(byName.ImageProcessingFailed.startedAt);
  });

  it('maps a REJECTED run that ends in NotSupportedImageType', () => {
    const history = new History();
    history.task(STATES.extractImageMetadata);
    history.choice(STATES.imageTypeCheck);
    history.task(STATES.recordRejection);
    history.entered('Fail', STATES.notSupportedImageType);
    const cause = "Only JPEG, PNG images are processed; the photo's record says which type was found.";
    history.add('ExecutionFailed', {
      executionFailedEventDetails: { error: STATES.notSupportedImageType, cause },
    });

    const steps = timelineFrom(history.events);

    expect(summary(steps)).toEqual([
      { name: STATES.extractImageMetadata, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.imageTypeCheck, type: 'Choice', outcome: 'SUCCEEDED', attempts: 0 },
      { name: STATES.recordRejection, type: 'Task', outcome: 'SUCCEEDED', attempts: 1 },
      { name: STATES.notSupportedImageType, type: 'Fail', outcome: 'FAILED', attempts: 0 },
    ]);
    expect(steps[3]).toMatchObject({ error: STATES.notSupportedImageType, cause, durationMs: 0 });
  });

  it('counts a retried DetectLabels as two attempts that ended well', () => {
    const history = new History();
    const branch = upToParallel(history);
    const throttled = history.attempt(STATES.detectLabels, branch.labels, {
      error: 'ThrottlingException',
      cause: lambdaCause('ThrottlingException', 'Rate exceeded'),
    });
    const labelsDone = history.attempt(STATES.detectLabels, throttled);
    const thumbDone = history.attempt(STATES.generateThumbnail, branch.thumbnail);
    history.exited('Task', STATES.detectLabels, labelsDone);
    history.exited('Task', STATES.generateThumbnail, thumbDone);

    const labels = timelineFrom(history.events).find((s) => s.name === STATES.detectLabels);

    expect(labels).toMatchObject({ attempts: 2, outcome: 'SUCCEEDED', error: null, cause: null });
  });

  it('shows a running execution: the current step RUNNING, no end, no duration', () => {
    const history = new History();
    history.task(STATES.extractImageMetadata);
    history.choice(STATES.imageTypeCheck);
    const entered = history.entered('Task', STATES.storeImageMetadata);
    history.add('LambdaFunctionScheduled', {}, entered);

    const last = timelineFrom(history.events).at(-1);

    expect(last).toMatchObject({
      name: STATES.storeImageMetadata,
      outcome: 'RUNNING',
      endedAt: null,
      durationMs: null,
      attempts: 1,
    });
  });

  it('keeps a step RUNNING between a failed attempt and its retry', () => {
    const history = new History();
    const entered = history.entered('Task', STATES.extractImageMetadata);
    history.attempt(STATES.extractImageMetadata, entered, {
      error: 'Lambda.ServiceException',
      cause: 'Service unavailable',
    });

    expect(timelineFrom(history.events)[0]).toMatchObject({ outcome: 'RUNNING', attempts: 1 });
  });

  it('fails a step whose error was not caught, ending it when the error happened', () => {
    const history = new History();
    const entered = history.entered('Task', STATES.extractImageMetadata);
    const failed = history.attempt(STATES.extractImageMetadata, entered, {
      error: 'Sandbox.Timedout',
      cause: 'Task timed out after 30.00 seconds',
    });
    history.add('ExecutionFailed', {
      executionFailedEventDetails: { error: 'Sandbox.Timedout', cause: 'Task timed out after 30.00 seconds' },
    });

    const [step] = timelineFrom(history.events);

    expect(step).toMatchObject({
      outcome: 'FAILED',
      error: 'Sandbox.Timedout',
      cause: 'Task timed out after 30.00 seconds',
      endedAt: (history.events[failed - 1].timestamp as Date).toISOString(),
    });
  });

  it('fails a step the execution ended around (stopped)', () => {
    const history = new History();
    const entered = history.entered('Task', STATES.extractImageMetadata);
    history.add('LambdaFunctionScheduled', {}, entered);
    history.add('ExecutionAborted', {
      executionAbortedEventDetails: { error: 'Stopped', cause: 'by an operator' },
    });

    expect(timelineFrom(history.events)[0]).toMatchObject({
      outcome: 'FAILED',
      error: 'Stopped',
      cause: 'by an operator',
    });
  });

  it('fails the branch state a failed Parallel aborted', () => {
    const history = new History();
    const branch = upToParallel(history);
    const scheduled = history.add('LambdaFunctionScheduled', {}, branch.labels);
    history.add('LambdaFunctionStarted', {}, scheduled);
    history.attempt(STATES.generateThumbnail, branch.thumbnail, {
      error: 'ImageTooLarge',
      cause: 'image too large',
    });
    history.add('TaskStateAborted');
    history.add('ParallelStateFailed');
    history.exited('Parallel', STATES.processImage);

    const byName = Object.fromEntries(timelineFrom(history.events).map((s) => [s.name, s]));

    expect(byName.DetectLabels).toMatchObject({ outcome: 'FAILED', error: null });
    expect(byName.DetectLabels.cause).toMatch(/stopped before it finished/);
    expect(byName.GenerateThumbnail).toMatchObject({ outcome: 'FAILED', error: 'ImageTooLarge' });
    expect(byName.ProcessImage).toMatchObject({ outcome: 'FAILED', error: 'ImageTooLarge' });
  });

  it('reads the history in event order, whatever order the pages came in', () => {
    const events = readyRun().events;

    expect(timelineFrom([...events].reverse())).toEqual(timelineFrom(events));
  });

  it('is empty for an empty history', () => {
    expect(timelineFrom([])).toEqual([]);
  });
});

describe('readableCause', () => {
  it.each([
    [lambdaCause('CorruptImage', 'bad pixels'), 'bad pixels'],
    ['plain text', 'plain text'],
    ['{not json', '{not json'],
    ['{"other":"shape"}', '{"other":"shape"}'],
    ['   ', null],
    [undefined, null],
  ])('%j → %j', (cause, expected) => {
    expect(readableCause(cause)).toBe(expected);
  });
});
