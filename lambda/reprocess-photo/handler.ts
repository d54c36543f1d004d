/**
 * ReprocessPhoto: the PreparePhoto step of the reprocess workflow (lib/reprocess.ts), once per object
 * the Distributed Map lists under Incoming/. Skips what is up to date, deleted or being processed;
 * otherwise claims the photo's record and returns ImageProc's input.
 *
 * Environment:
 *   TABLE_NAME        the ImageMetadata table
 *   PIPELINE_VERSION  the pipeline version this deployment makes (lib/pipeline-version.ts)
 *
 * Event: ReprocessItem `{ bucket, key, run }` (PreparePhoto), which returns PrepareResult; or
 * ReleaseRequest `{ release, error }` (ReleasePhoto, when ImageProc could not be started for a
 * claimed photo), which returns `{ released }`.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { requireEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import {
  isReleaseRequest,
  preparePhoto,
  type ReleaseRequest,
  type ReprocessItem,
  releaseUnstarted,
} from './reprocess-photo';

const deps = { ...photoTableFromEnv(), pipelineVersion: requireEnv('PIPELINE_VERSION'), log: logger };

export const handler = withPowertools(async (event: ReprocessItem | ReleaseRequest) => {
  if (isReleaseRequest(event)) {
    const released = await releaseUnstarted(event, deps);
    if (released.released) metrics.addMetric('ReprocessStartsFailed', MetricUnit.Count, 1);
    return released;
  }
  const result = await preparePhoto(event, deps);
  metrics.addMetric(result.action === 'process' ? 'PhotosReprocessed' : 'PhotosSkipped', MetricUnit.Count, 1);
  return result;
});
