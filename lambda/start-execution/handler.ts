/**
 * ImageProcStartExecution: S3 ObjectCreated events under Incoming/ → one PROCESSING record and one
 * ImageProc execution per uploaded photo.
 *
 * Environment:
 *   TABLE_NAME         the ImageMetadata table
 *   STATE_MACHINE_ARN  the ImageProc state machine
 *
 * Event: S3Event (every record is handled). Returns nothing; throws StartExecutionFailed naming the
 * keys that could not be started, so Lambda's async retry redelivers the event (idempotent). An event
 * for an upload that was deleted since (a tombstone, see delete-photo) starts nothing. A record whose
 * execution could not be started is marked FAILED with the reason before the throw, and a retry or a
 * redrive of the dead-lettered event (`npm run redrive`) reopens and starts it (see startOrMarkFailed).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Event } from 'aws-lambda';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { imageProcFromEnv, photoTableFromEnv } from '../shared/resources';
import { readRecords, type StartOutcome, startAll } from './start-execution';

const deps = { ...photoTableFromEnv(), ...imageProcFromEnv(), log: logger };

export const handler = withPowertools(async (event: S3Event): Promise<void> => {
  // S3 sends a TestEvent (no Records) when the notification is configured.
  const { uploads, skipped } = readRecords(Array.isArray(event?.Records) ? event.Records : []);
  for (const { key, why } of skipped) {
    logger.info('Record skipped', { key, why });
  }
  const outcomes = await startAll(uploads, deps);
  const count = (...statuses: StartOutcome['status'][]) =>
    outcomes.filter((o) => statuses.includes(o.status)).length;
  metrics.addMetric('ExecutionsStarted', MetricUnit.Count, count('started', 'resumed'));
  metrics.addMetric('DuplicateEvents', MetricUnit.Count, count('resumed', 'duplicate', 'deleted'));
  metrics.addMetric('EventsForDeletedPhotos', MetricUnit.Count, count('deleted'));
});
