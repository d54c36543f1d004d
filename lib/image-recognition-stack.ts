import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { ImageProcessing } from './image-processing';
import { PhotoApi } from './photo-api';
import { PhotoReconciler } from './photo-reconciler';
import { PhotoStorage } from './photo-storage';
import { WebHosting } from './web-hosting';

export interface ImageRecognitionStackProps extends StackProps {
  readonly config: PipelineConfig;
}

/** The whole app in one stack: storage, the ImageProc workflow and its upload trigger, the photo API and sign-in, the web app. */
export class ImageRecognitionStack extends Stack {
  public readonly storage: PhotoStorage;
  public readonly processing: ImageProcessing;
  /** Present for STANDARD workflows: EXPRESS executions send no status-change events. */
  public readonly reconciler?: PhotoReconciler;
  public readonly api: PhotoApi;
  public readonly web: WebHosting;

  constructor(scope: Construct, id: string, props: ImageRecognitionStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.storage = new PhotoStorage(this, 'Storage', { config });
    this.processing = new ImageProcessing(this, 'Processing', {
      config,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
    });
    if (config.workflowType === 'STANDARD') {
      this.reconciler = new PhotoReconciler(this, 'Reconciler', {
        config,
        stateMachine: this.processing.stateMachine,
        imageMetadata: this.storage.imageMetadata,
      });
    }
    this.web = new WebHosting(this, 'Web', {
      accessLogs: this.storage.accessLogs,
      logRetentionDays: config.logRetentionDays,
    });
    this.api = new PhotoApi(this, 'Api', {
      config,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
      stateMachine: this.processing.stateMachine,
      allowedOrigins: [this.web.url],
      callbackUrls: [`${this.web.url}/`],
      logoutUrls: [`${this.web.url}/`],
    });
    // The browser uploads straight to PhotoRepo with the presigned POST: only the web app's origin may.
    this.storage.photoRepo.addCorsRule({
      allowedOrigins: [this.web.url],
      allowedMethods: [s3.HttpMethods.POST],
      allowedHeaders: ['*'],
      exposedHeaders: ['ETag'],
      maxAge: 3000,
    });
    // The Content-Security-Policy names the exact Cognito domain, but only the region's API Gateway and
    // S3 domains: the API's CORS and PhotoRepo's CORS rule name this distribution, so the exact API or
    // bucket host in the distribution's own header policy would be a dependency cycle.
    this.web.useContentSecurityPolicy({
      apiOrigin: `https://*.execute-api.${this.region}.${this.urlSuffix}`,
      cognitoOrigin: this.api.userPoolDomain.baseUrl(),
      photoBucketOrigin: `https://*.s3.${this.region}.${this.urlSuffix}`,
    });
    this.web.publish({
      apiUrl: this.api.httpApi.apiEndpoint,
      region: this.region,
      userPoolId: this.api.userPool.userPoolId,
      clientId: this.api.userPoolClient.userPoolClientId,
      cognitoDomain: this.api.userPoolDomain.baseUrl(),
    });

    new CfnOutput(this, 'PhotoRepoBucketName', { value: this.storage.photoRepo.bucketName });
    new CfnOutput(this, 'ImageMetadataTableName', { value: this.storage.imageMetadata.tableName });
    new CfnOutput(this, 'ImageProcStateMachineArn', { value: this.processing.stateMachine.stateMachineArn });
    // What `npm run redrive -- --aws` reads: the dead-lettered upload events and the function to replay them.
    new CfnOutput(this, 'StartExecutionDeadLetterQueueUrl', {
      value: this.processing.startExecutionDeadLetters.queueUrl,
    });
    new CfnOutput(this, 'StartExecutionFunctionName', {
      value: this.processing.startExecution.functionName,
    });
    new CfnOutput(this, 'WebAppUrl', { value: this.web.url });
    new CfnOutput(this, 'ApiUrl', { value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'CognitoDomain', { value: this.api.userPoolDomain.baseUrl() });
  }
}
