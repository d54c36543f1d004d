/**
 * RecordPhoto: every write the state machine makes to a photo's record (StoreImageMetadata,
 * RecordRejection, RecordReady, RecordFailure).
 *
 * Environment:
 *   TABLE_NAME        the ImageMetadata table
 *   PIPELINE_VERSION  the current pipeline version (lib/pipeline-version.ts), stored with outcomes
 *
 * Event: RecordRequest ({ action: 'metadata' | 'rejected' | 'ready' | 'failed', photo, executionId, ... },
 * see lambda/shared/model.ts); executionId is `$$.Execution.Id`. Returns { written }: false when the
 * record is gone, already final, or taken over by a newer upload (logged, not an error). The
 * `metadata` action also returns `duplicate`: a READY photo with the same bytes whose labels
 * DetectLabels reuses (StoredMetadata).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { requireEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import { parseRecordRequest, type RecordOutcome, recordPhoto } from './record-photo';

const STATUS_METRICS = { rejected: 'PhotosRejected', ready: 'PhotosReady', failed: 'PhotosFailed' } as const;

const deps = { ...photoTableFromEnv(), pipelineVersion: requireEnv('PIPELINE_VERSION'), log: logger };

export const handler = withPowertools(async (event: unknown): Promise<RecordOutcome> => {
  const request = parseRecordRequest(event);
  logger.appendKeys({ owner: request.photo.owner, photoId: request.photo.photoId, action: request.action });
  const outcome = await recordPhoto(request, deps);
  metrics.addMetric(outcome.written ? 'RecordWrites' : 'RecordWritesSkipped', MetricUnit.Count, 1);
  if (outcome.written && request.action !== 'metadata') {
    metrics.addMetric(STATUS_METRICS[request.action], MetricUnit.Count, 1);
  }
  if (outcome.duplicate) metrics.addMetric('DuplicatesFound', MetricUnit.Count, 1);
  return outcome;
});
