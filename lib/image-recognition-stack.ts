import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { SmokeTestName } from '../lambda/pre-traffic-hook/smoke-test';
import { OperationsAlarms } from './alarms';
import { executionTimeoutSeconds, type PipelineConfig } from './config';
import { ImageProcessing } from './image-processing';
import { OperationsDashboard } from './operations-dashboard';
import { PhotoApi, photoApiSettings } from './photo-api';
import { PhotoReconciler } from './photo-reconciler';
import { PhotoStorage } from './photo-storage';
import type { PipelineFunction } from './pipeline-function';
import { pipelineVersion } from './pipeline-version';
import { PhotoReprocessing } from './reprocess';
import { SafeDeployment } from './safe-deployment';
import { WebHosting } from './web-hosting';
import { IMAGE_PROC_ARN_OUTPUT } from './workflow-graph';

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
  /** The Distributed Map workflow `npm run reprocess` starts. */
  public readonly reprocessing: PhotoReprocessing;
  public readonly web: WebHosting;
  public readonly alarms: OperationsAlarms;
  public readonly deployment: SafeDeployment;
  public readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props: ImageRecognitionStackProps) {
    super(scope, id, props);
    const { config } = props;
    // Photos, their records and the accounts: kept when the stack is deleted unless the config says it is throwaway.
    const dataRemovalPolicy =
      config.dataRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.storage = new PhotoStorage(this, 'Storage', { removalPolicy: dataRemovalPolicy });
    this.processing = new ImageProcessing(this, 'Processing', {
      config,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
    });
    if (config.workflowType === 'STANDARD') {
      this.reconciler = new PhotoReconciler(this, 'Reconciler', {
        executionTimeout: Duration.seconds(executionTimeoutSeconds(config)),
        settings: config.functions.reconcilePhoto,
        logRetentionDays: config.logRetentionDays,
        stateMachine: this.processing.stateMachine,
        imageMetadata: this.storage.imageMetadata,
      });
    }
    this.reprocessing = new PhotoReprocessing(this, 'Reprocessing', {
      config,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
      imageProc: this.processing.stateMachineAlias,
    });
    this.web = new WebHosting(this, 'Web', {
      accessLogs: this.storage.accessLogs,
      logRetentionDays: config.logRetentionDays,
    });
    this.api = new PhotoApi(this, 'Api', {
      ...photoApiSettings(config),
      removalPolicy: dataRemovalPolicy,
      photoRepo: this.storage.photoRepo,
      imageMetadata: this.storage.imageMetadata,
      stateMachine: this.processing.stateMachine,
      startTarget: this.processing.stateMachineAlias,
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
      workflow: this.processing.workflowGraph(),
    });

    ({
      alarms: this.alarms,
      deployment: this.deployment,
      dashboard: this.dashboard,
    } = this.addOperations(config));

    new CfnOutput(this, 'PhotoRepoBucketName', { value: this.storage.photoRepo.bucketName });
    new CfnOutput(this, 'ImageMetadataTableName', { value: this.storage.imageMetadata.tableName });
    new CfnOutput(this, IMAGE_PROC_ARN_OUTPUT, { value: this.processing.stateMachine.stateMachineArn });
    // What uploads start: executions go through it, so its deployment preference applies to them.
    new CfnOutput(this, 'ImageProcLiveAliasArn', { value: this.processing.stateMachineAlias.aliasArn });
    // What `npm run redrive -- --aws` reads: the dead-lettered upload events and the function to replay them.
    new CfnOutput(this, 'StartExecutionDeadLetterQueueUrl', {
      value: this.processing.startExecutionDeadLetters.queueUrl,
    });
    // The live alias's ARN (Lambda takes it as a FunctionName): a redrive runs the code S3 runs.
    new CfnOutput(this, 'StartExecutionFunctionName', {
      value: this.processing.startExecution.live.functionArn,
    });
    // What `npm run reprocess` starts and compares records with (also against a deployed stack).
    new CfnOutput(this, 'ReprocessStateMachineArn', {
      value: this.reprocessing.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'PipelineVersion', { value: pipelineVersion(config) });
    new CfnOutput(this, 'WebAppUrl', { value: this.web.url });
    new CfnOutput(this, 'ApiUrl', { value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'CognitoDomain', { value: this.api.userPoolDomain.baseUrl() });
    new CfnOutput(this, 'OperationsDashboardUrl', {
      value: `https://${this.region}.console.${this.urlSuffix}/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboard.dashboardName}`,
    });
  }

  /**
   * Alarms, safe deployments (CodeDeploy for every function, the state machine's alias preference)
   * and the dashboard. Defined here, over the finished constructs, because they watch all of them.
   */
  private addOperations(config: PipelineConfig) {
    const { processing, api, reconciler } = this;
    const steps = [
      processing.extractMetadata,
      processing.recordPhoto,
      processing.detectLabels,
      processing.generateThumbnail,
      processing.generateRendition,
    ];
    const apiFunctions = [api.createUpload, api.listPhotos, api.getPhoto, api.deletePhoto, api.retryPhoto];
    const reconcilePhoto = reconciler ? [reconciler.reconcilePhoto] : [];
    const reprocessPhoto = this.reprocessing.preparePhoto;
    const deadLetterQueues = {
      StartExecution: processing.startExecutionDeadLetters,
      ...(reconciler ? { Reconcile: reconciler.deadLetters } : {}),
    };

    const alarms = new OperationsAlarms(this, 'Alarms', {
      settings: config.alarms,
      stateMachine: processing.stateMachine,
      functions: [processing.startExecution, ...steps, ...apiFunctions, ...reconcilePhoto, reprocessPhoto],
      deadLetterQueues,
      httpApi: api.httpApi,
    });
    processing.stateMachineAlias.addRollbackAlarms(alarms.failedExecutions, alarms.timedOutExecutions);

    const deployed = (fn: PipelineFunction, smokeTest?: SmokeTestName, pipeline = false) => ({
      fn,
      errorsAlarm: alarms.functionErrors.get(fn)!,
      // The pipeline's functions: a version that breaks photos shows as failed executions too.
      rollbackAlarms: pipeline ? [alarms.failedExecutions] : [],
      smokeTest,
    });
    const deployment = new SafeDeployment(this, 'Deployment', {
      preference: config.deployment.functions,
      errorRatePercent: config.alarms.functionErrorRatePercent,
      logRetentionDays: config.logRetentionDays,
      photoRepo: this.storage.photoRepo,
      alarmTopic: alarms.topic,
      functions: [
        deployed(processing.startExecution, 'start-execution', true),
        deployed(processing.extractMetadata, 'extract-metadata', true),
        deployed(processing.recordPhoto, 'record-photo', true),
        deployed(processing.detectLabels, 'detect-labels', true),
        deployed(processing.generateThumbnail, 'generate-thumbnail', true),
        deployed(processing.generateRendition, 'generate-rendition', true),
        ...apiFunctions.map((fn) => deployed(fn)),
        // Not rolled back on failed executions: those are what it is called for.
        ...reconcilePhoto.map((fn) => deployed(fn, 'reconcile-photo')),
        deployed(reprocessPhoto),
      ],
    });

    const dashboard = new OperationsDashboard(this, 'Dashboard', {
      stateMachine: processing.stateMachine,
      steps,
      otherFunctions: [processing.startExecution, ...apiFunctions, ...reconcilePhoto, reprocessPhoto],
      deadLetterQueues,
      httpApi: api.httpApi,
      alarms: [...alarms.all, ...deployment.newVersionErrors.values()],
    });
    return { alarms, deployment, dashboard };
  }
}
