/**
 * The cost receipt: what one photo's processing cost on AWS, estimated from its execution (states
 * entered, Task durations, retries) with a dated price table (lib/config.ts, `pricing`). Pure: the
 * API (GET /photos/{photoId}) and `npm run bench` both use it.
 */
import type { TimelineStep } from './api';
import { ConfigurationError } from './errors';

/** AWS list prices for one region on one date; see DEFAULT_PRICES in lib/config.ts for the sources. */
export interface PriceTable {
  /** ISO date (YYYY-MM-DD) the prices were read from the pricing pages. */
  readonly asOf: string;
  readonly region: string;
  readonly stepFunctions: {
    /** STANDARD workflows: per state transition (retries included). */
    readonly standardPerTransition: number;
    /** EXPRESS workflows: per execution (request). */
    readonly expressPerRequest: number;
    /** EXPRESS workflows: per GB-second, billed in 64 MB and 100 ms increments. */
    readonly expressPerGbSecond: number;
  };
  readonly lambda: {
    readonly perRequest: number;
    /** arm64 (Graviton), the first pricing tier. */
    readonly perGbSecond: number;
  };
  readonly rekognition: {
    /** DetectLabels, per image, the first pricing tier (first million images a month). */
    readonly detectLabelsPerImage: number;
  };
}

/** What the API needs to price an execution: the prices, the workflow type and each Task's memory. */
export interface CostModel {
  readonly prices: PriceTable;
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  /** Memory (MB) of the function each Task state invokes, by state name. */
  readonly taskMemoryMb: Readonly<Record<string, number>>;
}

/** What one execution used, as far as AWS bills it. */
export interface ExecutionUsage {
  /** States entered plus retries: what STANDARD workflows bill. */
  readonly stateTransitions: number;
  /** Lambda invocations (Task attempts). */
  readonly lambdaRequests: number;
  /** Sum over Task attempts of duration × memory. */
  readonly lambdaGbSeconds: number;
  /** DetectLabels calls that Rekognition answered (billed per image). */
  readonly rekognitionCalls: number;
  /** First state entered to last state left: what EXPRESS workflows bill by. */
  readonly executionMs: number;
}

/** The receipt the photo view shows; amounts in US dollars. */
export interface CostReceipt {
  readonly usage: ExecutionUsage;
  readonly stepFunctionsUsd: number;
  readonly lambdaUsd: number;
  readonly rekognitionUsd: number;
  readonly totalUsd: number;
  readonly workflowType: 'STANDARD' | 'EXPRESS';
  /** Which prices: region and date. */
  readonly pricesAsOf: string;
  readonly region: string;
}

/** EXPRESS bills memory in 64 MB steps (64 MB at least) and duration in 100 ms steps. */
export const EXPRESS_MEMORY_STEP_GB = 64 / 1024;
export const EXPRESS_DURATION_STEP_MS = 100;

/**
 * Usage from an execution's timeline (lambda/get-photo/timeline.ts). A Task step's duration runs
 * from entering the state to leaving it, so it also holds Lambda's invoke overhead and any retry
 * waits: the Lambda figure is an upper bound, which is what a cost estimate should be. Tasks whose
 * state name has no memory in the model (none today) count as requests without GB-seconds.
 */
export function usageFromTimeline(
  steps: readonly TimelineStep[],
  taskMemoryMb: Readonly<Record<string, number>>,
  rekognitionCalls: number,
): ExecutionUsage {
  let stateTransitions = 0;
  let lambdaRequests = 0;
  let lambdaGbSeconds = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const step of steps) {
    // A retry re-enters the state: Step Functions bills it as a transition too.
    stateTransitions += 1 + Math.max(0, step.attempts - 1);
    const started = Date.parse(step.startedAt);
    const ended = step.endedAt ? Date.parse(step.endedAt) : started;
    first = Math.min(first, started);
    last = Math.max(last, ended);
    if (step.type !== 'Task') continue;
    lambdaRequests += Math.max(1, step.attempts);
    const memoryMb = taskMemoryMb[step.name];
    if (memoryMb && step.durationMs !== null) {
      // Lambda bills each invocation in 1 ms steps.
      lambdaGbSeconds += (memoryMb / 1024) * (Math.ceil(step.durationMs) / 1000);
    }
  }
  return {
    stateTransitions,
    lambdaRequests,
    lambdaGbSeconds,
    rekognitionCalls,
    executionMs: steps.length > 0 ? Math.max(0, last - first) : 0,
  };
}

/** The dollars of each service for that usage, under the workflow type's pricing. */
export function priceUsage(
  usage: ExecutionUsage,
  prices: PriceTable,
  workflowType: 'STANDARD' | 'EXPRESS',
): CostReceipt {
  const stepFunctionsUsd =
    workflowType === 'STANDARD'
      ? usage.stateTransitions * prices.stepFunctions.standardPerTransition
      : prices.stepFunctions.expressPerRequest +
        ((EXPRESS_MEMORY_STEP_GB *
          (Math.max(1, Math.ceil(usage.executionMs / EXPRESS_DURATION_STEP_MS)) * EXPRESS_DURATION_STEP_MS)) /
          1000) *
          prices.stepFunctions.expressPerGbSecond;
  const lambdaUsd =
    usage.lambdaRequests * prices.lambda.perRequest + usage.lambdaGbSeconds * prices.lambda.perGbSecond;
  const rekognitionUsd = usage.rekognitionCalls * prices.rekognition.detectLabelsPerImage;
  return {
    usage,
    stepFunctionsUsd,
    lambdaUsd,
    rekognitionUsd,
    totalUsd: stepFunctionsUsd + lambdaUsd + rekognitionUsd,
    workflowType,
    pricesAsOf: prices.asOf,
    region: prices.region,
  };
}

/** Problems with a price table (empty when it is fine): every price a finite number >= 0, a real date. */
export function priceTableProblems(prices: PriceTable, where = 'pricing'): string[] {
  const problems: string[] = [];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(prices.asOf) || Number.isNaN(Date.parse(prices.asOf))) {
    problems.push(`${where}.asOf must be the date the prices were read, as YYYY-MM-DD, got "${prices.asOf}"`);
  }
  if (typeof prices.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(prices.region)) {
    problems.push(`${where}.region must be an AWS region name like us-east-1, got "${prices.region}"`);
  }
  for (const [service, table] of Object.entries({
    stepFunctions: prices.stepFunctions,
    lambda: prices.lambda,
    rekognition: prices.rekognition,
  })) {
    for (const [name, value] of Object.entries(table ?? {})) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        problems.push(
          `${where}.${service}.${name} must be a price in US dollars (a number >= 0), got ${value}`,
        );
      }
    }
  }
  return problems;
}

/** The COST_MODEL variable, checked: a wrong one stops the function at start-up, not at a request. */
export function parseCostModel(text: string): CostModel {
  let model: CostModel;
  try {
    model = JSON.parse(text) as CostModel;
  } catch {
    throw new ConfigurationError(
      'COST_MODEL is not JSON; the stack sets it from the config (lib/cost-model.ts).',
    );
  }
  const problems = [
    ...(model?.prices ? priceTableProblems(model.prices, 'COST_MODEL.prices') : ['COST_MODEL has no prices']),
    ...(model?.workflowType === 'STANDARD' || model?.workflowType === 'EXPRESS'
      ? []
      : [`COST_MODEL.workflowType must be STANDARD or EXPRESS, got ${String(model?.workflowType)}`]),
    ...Object.entries(model?.taskMemoryMb ?? {})
      .filter(([, mb]) => !Number.isInteger(mb) || mb < 128)
      .map(
        ([state, mb]) => `COST_MODEL.taskMemoryMb.${state} must be a whole number of MB >= 128, got ${mb}`,
      ),
  ];
  if (problems.length > 0) throw new ConfigurationError(`COST_MODEL is not valid: ${problems.join('; ')}.`);
  return model;
}
