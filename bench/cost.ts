/**
 * The cost part of `npm run bench`: what a million photos would cost on AWS, from the executions the
 * burst actually ran (states entered, retries, each Task's time at its function's memory, Rekognition
 * calls), priced with the config's dated table for both workflow types.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { timelineFrom } from '../lambda/get-photo/timeline';
import {
  type CostModel,
  type CostReceipt,
  type PriceTable,
  priceUsage,
  usageFromTimeline,
} from '../lambda/shared/cost';

/** The targets per million photos, Rekognition excluded. */
export const COST_TARGETS_USD_PER_MILLION = { STANDARD: 100, EXPRESS: 25 } as const;

export interface WorkflowCost {
  workflowType: 'STANDARD' | 'EXPRESS';
  /** Per million photos, US dollars. */
  stepFunctionsUsd: number;
  lambdaUsd: number;
  rekognitionUsd: number;
  excludingRekognitionUsd: number;
  targetUsd: number;
  meetsTarget: boolean;
}

export interface CostResult {
  /** Executions priced (READY photos of the burst). */
  photos: number;
  pricesAsOf: string;
  region: string;
  /** Means per photo over those executions. */
  perPhoto: {
    stateTransitions: number;
    lambdaRequests: number;
    lambdaGbSeconds: number;
    executionMs: number;
  };
  standard: WorkflowCost;
  express: WorkflowCost;
}

export interface PricedExecution {
  events: readonly HistoryEvent[];
  rekognitionCalls: number;
}

/** Prices each execution under both workflow types and scales the mean to a million photos. */
export function costPerMillion(executions: readonly PricedExecution[], model: CostModel): CostResult {
  const usages = executions.map((e) =>
    usageFromTimeline(timelineFrom(e.events), model.taskMemoryMb, e.rekognitionCalls),
  );
  const mean = (pick: (u: (typeof usages)[number]) => number) =>
    usages.length === 0 ? Number.NaN : usages.reduce((sum, u) => sum + pick(u), 0) / usages.length;
  const perWorkflow = (workflowType: 'STANDARD' | 'EXPRESS'): WorkflowCost => {
    const receipts = usages.map((u) => priceUsage(u, model.prices, workflowType));
    const million = (pick: (r: CostReceipt) => number) =>
      receipts.length === 0
        ? Number.NaN
        : (receipts.reduce((sum, r) => sum + pick(r), 0) / receipts.length) * 1e6;
    const stepFunctionsUsd = million((r) => r.stepFunctionsUsd);
    const lambdaUsd = million((r) => r.lambdaUsd);
    const excludingRekognitionUsd = stepFunctionsUsd + lambdaUsd;
    const targetUsd = COST_TARGETS_USD_PER_MILLION[workflowType];
    return {
      workflowType,
      stepFunctionsUsd,
      lambdaUsd,
      rekognitionUsd: million((r) => r.rekognitionUsd),
      excludingRekognitionUsd,
      targetUsd,
      meetsTarget: excludingRekognitionUsd <= targetUsd,
    };
  };
  return {
    photos: usages.length,
    pricesAsOf: model.prices.asOf,
    region: model.prices.region,
    perPhoto: {
      stateTransitions: mean((u) => u.stateTransitions),
      lambdaRequests: mean((u) => u.lambdaRequests),
      lambdaGbSeconds: mean((u) => u.lambdaGbSeconds),
      executionMs: mean((u) => u.executionMs),
    },
    standard: perWorkflow('STANDARD'),
    express: perWorkflow('EXPRESS'),
  };
}

export type { PriceTable };
