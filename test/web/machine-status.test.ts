import { describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../lambda/shared/api';
import { STATE_NAMES } from '../../lambda/shared/workflow';
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
      step('ExtractImageMetadata'),
      step('ImageTypeCheck'),
      step('StoreImageMetadata'),
      step('GenerateRendition'),
      step('ProcessImage', 'SUCCEEDED', { type: 'Parallel' }),
      step('DetectLabels'),
      step('GenerateThumbnail'),
      step('RecordReady'),
      step('PhotoReady', 'SUCCEEDED', { type: 'Succeed' }),
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
    expect(status.stoppedAt).toEqual(['PhotoReady']);
    expect(status.failedAt).toBeNull();
    expect(status.nodes.DetectLabels.durationMs).toBe(50);
  });

  it('marks the rejection path, its Fail state red', () => {
    const status = computeMachineStatus(
      'REJECTED',
      [
        step('ExtractImageMetadata'),
        step('ImageTypeCheck'),
        step('RecordRejection'),
        step('NotSupportedImageType', 'FAILED'),
      ],
      false,
    );
    expect(status.nodes.RecordRejection.outcome).toBe('succeeded');
    expect(status.nodes.NotSupportedImageType.outcome).toBe('failed');
    expect(status.nodes.StoreImageMetadata.outcome).toBe('skipped');
    expect(status.stoppedAt).toEqual(['NotSupportedImageType']);
    expect(status.failedAt).toBeNull();
  });

  it('shows where a failure happened and the branch the Parallel stopped', () => {
    const status = computeMachineStatus(
      'FAILED',
      [
        step('ExtractImageMetadata'),
        step('ImageTypeCheck'),
        step('StoreImageMetadata'),
        step('ProcessImage', 'FAILED', { type: 'Parallel', error: 'ImageTooLarge' }),
        step('DetectLabels', 'RUNNING'),
        step('GenerateThumbnail', 'FAILED', { error: 'ImageTooLarge', attempts: 1 }),
        step('RecordFailure'),
        step('ImageProcessingFailed', 'FAILED', { type: 'Fail' }),
      ],
      false,
    );
    expect(status.nodes.GenerateThumbnail.outcome).toBe('failed');
    expect(status.nodes.DetectLabels).toMatchObject({ outcome: 'failed', aborted: true });
    expect(status.nodes.ProcessImage.outcome).toBe('failed');
    expect(status.nodes.RecordFailure.outcome).toBe('succeeded');
    expect(status.failedAt).toBe('GenerateThumbnail');
    expect(status.stoppedAt).toEqual(['ImageProcessingFailed']);
  });

  it('blames the branch with the error, not the sibling the Parallel stopped', () => {
    const status = computeMachineStatus(
      'FAILED',
      [
        step('ProcessImage', 'FAILED', { type: 'Parallel', error: 'ImageTooLarge' }),
        step('DetectLabels', 'FAILED', { cause: 'The step was stopped before it finished.' }),
        step('GenerateThumbnail', 'FAILED', { error: 'ImageTooLarge' }),
        step('RecordFailure'),
        step('ImageProcessingFailed', 'FAILED', { type: 'Fail', error: 'ImageTooLarge' }),
      ],
      false,
    );
    expect(status.nodes.DetectLabels).toMatchObject({ outcome: 'failed', aborted: true });
    expect(status.failedAt).toBe('GenerateThumbnail');
  });

  it('shows the running states of a photo in progress', () => {
    const status = computeMachineStatus(
      'PROCESSING',
      [
        step('ExtractImageMetadata'),
        step('ImageTypeCheck'),
        step('StoreImageMetadata'),
        step('ProcessImage', 'RUNNING', { type: 'Parallel' }),
        step('DetectLabels', 'RUNNING'),
        step('GenerateThumbnail'),
      ],
      true,
    );
    expect(status.nodes.ProcessImage.outcome).toBe('running');
    expect(status.nodes.DetectLabels.outcome).toBe('running');
    expect(status.nodes.RecordReady.outcome).toBe('skipped');
    expect(status.stoppedAt).toEqual(['DetectLabels']);
  });

  it('derives the Parallel from its branches when the timeline leaves it out', () => {
    const status = computeMachineStatus(
      'PROCESSING',
      [step('DetectLabels'), step('GenerateThumbnail', 'RUNNING')],
      true,
    );
    expect(status.nodes.ProcessImage.outcome).toBe('running');
  });

  it('keeps steps it does not know for the table', () => {
    const status = computeMachineStatus('READY', [step('ExtractImageMetadata'), step('SomethingNew')], false);
    expect(status.unknownSteps.map((s) => s.name)).toEqual(['SomethingNew']);
  });

  it('infers the path from the status when there is no history', () => {
    const ready = computeMachineStatus('READY', [], false);
    expect(ready.inferred).toBe(true);
    expect(ready.nodes.RecordReady.outcome).toBe('succeeded');
    expect(ready.stoppedAt).toEqual(['PhotoReady']);
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
    expect(isExecutionRunning('READY', null, [step('RecordReady', 'RUNNING')])).toBe(true);
    expect(isExecutionRunning('READY', null, [step('RecordReady'), step('PhotoReady')])).toBe(false);
    expect(
      isExecutionRunning('FAILED', null, [
        step('DetectLabels', 'RUNNING'),
        step('ImageProcessingFailed', 'FAILED'),
      ]),
    ).toBe(false);
  });
});
