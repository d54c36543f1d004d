import { describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../lambda/shared/api';
import { STATE_NAMES, STATES } from '../../lambda/shared/workflow';
import { computeMachineStatus, isExecutionRunning } from '../../web/src/machine-status';

let clock = Date.UTC(2025, 0, 1);
function step(
  name: string,
  outcome: TimelineStep['outcome'] = 'SUCCEEDED',
  extra: Partial<TimelineStep> = {},
): TimelineStep {
  clock += 100;
  return {
    name,
    type: 'Task',
    startedAt: new Date(clock).toISOString(),
    endedAt: outcome === 'RUNNING' ? null : new Date(clock + 50).toISOString(),
    durationMs: outcome === 'RUNNING' ? null : 50,
    outcome,
    attempts: 1,
    error: null,
    cause: null,
    ...extra,
  };
}

const outcomes = (status: ReturnType<typeof computeMachineStatus>) =>
  Object.fromEntries(STATE_NAMES.map((name) => [name, status.nodes[name].outcome]));

describe('computeMachineStatus', () => {
  it('follows a READY photo down the happy path', () => {
    const timeline = [
      step(STATES.extractImageMetadata),
      step(STATES.imageTypeCheck),
      step(STATES.storeImageMetadata),
      step(STATES.generateRendition),
      step(STATES.processImage, 'SUCCEEDED', { type: 'Parallel' }),
      step(STATES.detectLabels),
      step(STATES.generateThumbnail),
      step(STATES.recordReady),
      step(STATES.photoReady, 'SUCCEEDED', { type: 'Succeed' }),
    ];
    const status = computeMachineStatus('READY', timeline.reverse(), false);
    expect(outcomes(status)).toEqual({
      ExtractImageMetadata: 'succeeded',
      ImageTypeCheck: 'succeeded',
      StoreImageMetadata: 'succeeded',
      GenerateRendition: 'succeeded',
      ProcessImage: 'succeeded',
      DetectLabels: 'succeeded',
      GenerateThumbnail: 'succeeded',
      RecordReady: 'succeeded',
      PhotoReady: 'succeeded',
      RecordRejection: 'skipped',
      NotSupportedImageType: 'skipped',
      RecordFailure: 'skipped',
      ImageProcessingFailed: 'skipped',
    });
    expect(status.stoppedAt).toEqual([STATES.photoReady]);
    expect(status.failedAt).toBeNull();
    expect(status.nodes.DetectLabels.durationMs).toBe(50);
  });

  it('marks the rejection path, its Fail state red', () => {
    const status = computeMachineStatus(
      'REJECTED',
      [
        step(STATES.extractImageMetadata),
        step(STATES.imageTypeCheck),
        step(STATES.recordRejection),
        step(STATES.notSupportedImageType, 'FAILED'),
      ],
      false,
    );
    expect(status.nodes.RecordRejection.outcome).toBe('succeeded');
    expect(status.nodes.NotSupportedImageType.outcome).toBe('failed');
    expect(status.nodes.StoreImageMetadata.outcome).toBe('skipped');
    expect(status.stoppedAt).toEqual([STATES.notSupportedImageType]);
    expect(status.failedAt).toBeNull();
  });

  it('shows where a failure happened and the branch the Parallel stopped', () => {
    const status = computeMachineStatus(
      'FAILED',
      [
        step(STATES.extractImageMetadata),
        step(STATES.imageTypeCheck),
        step(STATES.storeImageMetadata),
        step(STATES.processImage, 'FAILED', { type: 'Parallel', error: 'ImageTooLarge' }),
        step(STATES.detectLabels, 'RUNNING'),
        step(STATES.generateThumbnail, 'FAILED', { error: 'ImageTooLarge', attempts: 1 }),
        step(STATES.recordFailure),
        step(STATES.imageProcessingFailed, 'FAILED', { type: 'Fail' }),
      ],
      false,
    );
    expect(status.nodes.GenerateThumbnail.outcome).toBe('failed');
    expect(status.nodes.DetectLabels).toMatchObject({ outcome: 'failed', aborted: true });
    expect(status.nodes.ProcessImage.outcome).toBe('failed');
    expect(status.nodes.RecordFailure.outcome).toBe('succeeded');
    expect(status.failedAt).toBe(STATES.generateThumbnail);
    expect(status.stoppedAt).toEqual([STATES.imageProcessingFailed]);
  });

  it('blames the branch with the error, not the sibling the Parallel stopped', () => {
    const status = computeMachineStatus(
      'FAILED',
      [
        step(STATES.processImage, 'FAILED', { type: 'Parallel', error: 'ImageTooLarge' }),
        step(STATES.detectLabels, 'FAILED', { cause: 'The step was stopped before it finished.' }),
        step(STATES.generateThumbnail, 'FAILED', { error: 'ImageTooLarge' }),
        step(STATES.recordFailure),
        step(STATES.imageProcessingFailed, 'FAILED', { type: 'Fail', error: 'ImageTooLarge' }),
      ],
      false,
    );
    expect(status.nodes.DetectLabels).toMatchObject({ outcome: 'failed', aborted: true });
    expect(status.failedAt).toBe(STATES.generateThumbnail);
  });

  it('shows the running states of a photo in progress', () => {
    const status = computeMachineStatus(
      'PROCESSING',
      [
        step(STATES.extractImageMetadata),
        step(STATES.imageTypeCheck),
        step(STATES.storeImageMetadata),
        step(STATES.processImage, 'RUNNING', { type: 'Parallel' }),
        step(STATES.detectLabels, 'RUNNING'),
        step(STATES.generateThumbnail),
      ],
      true,
    );
    expect(status.nodes.ProcessImage.outcome).toBe('running');
    expect(status.nodes.DetectLabels.outcome).toBe('running');
    expect(status.nodes.RecordReady.outcome).toBe('skipped');
    expect(status.stoppedAt).toEqual([STATES.detectLabels]);
  });

  it('derives the Parallel from its branches when the timeline leaves it out', () => {
    const status = computeMachineStatus(
      'PROCESSING',
      [step(STATES.detectLabels), step(STATES.generateThumbnail, 'RUNNING')],
      true,
    );
    expect(status.nodes.ProcessImage.outcome).toBe('running');
  });

  it('keeps steps it does not know for the table', () => {
    const status = computeMachineStatus(
      'READY',
      [step(STATES.extractImageMetadata), step('SomethingNew')],
      false,
    );
    expect(status.unknownSteps.map((s) => s.name)).toEqual(['SomethingNew']);
  });

  it('infers the path from the status when there is no history', () => {
    const ready = computeMachineStatus('READY', [], false);
    expect(ready.inferred).toBe(true);
    expect(ready.nodes.RecordReady.outcome).toBe('succeeded');
    expect(ready.stoppedAt).toEqual([STATES.photoReady]);
    const rejected = computeMachineStatus('REJECTED', [], false);
    expect(rejected.nodes.NotSupportedImageType.outcome).toBe('failed');
    const processing = computeMachineStatus('PROCESSING', [], true);
    expect(processing.inferred).toBe(false);
    expect(Object.values(outcomes(processing)).every((o) => o === 'skipped')).toBe(true);
  });
});

describe('isExecutionRunning', () => {
  it('believes the execution status when there is one', () => {
    expect(isExecutionRunning('READY', 'RUNNING', [])).toBe(true);
    expect(isExecutionRunning('PROCESSING', 'FAILED', [])).toBe(false);
  });

  it('otherwise: processing runs; a final record runs until an end state is entered', () => {
    expect(isExecutionRunning('PROCESSING', null, [])).toBe(true);
    expect(isExecutionRunning('READY', null, [step(STATES.recordReady, 'RUNNING')])).toBe(true);
    expect(isExecutionRunning('READY', null, [step(STATES.recordReady), step(STATES.photoReady)])).toBe(
      false,
    );
    expect(
      isExecutionRunning('FAILED', null, [
        step(STATES.detectLabels, 'RUNNING'),
        step(STATES.imageProcessingFailed, 'FAILED'),
      ]),
    ).toBe(false);
  });
});
