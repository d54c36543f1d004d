/**
 * The project's resources as the handlers reach them: each one's name from the environment the CDK
 * construct sets, with the shared client for its service. Called once, at a handler's start-up, so a
 * missing variable fails the cold start (requireEnv names it), never a request.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient, s3Client, sfnClient } from './clients';
import { requireEnv } from './env';

/** The ImageMetadata table. */
export interface PhotoTable {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The PhotoRepo bucket. */
export interface PhotoBucket {
  readonly s3: S3Client;
  readonly bucket: string;
}

/** The ImageProc state machine. */
export interface ImageProc {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
}

/** TABLE_NAME. */
export function photoTableFromEnv(): PhotoTable {
  return { tableName: requireEnv('TABLE_NAME'), dynamo: dynamoDocumentClient() };
}

/** PHOTO_BUCKET. */
export function photoBucketFromEnv(): PhotoBucket {
  return { bucket: requireEnv('PHOTO_BUCKET'), s3: s3Client() };
}

/** STATE_MACHINE_ARN. */
export function imageProcFromEnv(): ImageProc {
  return { stateMachineArn: requireEnv('STATE_MACHINE_ARN'), sfn: sfnClient() };
}
