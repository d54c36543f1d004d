import { Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SERVICE_UNREACHABLE } from '../lambda/shared/errors';
import { INCOMING_PREFIX, REPROCESS_RESULTS_PREFIX } from '../lambda/shared/model';
import type { PipelineConfig } from './config';
import { DYNAMODB_TRANSIENT_ERRORS, LAMBDA_SERVICE_ERRORS, TRANSIENT_BACKOFF } from './image-processing';
import { PipelineFunction } from './pipeline-function';
import { pipelineVersion } from './pipeline-version';
import type { StateMachineLiveAlias } from './state-machine-alias';

/** The ImageProc outcome a reprocess run counts as done, not failed: the photo is recorded REJECTED. */
export const REJECTION_ERROR = 'NotSupportedImageType';

/** Errors StartExecution itself answers with under load (the child never ran): retried. */
export const START_EXECUTION_TRANSIENT_ERRORS = [
  'StepFunctions.ExecutionLimitExceededException',
  'StepFunctions.ThrottlingException',
  'StepFunctions.SdkClientException',
];

export interface PhotoReprocessingProps {
  readonly config: PipelineConfig;
  readonly photoRepo: s3.IBucket;
  readonly imageMetadata: dynamodb.ITableV2;
  /** ImageProc's live alias: every photo runs through it, as uploads do. */
  readonly imageProc: StateMachineLiveAlias;
}

/**
 * The reprocess workflow: a STANDARD state machine whose one state is a Distributed Map over the
 * objects under PhotoRepo's Incoming/ (ListObjectsV2, or an S3 Inventory manifest). Each object is a
 * child execution: PreparePhoto (lambda/reprocess-photo) skips what is up to date, deleted or being
 * processed, else claims the record and returns ImageProc's input; RunImageProc then runs ImageProc
 * through its live alias and waits for it (startExecution.sync:2). A rejection (NotSupportedImageType)
 * ends the child SUCCEEDED: it is an outcome, not a failure toward the tolerated threshold. The run's
 * results (every child, with its output or error) go to PhotoRepo under ReprocessResults/.
 */
export class PhotoReprocessing extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly preparePhoto: PipelineFunction;
  /** PhotoRepo: the run's results are under ReprocessResults/. */
  public readonly resultsBucket: s3.IBucket;
  /** The Distributed Map state's name: what DescribeMapRun's ARN and the results are labelled with. */
  public static readonly MAP_STATE = 'ReprocessPhotos';

  constructor(scope: Construct, id: string, props: PhotoReprocessingProps) {
    super(scope, id);
    const { config, photoRepo, imageMetadata, imageProc } = props;

    this.preparePhoto = new PipelineFunction(this, 'ReprocessPhotoFunction', {
      logRetentionDays: config.logRetentionDays,
      handlerFolder: 'reprocess-photo',
      description: 'Reprocess: decides whether a listed photo is redone and claims its record',
      settings: config.functions.reprocessPhoto,
      environment: { PIPELINE_VERSION: pipelineVersion(config) },
    }).bindTable(imageMetadata, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);

    const prepare = new tasks.LambdaInvoke(this, 'PreparePhoto', {
      lambdaFunction: this.preparePhoto.live,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    const transientBackoff = TRANSIENT_BACKOFF;
    prepare.addRetry({ errors: [...LAMBDA_SERVICE_ERRORS, SERVICE_UNREACHABLE], ...transientBackoff });
    prepare.addRetry({ errors: DYNAMODB_TRANSIENT_ERRORS, ...transientBackoff });

    const runImageProc = new tasks.StepFunctionsStartExecution(this, 'RunImageProc', {
      stateMachine: sfn.StateMachine.fromStateMachineArn(this, 'ImageProcLiveAlias', imageProc.aliasArn),
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromJsonPathAt('$.input'),
      name: sfn.JsonPath.stringAt('$.executionName'),
      // The photo's own record holds what ImageProc made; the child's output keeps only where to look.
      resultSelector: {
        executionArn: sfn.JsonPath.stringAt('$.ExecutionArn'),
        status: sfn.JsonPath.stringAt('$.Status'),
      },
      resultPath: '$.imageProc',
    });
    runImageProc.addRetry({ errors: START_EXECUTION_TRANSIENT_ERRORS, ...transientBackoff });

    // A child that FAILED, TIMED_OUT or was ABORTED fails the task with States.TaskFailed, its Cause
    // the child's DescribeExecution as JSON: read it to tell a rejection from a failure.
    const readFailure = new sfn.Pass(this, 'ReadImageProcFailure', {
      parameters: {
        'action.$': '$.action',
        'owner.$': '$.owner',
        'photoId.$': '$.photoId',
        'imageProc.$': 'States.StringToJson($.failure.Cause)',
      },
    });
    runImageProc.addCatch(readFailure, { errors: ['States.TaskFailed'], resultPath: '$.failure' });
    // Any other error means ImageProc was never started (StartExecution refused, past its retries):
    // nothing would finish the claimed record, so ReleasePhoto gives it back as FAILED with the reason.
    const release = new tasks.LambdaInvoke(this, 'ReleasePhoto', {
      lambdaFunction: this.preparePhoto.live,
      payload: sfn.TaskInput.fromObject({
        release: {
          owner: sfn.JsonPath.stringAt('$.owner'),
          photoId: sfn.JsonPath.stringAt('$.photoId'),
          executionName: sfn.JsonPath.stringAt('$.executionName'),
        },
        error: sfn.JsonPath.objectAt('$.failure'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: sfn.JsonPath.DISCARD,
    });
    release.addRetry({ errors: [...LAMBDA_SERVICE_ERRORS, SERVICE_UNREACHABLE], ...transientBackoff });
    release.addRetry({ errors: DYNAMODB_TRANSIENT_ERRORS, ...transientBackoff });
    release.next(
      new sfn.Fail(this, 'ImageProcNotStarted', {
        error: 'ImageProcNotStarted',
        cause: 'ImageProc could not be started for this photo; its record says FAILED with the reason',
      }),
    );
    runImageProc.addCatch(release, { errors: ['States.ALL'], resultPath: '$.failure' });
    const rejected = new sfn.Succeed(this, 'PhotoRejected', {
      comment: 'An unsupported type: recorded REJECTED by ImageProc, not a failure of the run',
    });
    const failed = new sfn.Fail(this, 'PhotoFailed', {
      error: 'ImageProcFailed',
      cause: 'ImageProc did not finish this photo; its record says FAILED with the reason',
    });
    readFailure.next(
      new sfn.Choice(this, 'WasRejected')
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.imageProc.Error'),
            sfn.Condition.stringEquals('$.imageProc.Error', REJECTION_ERROR),
          ),
          rejected,
        )
        .otherwise(failed),
    );

    const processor = prepare.next(
      new sfn.Choice(this, 'ShouldReprocess')
        .when(
          sfn.Condition.stringEquals('$.action', 'process'),
          runImageProc.next(new sfn.Succeed(this, 'PhotoReprocessed')),
        )
        .otherwise(new sfn.Succeed(this, 'PhotoSkipped')),
    );

    const map = new sfn.DistributedMap(this, PhotoReprocessing.MAP_STATE, {
      itemReader: itemReaderFor(this, config, photoRepo),
      // `$` is the run's input (`{ "all": true }` or `{}`): passed whole, so a run without `all` is no
      // path error. Items are ListObjectsV2 entries (Key, Etag, Size, ...) or inventory rows (Bucket, Key).
      itemSelector: {
        bucket: photoRepo.bucketName,
        key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key'),
        // S3 Inventory writes keys URL-encoded; ListObjectsV2 gives them as they are.
        ...(config.reprocess.itemSource === 'inventory' ? { keyEncoding: 'url' } : {}),
        run: sfn.JsonPath.objectAt('$'),
      },
      maxConcurrency: config.reprocess.maxConcurrency,
      toleratedFailurePercentage: config.reprocess.toleratedFailurePercentage,
      // STANDARD children: RunImageProc waits for ImageProc (.sync), which EXPRESS workflows cannot.
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriterV2: new PrefixResultWriter({ bucket: photoRepo, prefix: REPROCESS_RESULTS_PREFIX }),
      label: PhotoReprocessing.MAP_STATE,
    });
    map.itemProcessor(processor);

    const logGroup = new logs.LogGroup(this, 'ReprocessLogs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-Reprocess`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Reprocess', {
      definitionBody: sfn.DefinitionBody.fromChainable(map),
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment:
        'Reprocess: every photo under Incoming/ through ImageProc again, skipping those made with the current pipeline version',
    });
    this.resultsBucket = photoRepo;
    this.acknowledgeFindings(config, imageProc);
  }

  /** cdk-nag's wildcard findings, each acknowledged with why the resource cannot be named. */
  private acknowledgeFindings(config: PipelineConfig, imageProc: StateMachineLiveAlias): void {
    const stack = Stack.of(this);
    // cdk-nag shows the intrinsic that names a state machine (the 7th part of its ARN) as JSON.
    const nameOf = (arn: string) => JSON.stringify(stack.resolve(Fn.select(6, Fn.split(':', arn))));
    const executions = 'arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution';
    const photoRepoArn = stack.resolve(this.resultsBucket.bucketArn) as { 'Fn::GetAtt': [string, string] };
    const ownName = nameOf(this.stateMachine.stateMachineArn);
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray and CloudWatch Logs delivery actions do not support resource-level permissions.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${photoRepoArn['Fn::GetAtt'][0]}.Arn>/${REPROCESS_RESULTS_PREFIX}/*]`,
        reason: `The map run's result files get names only known at run time; access is limited to the ${REPROCESS_RESULTS_PREFIX}/ prefix.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}:${nameOf(imageProc.aliasArn)}*]`,
        reason:
          'RunImageProc waits for the ImageProc execution it started (DescribeExecution, StopExecution); execution names are only known at run time.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}:${ownName}:*]`,
        reason:
          "The Distributed Map manages its own run's executions, whose names are only known at run time.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${executions}:${ownName}/${PhotoReprocessing.MAP_STATE}:*]`,
        reason: "The Distributed Map's child executions get names only known at run time.",
      },
    );
    const { itemSource, inventoryBucket } = config.reprocess;
    if (itemSource === 'inventory') {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${inventoryBucket}/*]`,
        reason:
          'S3 Inventory names its manifest and data files by date and run; the run reads them from the inventory bucket only.',
      });
    }
  }
}

/** The run's items: the listing of Incoming/ (its ListBucket right scoped to that prefix), or an inventory manifest. */
function itemReaderFor(scope: Construct, config: PipelineConfig, photoRepo: s3.IBucket): sfn.IItemReader {
  if (config.reprocess.itemSource === 'inventory') {
    return new sfn.S3ManifestItemReader({
      bucket: s3.Bucket.fromBucketName(scope, 'InventoryBucket', config.reprocess.inventoryBucket!),
      key: sfn.JsonPath.stringAt('$.inventoryManifestKey'),
    });
  }
  return new IncomingListing({ bucket: photoRepo, prefix: INCOMING_PREFIX });
}

/** ListObjectsV2 over one prefix, allowed to list that prefix only (CDK's grant lists the whole bucket). */
class IncomingListing extends sfn.S3ObjectsItemReader {
  constructor(private readonly listing: { bucket: s3.IBucket; prefix: string }) {
    super(listing);
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.listing.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${this.listing.prefix}*`] } },
      }),
    ];
  }
}

/**
 * ResultWriter with its rights scoped to its prefix (CDK's grant is read and write on every object
 * of the bucket: here the users' photos).
 */
class PrefixResultWriter extends sfn.ResultWriterV2 {
  constructor(private readonly target: { bucket: s3.IBucket; prefix: string }) {
    super(target);
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.target.bucket.arnForObjects(`${this.target.prefix}/*`)],
      }),
    ];
  }
}
