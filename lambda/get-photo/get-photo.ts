import type { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PhotoDetail } from '../shared/api';
import { type CostModel, type CostReceipt, priceUsage, usageFromTimeline } from '../shared/cost';
import { errorName } from '../shared/errors';
import {
  type ApiEvent,
  type ApiResponse,
  callerId,
  findOwnPhoto,
  json,
  photoIdParam,
  presignedGet,
  respond,
} from '../shared/http';
import { type ExecutionSummary, toPhotoView } from '../shared/photo-view';
import type { Log } from '../shared/powertools';
import { originalDownload } from './original-download';
import { timelineFrom } from './timeline';

export interface GetPhotoDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly tableName: string;
  readonly bucket: string;
  readonly log: Log;
  /** Prices and memory sizes for the cost receipt (COST_MODEL); without it the receipt is null. */
  readonly costModel?: CostModel;
}

/** Errors that mean "no such execution to show" rather than a failure of ours. */
const UNKNOWN_EXECUTION = new Set(['ExecutionDoesNotExist', 'InvalidArn']);

/** GetExecutionHistory pages read at most: 1000 events each, beyond any ImageProc run. */
const MAX_HISTORY_PAGES = 25;

/**
 * GET /photos/{photoId}: the caller's photo with its execution's status and duration, short-lived
 * URLs of the original (served as a download, see original-download.ts), the thumbnail and the display
 * rendition (when the photo has one), and its
 * path through the state machine.
 */
export async function getPhoto(event: ApiEvent, deps: GetPhotoDeps): Promise<ApiResponse> {
  return respond(deps.log, async () => {
    const owner = callerId(event);
    const photoId = photoIdParam(event);
    const record = await findOwnPhoto(deps.dynamo, deps.tableName, owner, photoId);
    const executionArn = standardExecutionArn(record.executionId);
    const [execution, timeline, thumbnail, rendition, original] = await Promise.all([
      executionArn ? describeExecution(deps.sfn, executionArn) : undefined,
      executionArn ? executionHistory(deps.sfn, executionArn) : [],
      record.thumbnail?.key ? presignedGet(deps.s3, deps.bucket, record.thumbnail.key) : null,
      record.rendition?.key ? presignedGet(deps.s3, deps.bucket, record.rendition.key) : null,
      // A download with a content type from the sniffed format: an SVG or HTML upload never renders as a page.
      presignedGet(deps.s3, deps.bucket, record.originalKey, originalDownload(record)),
    ]);
    const steps = timelineFrom(timeline);
    const detail: PhotoDetail = {
      ...toPhotoView(record, execution),
      urls: { thumbnail, rendition, original },
      timeline: steps,
      cost: costReceipt(record.status, steps, record.rekognitionCalls ?? 0, deps.costModel),
    };
    return json(200, detail);
  });
}

/**
 * What the photo's last execution cost, once the photo is final (READY, REJECTED or FAILED) and its
 * history is known; null while it runs or when there is no history (EXPRESS, or expired).
 */
export function costReceipt(
  status: string,
  steps: PhotoDetail['timeline'],
  rekognitionCalls: number,
  model: CostModel | undefined,
): CostReceipt | null {
  if (!model || status === 'PROCESSING' || steps.length === 0) return null;
  return priceUsage(
    usageFromTimeline(steps, model.taskMemoryMb, rekognitionCalls),
    model.prices,
    model.workflowType,
  );
}

/**
 * The execution ARN when it is one whose history Step Functions keeps. Express executions
 * (`arn:…:express:…`) have no DescribeExecution or GetExecutionHistory; the record still shows their
 * outcome.
 */
export function standardExecutionArn(executionId: string | null | undefined): string | undefined {
  const parts = typeof executionId === 'string' ? executionId.split(':') : [];
  return parts.length >= 8 && parts[0] === 'arn' && parts[5] === 'execution' ? executionId! : undefined;
}

async function describeExecution(
  sfn: SFNClient,
  executionArn: string,
): Promise<ExecutionSummary | undefined> {
  try {
    const { status, startDate, stopDate } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status ? { status, startDate, stopDate } : undefined;
  } catch (error) {
    if (UNKNOWN_EXECUTION.has(errorName(error) ?? '')) return undefined;
    throw error;
  }
}

/** Every event of the execution's history, oldest first, without inputs and outputs (they hold GPS). */
async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const result = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: 1000,
          includeExecutionData: false,
          nextToken,
        }),
      );
      events.push(...(result.events ?? []));
      nextToken = result.nextToken;
      if (!nextToken) break;
    }
  } catch (error) {
    if (UNKNOWN_EXECUTION.has(errorName(error) ?? '')) return [];
    throw error;
  }
  return events;
}
