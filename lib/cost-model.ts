import { type CostModel, type ExecutionUsage, priceUsage } from '../lambda/shared/cost';
import { OUTCOME_PATHS, STATES } from '../lambda/shared/workflow';
import type { FunctionName, PipelineConfig } from './config';

/**
 * Which function each ImageProc Task state invokes (state names as lib/image-processing.ts gives
 * them): the receipt prices a Task's time at that function's memory. test/infra checks that every
 * Task of the definition is here, so a renamed state cannot silently drop out of the receipt.
 */
export const TASK_FUNCTIONS: Readonly<Record<string, FunctionName>> = {
  [STATES.extractImageMetadata]: 'extractMetadata',
  [STATES.storeImageMetadata]: 'recordPhoto',
  [STATES.detectLabels]: 'detectLabels',
  [STATES.generateThumbnail]: 'generateThumbnail',
  [STATES.generateRendition]: 'generateRendition',
  [STATES.recordReady]: 'recordPhoto',
  [STATES.recordRejection]: 'recordPhoto',
  [STATES.recordFailure]: 'recordPhoto',
};

/** The cost model GetPhoto prices executions with (its COST_MODEL variable). */
export function costModelFor(config: PipelineConfig): CostModel {
  return {
    prices: config.pricing,
    workflowType: config.workflowType,
    taskMemoryMb: Object.fromEntries(
      Object.entries(TASK_FUNCTIONS).map(([state, fn]) => [state, config.functions[fn].memoryMb]),
    ),
  };
}

/** Which function each Task state of the reprocess workflow's children invokes (lib/reprocess.ts). */
export const REPROCESS_TASK_FUNCTIONS: Readonly<Record<string, FunctionName>> = {
  PreparePhoto: 'reprocessPhoto',
  ReleasePhoto: 'reprocessPhoto',
};

/**
 * The states a photo passes through, for pricing a run before it happens: ImageProc's path for a
 * supported photo, and a reprocess child's path when it redoes or skips the photo. test/infra checks
 * each name is a state of its definition, so a renamed state cannot silently drop out of the estimate.
 */
export const ESTIMATE_PATHS = {
  imageProc: OUTCOME_PATHS.READY,
  redo: ['PreparePhoto', 'ShouldReprocess', 'RunImageProc', 'PhotoReprocessed'],
  skip: ['PreparePhoto', 'ShouldReprocess', 'PhotoSkipped'],
} as const;

/**
 * What each Task is assumed to take, in ms, for an estimate made before the run: the upper end of a
 * 12 MP JPEG's times in `npm run bench` on arm64 (a photo without a rendition; DetectLabels mostly
 * waits for Rekognition). An estimate, not a receipt: each photo's receipt (GET /photos/{id}) is
 * priced from its own execution afterwards.
 */
export const ESTIMATED_TASK_MS: Readonly<Record<string, number>> = {
  ExtractImageMetadata: 200,
  StoreImageMetadata: 100,
  GenerateRendition: 100,
  DetectLabels: 1000,
  GenerateThumbnail: 600,
  RecordReady: 100,
  PreparePhoto: 100,
};

/** A reprocess run's estimated cost, in US dollars. */
export interface ReprocessEstimate {
  readonly photos: number;
  readonly skipped: number;
  /** One redone photo: its reprocess child, its ImageProc run and one DetectLabels call. */
  readonly perPhotoUsd: number;
  /** One skipped photo: its reprocess child only. */
  readonly perSkippedUsd: number;
  readonly totalUsd: number;
  /** Of totalUsd: Rekognition, one DetectLabels call per redone photo (an upper bound: duplicates reuse labels). */
  readonly rekognitionUsd: number;
  readonly pricesAsOf: string;
  readonly region: string;
}

/** Prices a run that redoes `photos` and skips `skipped`, with the config's price table and memory. */
export function estimateReprocessCost(
  config: PipelineConfig,
  photos: number,
  skipped: number,
): ReprocessEstimate {
  const memoryOf = (state: string) => {
    const fn = TASK_FUNCTIONS[state] ?? REPROCESS_TASK_FUNCTIONS[state];
    return fn ? config.functions[fn].memoryMb : undefined;
  };
  const usageOf = (path: readonly string[], rekognitionCalls: number): ExecutionUsage => {
    let lambdaRequests = 0;
    let lambdaGbSeconds = 0;
    let executionMs = 0;
    for (const state of path) {
      const memoryMb = memoryOf(state);
      if (memoryMb === undefined) continue;
      const ms = ESTIMATED_TASK_MS[state] ?? 0;
      lambdaRequests += 1;
      lambdaGbSeconds += (memoryMb / 1024) * (ms / 1000);
      executionMs += ms;
    }
    return { stateTransitions: path.length, lambdaRequests, lambdaGbSeconds, rekognitionCalls, executionMs };
  };
  const child = (path: readonly string[]) =>
    priceUsage(usageOf(path, 0), config.pricing, 'STANDARD').totalUsd;
  const imageProc = priceUsage(usageOf(ESTIMATE_PATHS.imageProc, 1), config.pricing, config.workflowType);
  const perPhotoUsd = child(ESTIMATE_PATHS.redo) + imageProc.totalUsd;
  const perSkippedUsd = child(ESTIMATE_PATHS.skip);
  // The map run itself: one transition for the Map state of the parent execution.
  const runUsd = config.pricing.stepFunctions.standardPerTransition;
  return {
    photos,
    skipped,
    perPhotoUsd,
    perSkippedUsd,
    totalUsd: runUsd + photos * perPhotoUsd + skipped * perSkippedUsd,
    rekognitionUsd: photos * imageProc.rekognitionUsd,
    pricesAsOf: config.pricing.asOf,
    region: config.pricing.region,
  };
}
