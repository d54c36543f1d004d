import { fileURLToPath } from 'node:url';
import { Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambda/shared/observability';
import type { FunctionSettings } from './config';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Template metadata key naming a function's handler source, relative to the repo root. */
export const LOCAL_ENTRY_METADATA = 'LocalCloudEntry';

/** The alias every caller invokes; CodeDeploy moves it from version to version (lib/safe-deployment.ts). */
export const LIVE_ALIAS = 'live';

/** What a function may start executions of: the state machine's `live` alias (lib/state-machine-alias.ts). */
export interface StartExecutionTarget {
  /** The ARN StartExecution is called with (the alias's), set as STATE_MACHINE_ARN. */
  readonly startExecutionArn: string;
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
}

/** The object-level S3 actions a function may be given (never s3:* or bucket-level actions). */
export type ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject';

export interface PipelineFunctionProps {
  /** Folder under `lambda/` that holds the handler's `handler.ts`, e.g. 'extract-metadata'. */
  readonly handlerFolder: string;
  readonly settings: FunctionSettings;
  readonly logRetentionDays: number;
  /** Environment variables besides the Powertools ones. */
  readonly environment?: Record<string, string>;
  /** Packages installed into the bundle instead of bundled (native code, e.g. sharp). @default none */
  readonly nodeModules?: string[];
  readonly description: string;
  /** Why the function needs another action on Resource '*', if it does. @default none */
  readonly resourceWildcardReason?: string;
  /**
   * Publish a version per deployment behind the `live` alias, which callers invoke. Off only for the
   * deployment's own PreTraffic hooks, which CodeDeploy calls by name and which must not be
   * deployed gradually themselves. @default true
   */
  readonly liveAlias?: boolean;
}

/**
 * A NodejsFunction with the project's defaults: Node.js 22 on arm64, an ESM bundle (minified, with
 * source maps), X-Ray tracing, a log group with retention, and Powertools settings.
 *
 * Access goes through the `bind…` methods, which grant exactly one kind of access and set the
 * matching environment variable in the same call, so wiring cannot drift from permissions.
 */
export class PipelineFunction extends NodejsFunction {
  /** Folder under `lambda/` of the handler this function runs. */
  public readonly handlerFolder: string;
  /** Packages installed into the bundle instead of bundled (not visible in the template). */
  public readonly nodeModules: readonly string[];
  private readonly liveAliasIfAny?: lambda.Alias;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of the AWSLambdaBasicExecutionRole managed policy: it may write to this
    // function's log group only, not to every log group in the account.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${id}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      description: props.description,
      entry: `${REPO_ROOT}lambda/${props.handlerFolder}/handler.ts`,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.settings.memoryMb,
      timeout: Duration.seconds(props.settings.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      projectRoot: REPO_ROOT,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.handlerFolder,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The SDK is bundled, not taken from the runtime, so the deployed code runs the exact
        // versions the tests ran.
        externalModules: [],
        // Some dependencies (X-Ray SDK) still call require(); an ESM bundle needs one.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        nodeModules: props.nodeModules,
        // Native packages (sharp) must be installed for the Lambda's platform, not this machine's.
        environment: props.nodeModules
          ? { npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' }
          : undefined,
      },
    });
    this.handlerFolder = props.handlerFolder;
    this.nodeModules = props.nodeModules ?? [];
    if (props.liveAlias ?? true) {
      // currentVersion is hashed from the final configuration at synthesis, so environment variables
      // the bind… calls add later still publish a new version.
      this.liveAliasIfAny = new lambda.Alias(this, 'LiveAlias', {
        aliasName: LIVE_ALIAS,
        version: this.currentVersion,
        description: 'What every caller invokes; CodeDeploy moves it to each new version',
      });
    }
    // Tells the local cloud which source file this function runs (the deployed code is the bundle).
    (this.node.defaultChild as lambda.CfnFunction).addMetadata(
      LOCAL_ENTRY_METADATA,
      `lambda/${props.handlerFolder}/handler.ts`,
    );
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the handlers, sharp and the tests are pinned to; move to a newer one with them.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray trace upload (xray:PutTraceSegments, PutTelemetryRecords) has no resource-level permissions' +
        (props.resourceWildcardReason ? `; ${props.resourceWildcardReason}` : '.'),
    });
  }

  /** Read access to objects under one prefix (no listing, no other prefix). */
  bindReadObjects(bucket: IBucket, prefix: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    this.acknowledgePrefixWildcard(bucket, prefix);
    return this;
  }

  /** Write access to objects under one prefix; sets the variable that names the prefix. */
  bindWriteObjects(bucket: IBucket, prefix: string, variable: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
    );
    this.addEnvironment(variable, prefix);
    this.acknowledgePrefixWildcard(bucket, prefix);
    return this;
  }

  /**
   * Delete access to objects under one prefix, for a function that takes back what it wrote there
   * (no variable: pair it with bindWriteObjects, which names the prefix).
   */
  bindDeleteObjects(bucket: IBucket, prefix: string): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    this.acknowledgePrefixWildcard(bucket, prefix);
    return this;
  }

  /**
   * Object-level actions (no listing, no bucket actions) under the given prefixes of one bucket; sets
   * `variable` to the bucket's name.
   */
  bindObjects(bucket: IBucket, variable: string, actions: ObjectAction[], prefixes: string[]): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    this.addEnvironment(variable, bucket.bucketName);
    for (const prefix of prefixes) this.acknowledgePrefixWildcard(bucket, prefix);
    return this;
  }

  /**
   * The given item-level actions on one table, and on the named indexes (for Query); sets TABLE_NAME.
   */
  bindTable(
    table: ITableV2 | { tableName: string; tableArn: string },
    actions: string[],
    indexes: string[] = [],
  ): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
      }),
    );
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Read access to the executions of one state machine (DescribeExecution, GetExecutionHistory). No
   * variable: the callers find each execution's ARN on the photo's record.
   */
  bindReadExecutions(stateMachine: IStateMachine): this {
    stateMachine.grantExecution(this, 'states:DescribeExecution', 'states:GetExecutionHistory');
    this.acknowledgeExecutionWildcard(stateMachine, 'reading');
    return this;
  }

  /**
   * Permission to redrive the failed executions of one state machine (RedriveExecution). No variable:
   * like bindReadExecutions, the callers find each execution's ARN on the photo's record.
   */
  bindRedriveExecutions(stateMachine: IStateMachine): this {
    stateMachine.grantExecution(this, 'states:RedriveExecution');
    this.acknowledgeExecutionWildcard(stateMachine, 'redriving');
    return this;
  }

  /** Permission to call Amazon Rekognition's DetectLabels (it has no resource-level permissions). */
  bindDetectLabels(): this {
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['rekognition:DetectLabels'], resources: ['*'] }),
    );
    return this;
  }

  /** Permission to start executions through the state machine's alias; sets STATE_MACHINE_ARN to the alias. */
  bindStartExecution(target: StartExecutionTarget): this {
    target.grantStartExecution(this);
    this.addEnvironment('STATE_MACHINE_ARN', target.startExecutionArn);
    return this;
  }

  /**
   * The `live` alias on the version this deployment publishes: what every caller (S3, the state
   * machine, the API, EventBridge) invokes and what CodeDeploy shifts. Throws for a function
   * published without one (a PreTraffic hook).
   */
  get live(): lambda.Alias {
    if (!this.liveAliasIfAny) throw new Error(`${this.node.path} has no live alias (liveAlias: false)`);
    return this.liveAliasIfAny;
  }

  private acknowledgeExecutionWildcard(stateMachine: IStateMachine, access: string): void {
    Validations.of(this.role!).acknowledge({
      // The grant names the machine as the 7th part of its ARN; cdk-nag shows that intrinsic as JSON.
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${JSON.stringify(this.stack.resolve(Fn.select(6, Fn.split(':', stateMachine.stateMachineArn))))}:*]`,
      reason: `Execution names are only known at run time; access is limited to ${access} executions of this one state machine.`,
    });
  }

  private acknowledgePrefixWildcard(bucket: IBucket, prefix: string): void {
    const resource = this.stack.resolve(bucket.bucketArn) as { 'Fn::GetAtt': [string, string] };
    Validations.of(this.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${resource['Fn::GetAtt'][0]}.Arn>/${prefix}*]`,
      reason: `Object keys are only known at run time; access is limited to the ${prefix} prefix of this one bucket.`,
    });
  }
}
