/**
 * Reads the app's synthesized CloudFormation template: the single source of what the local cloud
 * creates and how it wires it. Nothing here knows the pipeline's resource names; it finds resources
 * by type, so a wiring mistake in lib/ shows up locally too.
 */
import { buildApp, createInProcessApp } from '../lib/app';
import { type PipelineConfig, resolveConfig } from '../lib/config';
import { parseQualifiedArn } from './arn';
import { type IntrinsicValues, resolveIntrinsics } from './cfn-intrinsics';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
/** The number every Lambda and state machine version has locally. */
export const LOCAL_VERSION = '1';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface SynthesizedApp {
  config: PipelineConfig;
  stackName: string;
  template: CfnTemplate;
}

/**
 * Synthesizes the app in-process (no bundling, no AWS account) and returns its one stack's template.
 * CloudFormation's template validation is left to `cdk synth` and the tests (see createInProcessApp).
 */
export function synthesize(config: PipelineConfig = resolveConfig()): SynthesizedApp {
  const app = createInProcessApp({ templateValidation: false });
  const stack = buildApp(app, config);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  return { config, stackName: stack.stackName, template };
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The stack's outputs resolved locally; those that only mean something on AWS (a CloudFront URL, a Cognito domain) are left out. */
export function resolvedOutputs(template: CfnTemplate, names: LocalNames): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    try {
      outputs[key] = String(names.resolve(output.Value));
    } catch {}
  }
  return outputs;
}

/**
 * Local names for the template's resources. Physical names are what CloudFormation would generate;
 * locally they are derived from the stack name and logical id so they stay the same between runs.
 */
export class LocalNames implements IntrinsicValues {
  constructor(
    private readonly stackName: string,
    private readonly template: CfnTemplate,
  ) {}

  bucketName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 63);
  }

  tableName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`;
  }

  functionName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`.slice(0, 64);
  }

  functionArn(logicalId: string): string {
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.functionName(logicalId)}`;
  }

  stateMachineArn(logicalId: string): string {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${this.stackName}-${logicalId}`;
  }

  /**
   * A function version's or alias's ARN: the function's ARN and the qualifier. Every version is number
   * 1 locally (the local cloud runs the handler source, whatever version a deployment would publish).
   */
  qualifiedFunctionArn(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    const props = resource.Properties as { FunctionName: unknown; Name?: string };
    const fn = this.resolve<string>(props.FunctionName);
    const functionArn = fn.startsWith('arn:')
      ? fn
      : `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${fn}`;
    return `${functionArn}:${resource.Type === 'AWS::Lambda::Alias' ? props.Name : LOCAL_VERSION}`;
  }

  /** A state machine version's or alias's ARN: the state machine's ARN and the version number or alias name. */
  qualifiedStateMachineArn(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (resource.Type === 'AWS::StepFunctions::StateMachineVersion') {
      return `${this.resolve<string>(resource.Properties?.StateMachineArn)}:${LOCAL_VERSION}`;
    }
    const props = resource.Properties as {
      Name?: string;
      DeploymentPreference?: { StateMachineVersionArn: unknown };
      RoutingConfiguration?: { StateMachineVersionArn: unknown }[];
    };
    const versionArn =
      props.DeploymentPreference?.StateMachineVersionArn ??
      props.RoutingConfiguration?.[0]?.StateMachineVersionArn;
    if (versionArn === undefined) {
      throw new Error(
        `State machine alias ${logicalId} names no version (DeploymentPreference or RoutingConfiguration)`,
      );
    }
    const stateMachineArn = parseQualifiedArn(this.resolve<string>(versionArn)).unqualified;
    return `${stateMachineArn}:${props.Name ?? logicalId}`;
  }

  /** A name CloudFormation would generate for a resource without one: `<stack>-<logical id>`. */
  generatedName(logicalId: string, nameProperty?: string): string {
    const given = nameProperty ? this.template.Resources[logicalId]?.Properties?.[nameProperty] : undefined;
    return given === undefined ? `${this.stackName}-${logicalId}` : this.resolve<string>(given);
  }

  ref(name: string): string {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
    }
    const resource = this.template.Resources[name];
    switch (resource?.Type) {
      case 'AWS::S3::Bucket':
        return this.bucketName(name);
      case 'AWS::DynamoDB::Table':
        return this.tableName(name);
      case 'AWS::Lambda::Function':
        return this.functionName(name);
      case 'AWS::StepFunctions::StateMachine':
        return this.stateMachineArn(name);
      case 'AWS::Lambda::Version':
      case 'AWS::Lambda::Alias':
        return this.qualifiedFunctionArn(name);
      case 'AWS::StepFunctions::StateMachineVersion':
      case 'AWS::StepFunctions::StateMachineAlias':
        return this.qualifiedStateMachineArn(name);
      // Deploy-time and monitoring resources the local cloud lists as not emulated (not-emulated.ts).
      case 'AWS::CloudWatch::Alarm':
        return this.generatedName(name, 'AlarmName');
      case 'AWS::CloudWatch::Dashboard':
        return this.generatedName(name, 'DashboardName');
      case 'AWS::CodeDeploy::Application':
        return this.generatedName(name, 'ApplicationName');
      case 'AWS::CodeDeploy::DeploymentGroup':
        return this.generatedName(name, 'DeploymentGroupName');
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.generatedName(name, 'TopicName')}`;
      case 'AWS::KMS::Key':
        return `local-key-${name}`;
      case 'AWS::SQS::Queue':
        return `http://sqs.local/${LOCAL_ACCOUNT}/${this.stackName}-${name}`;
      case 'AWS::Logs::LogGroup':
      case 'AWS::IAM::Role':
        return `${this.stackName}-${name}`;
      // Names of resources the local cloud stands in for rather than creates.
      case 'AWS::ApiGatewayV2::Api':
        return 'local';
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Route':
      case 'AWS::ApiGatewayV2::Authorizer':
      case 'AWS::ApiGatewayV2::Stage':
      case 'AWS::Cognito::UserPoolClient':
      case 'AWS::Cognito::UserPoolDomain':
      case 'AWS::CloudFront::Distribution':
        return `local-${name}`;
      case 'AWS::Cognito::UserPool':
        return `${LOCAL_REGION}_local`;
      default:
        throw new Error(
          `The local cloud cannot resolve Ref ${name} (${resource?.Type ?? 'not in the template'})`,
        );
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.template.Resources[logicalId];
    const key = `${resource?.Type}.${attribute}`;
    switch (key) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${this.bucketName(logicalId)}`;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${this.tableName(logicalId)}`;
      case 'AWS::Lambda::Function.Arn':
        return this.functionArn(logicalId);
      case 'AWS::Lambda::Version.Version':
        return LOCAL_VERSION;
      case 'AWS::Lambda::Version.FunctionArn':
      case 'AWS::Lambda::Alias.AliasArn':
        return this.qualifiedFunctionArn(logicalId);
      case 'AWS::StepFunctions::StateMachineVersion.Arn':
      case 'AWS::StepFunctions::StateMachineAlias.Arn':
        return this.qualifiedStateMachineArn(logicalId);
      case 'AWS::CloudWatch::Alarm.Arn':
        return `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${this.generatedName(logicalId, 'AlarmName')}`;
      case 'AWS::SNS::Topic.TopicArn':
        return this.ref(logicalId);
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/local-key-${logicalId}`;
      case 'AWS::StepFunctions::StateMachine.Name':
        return `${this.stackName}-${logicalId}`;
      case 'AWS::SQS::Queue.QueueName':
        return `${this.stackName}-${logicalId}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.stackName}-${logicalId}`;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${this.stackName}-${logicalId}:*`;
      case 'AWS::Events::Rule.Arn':
        return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${this.stackName}-${logicalId}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${this.stackName}-${logicalId}`;
      default:
        throw new Error(`The local cloud cannot resolve Fn::GetAtt ${logicalId}.${attribute} (${key})`);
    }
  }

  resolve<T>(value: unknown): T {
    return resolveIntrinsics(value, this) as T;
  }
}
