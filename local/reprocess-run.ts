/**
 * What `npm run reprocess` does, against the local cloud or a deployed stack alike (SDK clients for
 * either): the dry run (count and price the photos a run would redo) and the run (start the reprocess
 * workflow, follow its map run with DescribeMapRun, read its results from ResultWriter's files).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  type DescribeMapRunCommandOutput,
  ListMapRunsCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decide, findRecordOfKey, type SkipReason } from '../lambda/reprocess-photo/reprocess-photo';
import { INCOMING_PREFIX, REPROCESS_RESULTS_PREFIX } from '../lambda/shared/model';
import type { PipelineConfig } from '../lib/config';
import { estimateReprocessCost, type ReprocessEstimate } from '../lib/cost-model';

export interface ReprocessClients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
}

/** The stack's outputs the tool needs (local: running.json; AWS: describe-stacks). */
export interface ReprocessTarget {
  readonly bucket: string;
  readonly table: string;
  readonly stateMachineArn: string;
  readonly pipelineVersion: string;
}

/** The stack outputs a target is read from, with what to do when one is missing. */
export function reprocessTarget(outputs: Record<string, string | undefined>, where: string): ReprocessTarget {
  const output = (key: string) => {
    const value = outputs[key];
    if (!value)
      throw new Error(
        `${where} has no output ${key}: deploy (or start) a version with the reprocess workflow`,
      );
    return value;
  };
  return {
    bucket: output('PhotoRepoBucketName'),
    table: output('ImageMetadataTableName'),
    stateMachineArn: output('ReprocessStateMachineArn'),
    pipelineVersion: output('PipelineVersion'),
  };
}

export interface DryRun {
  /** Photos the run would redo. */
  readonly photos: number;
  readonly skipped: number;
  readonly skippedBy: Partial<Record<SkipReason, number>>;
  readonly estimate: ReprocessEstimate;
}

/** GetItems in flight at once while the dry run reads the records. */
const READ_CONCURRENCY = 16;

/**
 * Lists Incoming/ as the workflow's ItemReader does and applies the workflow's own rule (decide) to
 * each photo's record; prices the run with the cost model.
 */
export async function dryRun(
  clients: ReprocessClients,
  target: ReprocessTarget,
  options: { readonly all: boolean; readonly config: PipelineConfig },
): Promise<DryRun> {
  const keys = await listIncoming(clients.s3, target.bucket);
  const skippedBy: Partial<Record<SkipReason, number>> = {};
  let photos = 0;
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const found = key.endsWith('/')
        ? undefined
        : await findRecordOfKey(target.bucket, key, { dynamo: clients.dynamo, tableName: target.table });
      const decision = decide(found, { pipelineVersion: target.pipelineVersion, all: options.all });
      if (decision.action === 'process') photos++;
      else skippedBy[decision.reason] = (skippedBy[decision.reason] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  const skipped = keys.length - photos;
  return { photos, skipped, skippedBy, estimate: estimateReprocessCost(options.config, photos, skipped) };
}

async function listIncoming(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: INCOMING_PREFIX, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** DescribeMapRun's item counts, as the progress bar shows them. */
export interface RunProgress {
  readonly total: number;
  readonly done: number;
  readonly running: number;
  readonly failed: number;
}

export interface RunSummary {
  readonly status: string;
  readonly executionArn: string;
  readonly mapRunArn: string | null;
  /** Photos ImageProc ran again and that ended READY. */
  readonly processed: number;
  /** Photos ImageProc ran again and that ended REJECTED (not failures). */
  readonly rejected: number;
  /** Photos whose ImageProc failed (or timed out): their records say FAILED with the reason. */
  readonly failed: number;
  /** Children stopped before they finished (the run failed or was stopped): run again to finish them. */
  readonly stopped: number;
  readonly skipped: number;
  readonly skippedBy: Partial<Record<SkipReason, number>>;
  /** The run's error (States.ExceedToleratedFailureThreshold, ...) when it did not succeed. */
  readonly error: string | null;
  readonly cause: string | null;
  readonly durationMs: number;
}

/**
 * Starts the reprocess workflow and waits for it: progress from DescribeMapRun every `pollMs`, the
 * summary from ResultWriter's files once it has ended.
 */
export async function runReprocess(
  clients: ReprocessClients,
  target: ReprocessTarget,
  options: {
    readonly all: boolean;
    readonly timeoutMs: number;
    readonly pollMs?: number;
    readonly onProgress?: (progress: RunProgress) => void;
  },
): Promise<RunSummary> {
  const started = Date.now();
  const { executionArn = '' } = await clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      input: JSON.stringify(options.all ? { all: true } : {}),
    }),
  );
  const pollMs = options.pollMs ?? 500;
  let mapRunArn: string | undefined;
  let execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  while (execution.status === 'RUNNING') {
    if (Date.now() - started > options.timeoutMs) {
      throw new Error(
        `The reprocess run ${executionArn} is still running after ${Math.round(options.timeoutMs / 1000)} s; follow it in the console or run again later with a longer --timeout`,
      );
    }
    mapRunArn ??= (await clients.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.[0]?.mapRunArn;
    if (mapRunArn) {
      options.onProgress?.(progressOf(await clients.sfn.send(new DescribeMapRunCommand({ mapRunArn }))));
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  mapRunArn ??= (await clients.sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.[0]?.mapRunArn;
  let counts = {
    processed: 0,
    rejected: 0,
    failed: 0,
    stopped: 0,
    skipped: 0,
    skippedBy: {} as Partial<Record<SkipReason, number>>,
  };
  if (mapRunArn) {
    options.onProgress?.(progressOf(await clients.sfn.send(new DescribeMapRunCommand({ mapRunArn }))));
    counts = await readResults(clients.s3, target.bucket, mapRunArn);
  }
  return {
    status: execution.status ?? 'UNKNOWN',
    executionArn,
    mapRunArn: mapRunArn ?? null,
    ...counts,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    durationMs: Date.now() - started,
  };
}

function progressOf(mapRun: DescribeMapRunCommandOutput): RunProgress {
  const counts = mapRun.itemCounts;
  const failed = (counts?.failed ?? 0) + (counts?.timedOut ?? 0) + (counts?.aborted ?? 0);
  return {
    total: counts?.total ?? 0,
    done: (counts?.succeeded ?? 0) + failed,
    running: counts?.running ?? 0,
    failed,
  };
}

interface ResultEntry {
  readonly Output?: string;
  readonly Status?: string;
}

/** What each child did, from ResultWriter's manifest and files under ReprocessResults/<map run id>/. */
async function readResults(s3: S3Client, bucket: string, mapRunArn: string) {
  const readJson = async <T>(key: string): Promise<T> => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await object.Body!.transformToString()) as T;
  };
  const manifest = await readJson<{ ResultFiles: Record<string, { Key: string }[]> }>(
    `${REPROCESS_RESULTS_PREFIX}/${mapRunArn.split(':').pop()}/manifest.json`,
  );
  const entries = async (status: string) =>
    (
      await Promise.all((manifest.ResultFiles[status] ?? []).map((file) => readJson<ResultEntry[]>(file.Key)))
    ).flat();
  const skippedBy: Partial<Record<SkipReason, number>> = {};
  let processed = 0;
  let rejected = 0;
  let skipped = 0;
  for (const entry of await entries('SUCCEEDED')) {
    const output = JSON.parse(entry.Output ?? 'null') as {
      action?: string;
      reason?: SkipReason;
      imageProc?: { Error?: string };
    } | null;
    if (output?.action === 'skip') {
      skipped++;
      if (output.reason) skippedBy[output.reason] = (skippedBy[output.reason] ?? 0) + 1;
    } else if (output?.imageProc?.Error) rejected++;
    else processed++;
  }
  const unfinished = await entries('FAILED');
  // FAILED, and the TIMED_OUT and ABORTED children (stopped when the run failed or was stopped).
  const failed = unfinished.filter(
    (entry) => entry.Status === 'FAILED' || entry.Status === 'TIMED_OUT',
  ).length;
  return { processed, rejected, failed, stopped: unfinished.length - failed, skipped, skippedBy };
}
