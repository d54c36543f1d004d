import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { COST_TARGETS_USD_PER_MILLION, costPerMillion } from '../../bench/cost';
import { STATES } from '../../lambda/shared/workflow';
import { resolveConfig } from '../../lib/config';
import { costModelFor } from '../../lib/cost-model';

/** A history as Step Functions writes it for one Task after another (no Parallel: enough for the sums). */
function history(tasks: [name: string, ms: number][], choice = true): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let t = Date.parse('2025-03-01T10:00:00.000Z');
  const add = (type: string, details: Record<string, unknown> = {}) =>
    events.push({
      id: events.length + 1,
      previousEventId: events.length,
      timestamp: new Date(t),
      type,
      ...details,
    } as HistoryEvent);
  add('ExecutionStarted');
  for (const [name, ms] of tasks) {
    add('TaskStateEntered', { stateEnteredEventDetails: { name } });
    add('LambdaFunctionScheduled');
    add('LambdaFunctionStarted');
    t += ms;
    add('LambdaFunctionSucceeded');
    add('TaskStateExited', { stateExitedEventDetails: { name } });
    if (choice && name === STATES.extractImageMetadata) {
      add('ChoiceStateEntered', { stateEnteredEventDetails: { name: STATES.imageTypeCheck } });
      add('ChoiceStateExited', { stateExitedEventDetails: { name: STATES.imageTypeCheck } });
    }
  }
  add('SucceedStateEntered', { stateEnteredEventDetails: { name: STATES.photoReady } });
  add('ExecutionSucceeded');
  return events;
}

describe('costPerMillion', () => {
  const model = costModelFor(resolveConfig());
  const ready = history([
    [STATES.extractImageMetadata, 100],
    [STATES.storeImageMetadata, 40],
    [STATES.detectLabels, 200],
    [STATES.generateThumbnail, 300],
    [STATES.recordReady, 40],
  ]);

  it('prices the mean execution under both workflow types, per million photos', () => {
    const cost = costPerMillion([{ events: ready, rekognitionCalls: 1 }], model);

    // 7 states entered; 5 invocations; 0.5x0.1 + 0.25x0.04 + 0.25x0.2 + 1.5x0.3 + 0.25x0.04 GB-s.
    expect(cost.perPhoto).toEqual({
      stateTransitions: 7,
      lambdaRequests: 5,
      lambdaGbSeconds: expect.closeTo(0.57, 10),
      executionMs: 680,
    });
    expect(cost.standard.stepFunctionsUsd).toBeCloseTo(7 * 25, 6);
    expect(cost.standard.lambdaUsd).toBeCloseTo(5 * 0.2 + 0.57 * 13.3334, 6);
    expect(cost.standard.rekognitionUsd).toBeCloseTo(1000, 6);
    expect(cost.express.stepFunctionsUsd).toBeCloseTo(1 + (64 / 1024) * 0.7 * 16.67, 6);
    expect(cost.express.lambdaUsd).toBeCloseTo(cost.standard.lambdaUsd, 9);
    expect(cost.standard).toMatchObject({
      targetUsd: COST_TARGETS_USD_PER_MILLION.STANDARD,
      meetsTarget: false,
    });
    expect(cost.express).toMatchObject({
      targetUsd: COST_TARGETS_USD_PER_MILLION.EXPRESS,
      meetsTarget: true,
    });
  });

  it('averages over executions: a duplicate (no Rekognition call) halves the Rekognition share', () => {
    const cost = costPerMillion(
      [
        { events: ready, rekognitionCalls: 1 },
        { events: ready, rekognitionCalls: 0 },
      ],
      model,
    );

    expect(cost.photos).toBe(2);
    expect(cost.standard.rekognitionUsd).toBeCloseTo(500, 6);
  });

  it('is not a number without executions, and meets no target', () => {
    const cost = costPerMillion([], model);

    expect(cost.standard.excludingRekognitionUsd).toBeNaN();
    expect(cost.standard.meetsTarget).toBe(false);
  });
});
