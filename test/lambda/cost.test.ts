import { describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../lambda/shared/api';
import { priceTableProblems, priceUsage, usageFromTimeline } from '../../lambda/shared/cost';
import { STATES } from '../../lambda/shared/workflow';
import { DEFAULT_PRICES } from '../../lib/config';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

function step(name: string, type: string, startMs: number, durationMs: number, attempts = 1): TimelineStep {
  return {
    name,
    type,
    startedAt: new Date(T0 + startMs).toISOString(),
    endedAt: new Date(T0 + startMs + durationMs).toISOString(),
    durationMs,
    outcome: 'SUCCEEDED',
    attempts: type === 'Task' ? attempts : 0,
    error: null,
    cause: null,
  };
}

/** A READY photo's path, with DetectLabels retried once (Rekognition throttled). */
const READY_PATH = [
  step(STATES.extractImageMetadata, 'Task', 0, 100),
  step(STATES.imageTypeCheck, 'Choice', 100, 0),
  step(STATES.storeImageMetadata, 'Task', 100, 50),
  step(STATES.processImage, 'Parallel', 150, 1000),
  step(STATES.detectLabels, 'Task', 150, 1000, 2),
  step(STATES.generateThumbnail, 'Task', 150, 400),
  step(STATES.recordReady, 'Task', 1150, 50),
  step(STATES.photoReady, 'Succeed', 1200, 0),
];
const MEMORY = {
  ExtractImageMetadata: 512,
  StoreImageMetadata: 256,
  DetectLabels: 256,
  GenerateThumbnail: 1536,
  RecordReady: 256,
};

describe('usageFromTimeline', () => {
  it('counts a transition per state entered and per retry, and GB-seconds per Task', () => {
    const usage = usageFromTimeline(READY_PATH, MEMORY, 1);

    expect(usage).toEqual({
      stateTransitions: 9,
      lambdaRequests: 6,
      // 0.5 GB x 0.1 s + 0.25 x 0.05 + 0.25 x 1 + 1.5 x 0.4 + 0.25 x 0.05
      lambdaGbSeconds: expect.closeTo(0.05 + 0.0125 + 0.25 + 0.6 + 0.0125, 10),
      rekognitionCalls: 1,
      executionMs: 1200,
    });
  });

  it('is all zeros for an execution with no history', () => {
    expect(usageFromTimeline([], MEMORY, 0)).toEqual({
      stateTransitions: 0,
      lambdaRequests: 0,
      lambdaGbSeconds: 0,
      rekognitionCalls: 0,
      executionMs: 0,
    });
  });
});

describe('priceUsage', () => {
  const usage = usageFromTimeline(READY_PATH, MEMORY, 1);

  it('prices a STANDARD execution per state transition', () => {
    const receipt = priceUsage(usage, DEFAULT_PRICES, 'STANDARD');

    expect(receipt.stepFunctionsUsd).toBeCloseTo(9 * 0.000025, 12);
    expect(receipt.lambdaUsd).toBeCloseTo(6 * 0.0000002 + 0.925 * 0.0000133334, 12);
    expect(receipt.rekognitionUsd).toBeCloseTo(0.001, 12);
    expect(receipt.totalUsd).toBeCloseTo(
      receipt.stepFunctionsUsd + receipt.lambdaUsd + receipt.rekognitionUsd,
      15,
    );
    expect(receipt).toMatchObject({
      workflowType: 'STANDARD',
      pricesAsOf: '2026-11-26',
      region: 'us-east-1',
    });
  });

  it('prices an EXPRESS execution per request and per 64 MB x 100 ms step of its duration', () => {
    const receipt = priceUsage(usage, DEFAULT_PRICES, 'EXPRESS');

    // 1,200 ms is 12 steps of 100 ms at 64 MB.
    expect(receipt.stepFunctionsUsd).toBeCloseTo(0.000001 + (64 / 1024) * 1.2 * 0.00001667, 14);
    expect(receipt.lambdaUsd).toBeCloseTo(priceUsage(usage, DEFAULT_PRICES, 'STANDARD').lambdaUsd, 15);
  });

  it('rounds an EXPRESS duration up to the next 100 ms, and bills at least one step', () => {
    const short = priceUsage({ ...usage, executionMs: 1 }, DEFAULT_PRICES, 'EXPRESS');
    const rounded = priceUsage({ ...usage, executionMs: 101 }, DEFAULT_PRICES, 'EXPRESS');

    expect(short.stepFunctionsUsd).toBeCloseTo(0.000001 + (64 / 1024) * 0.1 * 0.00001667, 14);
    expect(rounded.stepFunctionsUsd).toBeCloseTo(0.000001 + (64 / 1024) * 0.2 * 0.00001667, 14);
  });
});

describe('priceTableProblems', () => {
  it('accepts the dated default table', () => {
    expect(priceTableProblems(DEFAULT_PRICES)).toEqual([]);
  });

  it('fails when a price is negative or not a number, or the date or region is not one', () => {
    const problems = priceTableProblems({
      ...DEFAULT_PRICES,
      asOf: 'November',
      region: 'mars',
      lambda: { perRequest: -1, perGbSecond: Number.NaN },
    });

    expect(problems).toEqual([
      'pricing.asOf must be the date the prices were read, as YYYY-MM-DD, got "November"',
      'pricing.region must be an AWS region name like us-east-1, got "mars"',
      'pricing.lambda.perRequest must be a price in US dollars (a number >= 0), got -1',
      'pricing.lambda.perGbSecond must be a price in US dollars (a number >= 0), got NaN',
    ]);
  });
});
