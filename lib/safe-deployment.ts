import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { SmokeTestName } from '../lambda/pre-traffic-hook/smoke-test';
import { SMOKE_TEST_PREFIX } from '../lambda/shared/model';
import { errorRate } from './alarms';
import type { FunctionDeploymentPreference } from './config';
import { LIVE_ALIAS, PipelineFunction } from './pipeline-function';

/** The CodeDeploy configuration for each preference the config may name. */
export const LAMBDA_DEPLOYMENT_CONFIGS: Readonly<
  Record<FunctionDeploymentPreference, codedeploy.ILambdaDeploymentConfig>
> = {
  CANARY_10PERCENT_5MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  CANARY_10PERCENT_10MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  CANARY_10PERCENT_15MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  CANARY_10PERCENT_30MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  LINEAR_10PERCENT_EVERY_1MINUTE: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  LINEAR_10PERCENT_EVERY_2MINUTES: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  LINEAR_10PERCENT_EVERY_3MINUTES: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  LINEAR_10PERCENT_EVERY_10MINUTES: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
  ALL_AT_ONCE: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
};

/** One function CodeDeploy deploys. */
export interface DeployedFunction {
  readonly fn: PipelineFunction;
  /** Its errors alarm (on the live alias, lib/alarms.ts): rolls the deployment back. */
  readonly errorsAlarm: cloudwatch.IAlarm;
  /** More alarms that roll its deployment back (the state machine's failed executions). @default none */
  readonly rollbackAlarms?: readonly cloudwatch.IAlarm[];
  /** The smoke test its PreTraffic hook runs against the new version. @default no PreTraffic hook */
  readonly smokeTest?: SmokeTestName;
}

export interface SafeDeploymentProps {
  /** How each function's `live` alias moves to a new version. */
  readonly preference: FunctionDeploymentPreference;
  /** A new version's error rate (% of its invocations in a minute) that rolls its deployment back. */
  readonly errorRatePercent: number;
  /** Days the PreTraffic hooks' logs are kept. */
  readonly logRetentionDays: number;
  readonly functions: readonly DeployedFunction[];
  /** PhotoRepo: the PreTraffic hooks put their smoke photo under SMOKE_TEST_PREFIX. */
  readonly photoRepo: s3.IBucket;
  /** Told when a new version's errors alarm fires or recovers (lib/alarms.ts). @default nobody */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Safe Lambda deployments: a CodeDeploy deployment group per function moves its `live` alias to the
 * version a deployment publishes, by the configured preference (a canary by default), and rolls back
 * when an alarm fires: the alias's error rate, the new version's own error rate, and for the
 * pipeline's functions the state machine's failed executions. Before any traffic moves, a PreTraffic
 * hook invokes the new version with a smoke test (lambda/pre-traffic-hook) and fails the deployment
 * when it does not pass.
 *
 * No PostTraffic hooks: once all traffic has moved, the same alarms keep watching real photos, and a
 * post-traffic smoke test would only repeat the pre-traffic one against the same version.
 */
export class SafeDeployment extends Construct {
  public readonly application: codedeploy.LambdaApplication;
  public readonly deploymentGroups = new Map<PipelineFunction, codedeploy.LambdaDeploymentGroup>();
  public readonly preTrafficHooks = new Map<PipelineFunction, PipelineFunction>();
  /** Per function: the error rate of the version this deployment publishes, while it takes traffic. */
  public readonly newVersionErrors = new Map<PipelineFunction, cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: SafeDeploymentProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: `${Stack.of(this).stackName}-functions`,
    });
    const deploymentConfig = LAMBDA_DEPLOYMENT_CONFIGS[props.preference];

    for (const { fn, errorsAlarm, rollbackAlarms = [], smokeTest } of props.functions) {
      const name = fn.node.id.replace(/Function$/, '');
      const newVersionErrors = this.newVersionErrorsAlarm(
        `${name}NewVersionErrorsAlarm`,
        fn,
        props.errorRatePercent,
      );
      if (props.alarmTopic) {
        newVersionErrors.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        newVersionErrors.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
      this.newVersionErrors.set(fn, newVersionErrors);
      const preHook = smokeTest
        ? this.preTrafficHook(`${name}PreTrafficHook`, fn, smokeTest, props)
        : undefined;
      if (preHook) this.preTrafficHooks.set(fn, preHook);
      const group = new codedeploy.LambdaDeploymentGroup(this, `${name}DeploymentGroup`, {
        application: this.application,
        alias: fn.live,
        deploymentConfig,
        alarms: [errorsAlarm, newVersionErrors, ...rollbackAlarms],
        preHook,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      this.deploymentGroups.set(fn, group);
      if (preHook) {
        Validations.of(group).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(preHook.node.defaultChild as never)}.Arn>:*]`,
          reason:
            "CDK's invoke grant covers the hook's qualified ARNs too (:*); CodeDeploy invokes the unqualified hook, one function only.",
        });
      }
      Validations.of(group).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's own managed policy for Lambda deployments: it updates aliases, reads alarms and may invoke only functions named CodeDeployHook_* (this app has none; each hook is granted to its group's role).",
      });
    }
  }

  /**
   * The error rate of the new version alone while the alias splits traffic: Lambda's metrics for an
   * alias invocation carry the version that ran it (ExecutedVersion), so the canary's errors show even
   * when they are a tenth of the alias's traffic.
   */
  private newVersionErrorsAlarm(
    id: string,
    fn: PipelineFunction,
    errorRatePercent: number,
  ): cloudwatch.Alarm {
    const metric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: {
          FunctionName: fn.functionName,
          Resource: `${fn.functionName}:${LIVE_ALIAS}`,
          ExecutedVersion: fn.currentVersion.version,
        },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
      });
    return new cloudwatch.Alarm(this, id, {
      metric: errorRate(metric('Errors'), metric('Invocations'), 'New version error rate (%)'),
      threshold: errorRatePercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${fn.handlerFolder}: the version this deployment published failed at least ${errorRatePercent}% of its invocations in a minute. Rolls its deployment back.`,
    });
  }

  /** A hook function that runs `smokeTest` against the new version of `fn` and reports to CodeDeploy. */
  private preTrafficHook(
    id: string,
    fn: PipelineFunction,
    smokeTest: SmokeTestName,
    props: SafeDeploymentProps,
  ): PipelineFunction {
    const hook = new PipelineFunction(this, id, {
      handlerFolder: 'pre-traffic-hook',
      description: `PreTraffic hook: smoke-tests the new version of ${fn.handlerFolder} before CodeDeploy shifts traffic`,
      logRetentionDays: props.logRetentionDays,
      // Waits for the function under test (up to its own timeout), plus the smoke photo's put and delete.
      settings: { memoryMb: 256, timeoutSeconds: Math.min(900, fn.timeout!.toSeconds() + 60) },
      // CodeDeploy invokes the hook by name; a hook behind its own gradual deployment would deadlock.
      liveAlias: false,
      environment: {
        SMOKE_TEST: smokeTest,
        // The version this deployment publishes: the hook's configuration changes with it, so every
        // deployment updates the hook before CodeDeploy calls it.
        TARGET_FUNCTION_ARN: fn.currentVersion.functionArn,
      },
    }).bindObjects(props.photoRepo, 'PHOTO_BUCKET', ['s3:PutObject', 's3:DeleteObject'], [SMOKE_TEST_PREFIX]);
    fn.currentVersion.grantInvoke(hook);
    return hook;
  }
}
