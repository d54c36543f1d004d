import { describe, expect, it } from 'vitest';
import type { CostReceipt } from '../../lambda/shared/cost';
import { describeCost, formatUsd } from '../../web/src/cost';

describe('formatUsd', () => {
  it.each([
    [0, '$0'],
    [1.25, '$1.25'],
    [0.01, '$0.01'],
    [0.001234567, '$0.00123'],
    [0.0000213, '$0.0000213'],
    [0.0002, '$0.0002'],
    [Number.NaN, '–'],
  ])('writes %d as %s', (amount, text) => {
    expect(formatUsd(amount)).toBe(text);
  });
});

describe('describeCost', () => {
  const receipt: CostReceipt = {
    usage: {
      stateTransitions: 8,
      lambdaRequests: 5,
      lambdaGbSeconds: 0.5121,
      rekognitionCalls: 1,
      executionMs: 1234,
    },
    stepFunctionsUsd: 0.0002,
    lambdaUsd: 0.00000783,
    rekognitionUsd: 0.001,
    totalUsd: 0.00120783,
    workflowType: 'STANDARD',
    pricesAsOf: '2026-11-26',
    region: 'us-east-1',
  };

  it('says what each service share is made of, and which prices', () => {
    expect(describeCost(receipt)).toEqual({
      total: '$0.00121 (estimate)',
      lines: [
        'Step Functions $0.0002: 8 state transitions (STANDARD)',
        'Lambda $0.00000783: 5 invocations, 0.512 GB-s',
        'Rekognition $0.001: 1 DetectLabels call',
        'us-east-1 prices as of 2026-11-26',
      ],
    });
  });

  it('describes an EXPRESS execution by its request and duration', () => {
    expect(describeCost({ ...receipt, workflowType: 'EXPRESS' }).lines[0]).toBe(
      'Step Functions $0.0002: 1 request, 1.2 s (EXPRESS)',
    );
  });
});
