/**
 * Where the local cloud's services listen, and what a process (a function, a CLI, a test) needs in
 * its environment for unchanged SDK clients to reach them: region, the local credentials and one
 * AWS_ENDPOINT_URL_* per service.
 */
import { localCredentials } from './ports';
import { LOCAL_REGION } from './template';

export interface LocalCloudEndpoints {
  /** The web app, with the API under /api; absent when the template has no HTTP API. */
  web?: string;
  s3: string;
  dynamodb: string;
  stepfunctions: string;
  rekognition: string;
}

/** The environment a process needs for SDK clients to reach the cloud at `endpoints`. */
export function clientEnvironmentOf(endpoints: LocalCloudEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
    AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition,
    // s3rver stores aws-chunked bodies verbatim (silent corruption) and rejects flexible checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
