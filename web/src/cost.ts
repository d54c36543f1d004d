/** The cost receipt (lambda/shared/cost.ts) in words for the photo view. */
import type { CostReceipt } from '../../lambda/shared/cost';

/**
 * Dollars with enough digits to show a photo's fraction of a cent: $0.001234, $0.0000213; whole
 * cents and more as usual ($1.25).
 */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount)) return '–';
  if (amount === 0) return '$0';
  if (amount >= 0.01) return `$${amount.toFixed(2)}`;
  return `$${amount.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}

/** The receipt's total, and what each service's share is made of. */
export function describeCost(cost: CostReceipt): { total: string; lines: string[] } {
  const { usage } = cost;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const workflow =
    cost.workflowType === 'STANDARD'
      ? `${plural(usage.stateTransitions, 'state transition')}`
      : `1 request, ${(usage.executionMs / 1000).toFixed(1)} s`;
  return {
    total: `${formatUsd(cost.totalUsd)} (estimate)`,
    lines: [
      `Step Functions ${formatUsd(cost.stepFunctionsUsd)}: ${workflow} (${cost.workflowType})`,
      `Lambda ${formatUsd(cost.lambdaUsd)}: ${plural(usage.lambdaRequests, 'invocation')}, ${usage.lambdaGbSeconds.toFixed(3)} GB-s`,
      `Rekognition ${formatUsd(cost.rekognitionUsd)}: ${plural(usage.rekognitionCalls, 'DetectLabels call')}`,
      `${cost.region} prices as of ${cost.pricesAsOf}`,
    ],
  };
}
