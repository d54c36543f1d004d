/**
 * Uploads photos to PhotoRepo under Incoming/ and waits for each to reach a terminal status: what a
 * user does, through the same SDK calls. Used by `npm run pipeline` and the end-to-end tests.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { INCOMING_PREFIX, type PhotoRecord } from '../lambda/shared/model';
import { EMPTY_METADATA, type PhotoView, TERMINAL_STATUSES, toPhotoView } from '../lambda/shared/photo-view';
import { LOCAL_OWNER } from './ports';

/** The owner the tools upload as unless told otherwise (defined with the local cloud's identity). */
export { LOCAL_OWNER };

export interface PipelineClients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  sfn: SFNClient;
  destroy(): void;
}

/** SDK clients for the endpoints in `env` (a local cloud's clientEnvironment()). */
export function pipelineClients(env: Record<string, string>): PipelineClients {
  const common = {
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
  const s3 = new S3Client({
    ...common,
    endpoint: env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
  );
  const sfn = new SFNClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_SFN });
  return {
    s3,
    dynamo,
    sfn,
    destroy() {
      s3.destroy();
      dynamo.destroy();
      sfn.destroy();
    },
  };
}

export interface PipelineTarget {
  bucket: string;
  table: string;
}

export type PipelineResult = PhotoView & { file: string };

export interface RunOptions {
  owner?: string;
  /** Uploads in flight at once. @default 8 */
  concurrency?: number;
  /** How long to wait for all photos to reach a terminal status. @default 300000 */
  timeoutMs?: number;
  /** Called whenever a photo is uploaded or finishes. */
  onProgress?: (progress: { uploaded: number; finished: number; total: number }) => void;
}

/** Content types S3 would be told by a browser; the pipeline itself sniffs the bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.avif': 'image/avif',
};

export async function uploadPhoto(
  clients: PipelineClients,
  bucket: string,
  file: string,
  owner = LOCAL_OWNER,
): Promise<{ photoId: string; key: string }> {
  const extension = extname(file).toLowerCase();
  const photoId = randomUUID();
  const key = `${INCOMING_PREFIX}${owner}/${photoId}${extension || '.bin'}`;
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: await readFile(file),
      ContentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      Metadata: { 'original-name': encodeURIComponent(basename(file)) },
    }),
  );
  return { photoId, key };
}

/** Reads a photo's record; null while start-execution has not written it yet. */
export async function readRecord(clients: PipelineClients, table: string, owner: string, photoId: string) {
  const { Item } = await clients.dynamo.send(
    new GetCommand({ TableName: table, Key: { owner, photoId }, ConsistentRead: true }),
  );
  return (Item as PhotoRecord | undefined) ?? null;
}

export async function describePhoto(clients: PipelineClients, record: PhotoRecord): Promise<PhotoView> {
  const describe = () =>
    record.executionId
      ? clients.sfn
          .send(new DescribeExecutionCommand({ executionArn: record.executionId }))
          .catch(() => undefined)
      : Promise.resolve(undefined);
  let execution = await describe();
  // The record turns terminal one state before the execution closes (RecordReady, then PhotoReady):
  // give it a moment so the duration is known.
  for (let tries = 0; execution?.status === 'RUNNING' && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    execution = await describe();
  }
  return toPhotoView(
    record,
    execution && { status: execution.status!, startDate: execution.startDate, stopDate: execution.stopDate },
  );
}

/** Uploads every file, then waits until each photo is READY, REJECTED or FAILED (or the time is up). */
export async function runPipeline(
  clients: PipelineClients,
  target: PipelineTarget,
  files: string[],
  options: RunOptions = {},
): Promise<PipelineResult[]> {
  const owner = options.owner ?? LOCAL_OWNER;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const progress = { uploaded: 0, finished: 0, total: files.length };
  const report = () => options.onProgress?.({ ...progress });

  const uploads = await mapLimit(files, options.concurrency ?? 8, async (file) => {
    const upload = await uploadPhoto(clients, target.bucket, file, owner);
    progress.uploaded += 1;
    report();
    return upload;
  });
  return Promise.all(
    uploads.map(async ({ photoId, key }, index) => {
      let record: PhotoRecord | null = null;
      // Often at first, when a small photo may already be done, then less: a local read is cheap,
      // but a thousand photos polled every 50 ms would keep the cloud busy answering.
      for (let pause = 50; Date.now() < deadline; pause = Math.min(pause * 1.5, 500)) {
        record = await readRecord(clients, target.table, owner, photoId);
        if (record && TERMINAL_STATUSES.includes(record.status)) break;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
      progress.finished += 1;
      report();
      const view = record ? await describePhoto(clients, record) : notStarted(photoId, key);
      return { file: files[index], ...view };
    }),
  );
}

/** What is shown for an upload whose pipeline never wrote a record before the time ran out. */
function notStarted(photoId: string, key: string): PhotoView {
  return {
    photoId,
    key,
    status: 'PROCESSING',
    reason: 'No record was written: the upload event did not start the pipeline in time',
    metadata: EMPTY_METADATA,
    labels: [],
    thumbnail: null,
    rendition: null,
    execution: { name: '', status: null, durationMs: null },
    uploadedAt: '',
    duplicateOf: null,
    attempts: 1,
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}
