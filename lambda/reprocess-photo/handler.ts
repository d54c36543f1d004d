/**
 * ReprocessPhoto: the PreparePhoto step of the reprocess workflow (lib/reprocess.ts), once per object
 * the Distributed Map lists under Incoming/. Skips what is up to date, deleted or being processed;
 * otherwise claims the photo's record and returns ImageProc's input.
 *
 * Environment:
 *   TABLE_NAME        the ImageMetadata table
 *   PIPELINE_VERSION  the pipeline version this deployment makes (lib/pipeline-version.ts)
 *
 * Event: ReprocessItem `{ bucket, key, run }`. Returns PrepareResult.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { requireEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import { preparePhoto, type ReprocessItem } from './reprocess-photo';

const deps = { ...photoTableFromEnv(), pipelineVersion: requireEnv('PIPELINE_VERSION'), log: logger };

export const handler = withPowertools(async (event: ReprocessItem) => {
  const result = await preparePhoto(event, deps);
  metrics.addMetric(result.action === 'process' ? 'PhotosReprocessed' : 'PhotosSkipped', MetricUnit.Count, 1);
  return result;
});
