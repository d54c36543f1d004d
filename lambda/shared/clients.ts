import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

// Default configuration only: region, credentials and endpoints come from the environment, so the
// local cloud redirects these clients with AWS_ENDPOINT_URL_S3 / _DYNAMODB / _SFN / _REKOGNITION and
// no handler needs a local-mode branch. Each client is created on first use and kept for the life of
// the execution environment; functions (not module-level constants) let the bundler drop the SDKs a
// handler does not use.

let s3: S3Client | undefined;
let sfn: SFNClient | undefined;
let rekognition: RekognitionClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;

export function s3Client(): S3Client {
  s3 ??= tracer.captureAWSv3Client(new S3Client({}));
  return s3;
}

export function sfnClient(): SFNClient {
  sfn ??= tracer.captureAWSv3Client(new SFNClient({}));
  return sfn;
}

export function rekognitionClient(): RekognitionClient {
  rekognition ??= tracer.captureAWSv3Client(new RekognitionClient({}));
  return rekognition;
}

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    // Optional fields may be absent in events; DynamoDB rejects undefined, so drop them.
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}
