/**
 * ReconcilePhoto: EventBridge "Step Functions Execution Status Change" events of ImageProc with status
 * FAILED, TIMED_OUT or ABORTED → the photo's record FAILED with the reason, when the record still
 * belongs to that execution and is PROCESSING (an execution that ends outside the definition's own
 * catches: aborted, timed out, States.DataLimitExceeded, ...).
 *
 * Environment:
 *   TABLE_NAME                  the ImageMetadata table
 *   EXECUTION_TIMEOUT_SECONDS   the state machine's TimeoutSeconds, for the TIMED_OUT reason
 *
 * Returns { marked, reason }: marked is false when the record is gone, final or another execution's.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { requireIntEnv } from '../shared/env';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { photoTableFromEnv } from '../shared/resources';
import { parseExecutionStopped, type ReconcileOutcome, reconcilePhoto } from './reconcile-photo';

const deps = {
  ...photoTableFromEnv(),
  executionTimeoutSeconds: requireIntEnv('EXECUTION_TIMEOUT_SECONDS', { min: 1 }),
  log: logger,
};

export const handler = withPowertools(async (event: unknown): Promise<ReconcileOutcome> => {
  const stopped = parseExecutionStopped(event);
  logger.appendKeys({ owner: stopped.owner, photoId: stopped.photoId, status: stopped.status });
  const outcome = await reconcilePhoto(stopped, deps);
  if (outcome.marked) {
    logger.info('Photo marked FAILED', { reason: outcome.reason, executionArn: stopped.executionArn });
    metrics.addMetric('PhotosReconciled', MetricUnit.Count, 1);
  }
  return outcome;
});
