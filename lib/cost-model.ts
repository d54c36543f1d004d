import type { CostModel } from '../lambda/shared/cost';
import type { FunctionName, PipelineConfig } from './config';

/**
 * Which function each ImageProc Task state invokes (state names as lib/image-processing.ts gives
 * them): the receipt prices a Task's time at that function's memory. test/infra checks that every
 * Task of the definition is here, so a renamed state cannot silently drop out of the receipt.
 */
export const TASK_FUNCTIONS: Readonly<Record<string, FunctionName>> = {
  ExtractImageMetadata: 'extractMetadata',
  StoreImageMetadata: 'recordPhoto',
  DetectLabels: 'detectLabels',
  GenerateThumbnail: 'generateThumbnail',
  GenerateRendition: 'generateRendition',
  RecordReady: 'recordPhoto',
  RecordRejection: 'recordPhoto',
  RecordFailure: 'recordPhoto',
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
