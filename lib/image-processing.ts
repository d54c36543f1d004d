import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SERVICE_UNREACHABLE } from '../lambda/shared/errors';
import {
  INCOMING_PREFIX,
  RENDITION_PREFIX,
  SMOKE_TEST_PREFIX,
  THUMBNAIL_PREFIX,
} from '../lambda/shared/model';
import {
  type PROCESS_IMAGE_BRANCHES,
  RESULT_PATHS,
  STATES,
  type WorkflowGraph,
} from '../lambda/shared/workflow';
import { executionTimeoutSeconds, type PipelineConfig } from './config';
import { acknowledgeCdkHelper } from './nag';
import { PipelineFunction } from './pipeline-function';
import { pipelineVersion } from './pipeline-version';
import { StateMachineLiveAlias } from './state-machine-alias';
import { definitionFromTemplate, workflowGraph } from './workflow-graph';

/**
 * Errors that say the Lambda service (not our code) failed to run the function. Retried: they are
 * transient and the handlers are idempotent.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Throttling as Rekognition reports it (the SDK error name becomes the Lambda errorType). */
export const REKOGNITION_THROTTLING_ERRORS = [
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
];

/** Transient DynamoDB errors that can escape the SDK's own retries under load. */
export const DYNAMODB_TRANSIENT_ERRORS = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
];

/**
 * Up to 4 retries over about 15 s, with full jitter so that steps failed together do not retry
 * together: long enough for a service that was briefly unreachable or Lambda's own hiccups.
 */
export const TRANSIENT_BACKOFF = {
  interval: Duration.seconds(1),
  maxAttempts: 4,
  backoffRate: 2,
  maxDelay: Duration.seconds(20),
  jitterStrategy: sfn.JitterType.FULL,
};

export interface ImageProcessingProps {
  readonly config: PipelineConfig;
  readonly photoRepo: s3.IBucket;
  readonly imageMetadata: dynamodb.ITableV2;
}

/**
 * The ImageProc state machine, its functions, and the Incoming/ upload trigger that starts it.
 *
 * ExtractImageMetadata → ImageTypeCheck → StoreImageMetadata → GenerateRendition
 * → Parallel[DetectLabels, GenerateThumbnail] → RecordReady. Unsupported types → RecordRejection → NotSupportedImageType (Fail). Any error anywhere →
 * RecordFailure → ImageProcessingFailed (Fail). Every photo's record ends READY, REJECTED or FAILED.
 */
export class ImageProcessing extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's `live` alias: what start-execution starts. */
  public readonly stateMachineAlias: StateMachineLiveAlias;
  public readonly startExecution: PipelineFunction;
  public readonly extractMetadata: PipelineFunction;
  public readonly recordPhoto: PipelineFunction;
  public readonly detectLabels: PipelineFunction;
  public readonly generateThumbnail: PipelineFunction;
  public readonly generateRendition: PipelineFunction;
  /** Upload events that still failed after Lambda's two async retries land here. */
  public readonly startExecutionDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ImageProcessingProps) {
    super(scope, id);
    const { config, photoRepo, imageMetadata } = props;
    const common = { logRetentionDays: config.logRetentionDays };

    this.extractMetadata = new PipelineFunction(this, 'ExtractMetadataFunction', {
      ...common,
      handlerFolder: 'extract-metadata',
      description: 'ImageProc: reads the head of an upload and extracts format, size, EXIF and GPS',
      settings: config.functions.extractMetadata,
      nodeModules: ['sharp'], // sharp's metadata() reads the header: its native binary must ship too.
    })
      .bindReadObjects(photoRepo, INCOMING_PREFIX)
      // The PreTraffic hook's smoke photo (lib/safe-deployment.ts): outside Incoming/, so it starts nothing.
      .bindReadObjects(photoRepo, SMOKE_TEST_PREFIX);

    this.recordPhoto = new PipelineFunction(this, 'RecordPhotoFunction', {
      ...common,
      handlerFolder: 'record-photo',
      description: 'ImageProc: writes metadata and the final outcome to the ImageMetadata table',
      settings: config.functions.recordPhoto,
      environment: { PIPELINE_VERSION: pipelineVersion(config) },
      // GetItem: StoreImageMetadata looks up a READY photo with the same bytes (a duplicate).
    }).bindTable(imageMetadata, ['dynamodb:UpdateItem', 'dynamodb:GetItem']);

    this.detectLabels = new PipelineFunction(this, 'DetectLabelsFunction', {
      ...common,
      handlerFolder: 'detect-labels',
      description: 'ImageProc: tags the photo with Amazon Rekognition labels',
      settings: config.functions.detectLabels,
      // sharp enlarges photos under Rekognition's 80 px minimum: its native binary must ship too.
      nodeModules: ['sharp'],
      resourceWildcardReason: 'rekognition:DetectLabels has no resource-level permissions either.',
      environment: {
        MAX_LABELS: String(config.labels.maxLabels),
        MIN_CONFIDENCE: String(config.labels.minConfidence),
      },
      // Rekognition reads the S3 object with the caller's rights; photos under 80 px are read here.
      // Photos out of Rekognition's reach go as their display rendition, under Renditions/.
    })
      .bindReadObjects(photoRepo, INCOMING_PREFIX)
      .bindReadObjects(photoRepo, RENDITION_PREFIX)
      .bindReadObjects(photoRepo, SMOKE_TEST_PREFIX)
      .bindDetectLabels();

    this.generateThumbnail = new PipelineFunction(this, 'GenerateThumbnailFunction', {
      ...common,
      handlerFolder: 'generate-thumbnail',
      description: 'ImageProc: writes an upright, metadata-free sharp thumbnail under Thumbnails/',
      settings: config.functions.generateThumbnail,
      nodeModules: ['sharp'],
      environment: {
        THUMBNAIL_MAX_WIDTH: String(config.thumbnail.maxWidth),
        THUMBNAIL_MAX_HEIGHT: String(config.thumbnail.maxHeight),
        MAX_IMAGE_PIXELS: String(config.maxImagePixels),
      },
    })
      .bindReadObjects(photoRepo, INCOMING_PREFIX)
      .bindReadObjects(photoRepo, SMOKE_TEST_PREFIX)
      // A photo with a display rendition is thumbnailed from it.
      .bindReadObjects(photoRepo, RENDITION_PREFIX)
      .bindWriteObjects(photoRepo, THUMBNAIL_PREFIX, 'THUMBNAIL_PREFIX')
      // After writing, it reads the photo's record and takes the thumbnail back if the photo was
      // deleted meanwhile (see lambda/generate-thumbnail/generate-thumbnail.ts).
      .bindDeleteObjects(photoRepo, THUMBNAIL_PREFIX)
      .bindTable(imageMetadata, ['dynamodb:GetItem']);

    this.generateRendition = new PipelineFunction(this, 'GenerateRenditionFunction', {
      ...common,
      handlerFolder: 'generate-rendition',
      description:
        'ImageProc: writes an upright, metadata-free display rendition under Renditions/ for photos a browser or Rekognition cannot take',
      settings: config.functions.generateRendition,
      // sharp decodes everything but HEVC-coded HEIC; libheif-js (WebAssembly, its wasm inlined in its
      // JavaScript) decodes that and is bundled by esbuild like any other module.
      nodeModules: ['sharp'],
      environment: {
        RENDITION_MAX_SIDE: String(config.rendition.maxSide),
        MAX_IMAGE_PIXELS: String(config.maxImagePixels),
      },
    })
      .bindReadObjects(photoRepo, INCOMING_PREFIX)
      .bindWriteObjects(photoRepo, RENDITION_PREFIX, 'RENDITION_PREFIX')
      // Takes its rendition back when the photo was deleted meanwhile, as generate-thumbnail does.
      .bindDeleteObjects(photoRepo, RENDITION_PREFIX)
      .bindTable(imageMetadata, ['dynamodb:GetItem']);

    this.stateMachine = this.buildStateMachine(config);
    this.stateMachineAlias = new StateMachineLiveAlias(this, 'ImageProcLive', {
      stateMachine: this.stateMachine,
      preference: config.deployment.stateMachine,
    });

    this.startExecutionDeadLetters = new sqs.Queue(this, 'StartExecutionDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.startExecutionDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of ImageProcStartExecution.',
    });

    this.startExecution = new PipelineFunction(this, 'ImageProcStartExecution', {
      ...common,
      handlerFolder: 'start-execution',
      description: 'Starts ImageProc for every photo uploaded under Incoming/',
      settings: config.functions.startExecution,
    })
      .bindTable(imageMetadata, ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'])
      .bindStartExecution(this.stateMachineAlias);
    // On the alias, which S3 invokes: an EventInvokeConfig applies to one qualifier only.
    this.startExecution.live.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.startExecutionDeadLetters),
    });

    // Only object-created events under Incoming/ reach the pipeline; thumbnails (Thumbnails/) never do.
    photoRepo.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.startExecution.live),
      {
        prefix: INCOMING_PREFIX,
      },
    );
    const notificationsHandler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) acknowledgeCdkHelper(notificationsHandler);
  }

  /**
   * The state machine's graph (states and edges), read from its DefinitionString as synthesized, for
   * the web app's picture. Call it once the definition is complete (it is, after the constructor).
   */
  public workflowGraph(): WorkflowGraph {
    const cfn = this.stateMachine.node.defaultChild as sfn.CfnStateMachine;
    return workflowGraph(definitionFromTemplate(Stack.of(this).resolve(cfn.definitionString)));
  }

  private buildStateMachine(config: PipelineConfig): sfn.StateMachine {
    const photo = {
      bucket: sfn.JsonPath.stringAt('$.bucket'),
      key: sfn.JsonPath.stringAt('$.key'),
      owner: sfn.JsonPath.stringAt('$.owner'),
      photoId: sfn.JsonPath.stringAt('$.photoId'),
    };
    const executionId = sfn.JsonPath.stringAt('$$.Execution.Id');
    /** resultPath: where the result goes; 'replace' makes it the state's output (ASL's default, $). */
    const invoke = (
      id: string,
      fn: PipelineFunction,
      payload: Record<string, unknown>,
      resultPath?: string | 'replace',
    ) =>
      new tasks.LambdaInvoke(this, id, {
        // The alias: a deployment that changes only code leaves the definition as it is, and CodeDeploy
        // shifts the executions' calls to the new version gradually.
        lambdaFunction: fn.live,
        payload: sfn.TaskInput.fromObject(payload),
        // The function's return value is the state's result; no Lambda envelope to unwrap.
        payloadResponseOnly: true,
        // Replaced by retryLambdaService below: the built-in retry has no jitter.
        retryOnServiceExceptions: false,
        // An explicit "ResultPath": "$" is left out: aws-local-stepfunctions 3.0.0 merges the result into
        // the input for it instead of replacing the input, and the default means the same on AWS.
        resultPath: resultPath === 'replace' ? undefined : (resultPath ?? sfn.JsonPath.DISCARD),
      });
    const transientBackoff = TRANSIENT_BACKOFF;
    const retryLambdaService = (task: tasks.LambdaInvoke) =>
      task.addRetry({ errors: [...LAMBDA_SERVICE_ERRORS, SERVICE_UNREACHABLE], ...transientBackoff });
    const recordTask = (id: string, payload: Record<string, unknown>, resultPath?: string) => {
      const task = invoke(id, this.recordPhoto, { photo, executionId, ...payload }, resultPath);
      retryLambdaService(task);
      task.addRetry({ errors: DYNAMODB_TRANSIENT_ERRORS, ...transientBackoff });
      return task;
    };

    const processingFailed = new sfn.Fail(this, STATES.imageProcessingFailed, {
      errorPath: sfn.JsonPath.stringAt(`${RESULT_PATHS.error}.Error`),
      causePath: sfn.JsonPath.stringAt(`${RESULT_PATHS.error}.Cause`),
    });
    const recordFailure = recordTask(STATES.recordFailure, {
      action: 'failed',
      error: sfn.JsonPath.objectAt(RESULT_PATHS.error),
    }).next(processingFailed);
    const catchAll = (task: tasks.LambdaInvoke | sfn.Parallel) =>
      task.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: RESULT_PATHS.error });

    const extract = invoke(
      STATES.extractImageMetadata,
      this.extractMetadata,
      { bucket: photo.bucket, key: photo.key },
      RESULT_PATHS.metadata,
    );
    retryLambdaService(extract);
    catchAll(extract);

    // Its result (StoredMetadata) says whether a READY photo has the same bytes; DetectLabels then
    // copies that photo's labels instead of calling Rekognition. Deciding inside DetectLabels rather
    // than in a Choice state costs no extra state transition (billed per transition on STANDARD).
    const store = recordTask(
      STATES.storeImageMetadata,
      { action: 'metadata', metadata: sfn.JsonPath.objectAt(RESULT_PATHS.metadata) },
      RESULT_PATHS.stored,
    );
    catchAll(store);

    // Before the Parallel, so that both branches use what it makes: DetectLabels sends a photo out of
    // Rekognition's reach as its rendition, GenerateThumbnail thumbnails from it; a HEIC is decoded once.
    const generateRendition = invoke(
      STATES.generateRendition,
      this.generateRendition,
      { ...photo, metadata: sfn.JsonPath.objectAt(RESULT_PATHS.metadata) },
      RESULT_PATHS.display,
    );
    retryLambdaService(generateRendition);
    catchAll(generateRendition);
    const rendition = sfn.JsonPath.objectAt(`${RESULT_PATHS.display}.rendition`);

    const detectLabels = invoke(
      STATES.detectLabels,
      this.detectLabels,
      {
        ...photo,
        metadata: sfn.JsonPath.objectAt(RESULT_PATHS.metadata),
        rendition,
        duplicate: sfn.JsonPath.objectAt(`${RESULT_PATHS.stored}.duplicate`),
      },
      'replace',
    );
    retryLambdaService(detectLabels);
    detectLabels.addRetry({
      errors: REKOGNITION_THROTTLING_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 5,
      backoffRate: 2,
      maxDelay: Duration.seconds(30),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const generateThumbnail = invoke(
      STATES.generateThumbnail,
      this.generateThumbnail,
      { ...photo, rendition },
      'replace',
    );
    retryLambdaService(generateThumbnail);

    // A failure in either branch fails the Parallel, whose Catch records it: no photo is left PROCESSING.
    // Its output is a list in branch order; the ResultSelector names each branch's result
    // (ProcessImageResult), and is built from the same list as the branches, so the two cannot drift.
    const branchTasks: Record<keyof typeof PROCESS_IMAGE_BRANCHES, tasks.LambdaInvoke> = {
      labels: detectLabels,
      thumbnail: generateThumbnail,
    };
    const branches = Object.entries(branchTasks);
    const parallel = new sfn.Parallel(this, STATES.processImage, {
      resultPath: RESULT_PATHS.results,
      resultSelector: Object.fromEntries(
        branches.map(([resultName], index) => [resultName, sfn.JsonPath.objectAt(`$[${index}]`)]),
      ),
    });
    for (const [, task] of branches) parallel.branch(task);
    catchAll(parallel);

    const recordReady = recordTask(STATES.recordReady, {
      action: 'ready',
      results: sfn.JsonPath.objectAt(RESULT_PATHS.results),
      rendition,
    });
    catchAll(recordReady);

    const rejected = recordTask(STATES.recordRejection, {
      action: 'rejected',
      metadata: sfn.JsonPath.objectAt(RESULT_PATHS.metadata),
      supportedFormats: config.supportedFormats,
    });
    catchAll(rejected);
    rejected.next(
      new sfn.Fail(this, STATES.notSupportedImageType, {
        error: STATES.notSupportedImageType,
        cause: `Only ${config.supportedFormats.map((f) => f.toUpperCase()).join(', ')} images are processed; the photo's record says which type was found.`,
      }),
    );

    const formatIs = config.supportedFormats.map((format) =>
      sfn.Condition.stringEquals(`${RESULT_PATHS.metadata}.format`, format),
    );
    // format is null for bytes that are not an image at all; isString keeps that off the equality tests.
    const isSupported = sfn.Condition.and(
      sfn.Condition.isString(`${RESULT_PATHS.metadata}.format`),
      formatIs.length === 1 ? formatIs[0] : sfn.Condition.or(...formatIs),
    );
    const typeCheck = new sfn.Choice(this, STATES.imageTypeCheck)
      .when(
        isSupported,
        store
          .next(generateRendition)
          .next(parallel)
          .next(recordReady)
          .next(new sfn.Succeed(this, STATES.photoReady)),
      )
      .otherwise(rejected);

    const logGroup = new logs.LogGroup(this, 'ImageProcLogs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-ImageProc`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const stateMachine = new sfn.StateMachine(this, 'ImageProc', {
      definitionBody: sfn.DefinitionBody.fromChainable(extract.next(typeCheck)),
      stateMachineType:
        config.workflowType === 'EXPRESS' ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      // Past it the execution ends TIMED_OUT, and the reconciler (lib/photo-reconciler.ts) marks the photo FAILED.
      timeout: Duration.seconds(executionTimeoutSeconds(config)),
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: sfn.LogLevel.ALL,
        // Payloads hold EXIF and GPS positions; the ImageMetadata table is their one home.
        includeExecutionData: false,
      },
      comment:
        'ImageProc: metadata, type check, store, a display rendition where needed, then Rekognition labels and a thumbnail in parallel',
    });
    // The tasks invoke the functions' live aliases, and the role may invoke exactly those.
    Validations.of(stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray and CloudWatch Logs delivery actions do not support resource-level permissions.',
    });
    return stateMachine;
  }
}
