import { Duration, Lazy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { StateMachineDeploymentPreference } from './config';
import { LIVE_ALIAS, type StartExecutionTarget } from './pipeline-function';

export interface StateMachineLiveAliasProps {
  readonly stateMachine: sfn.StateMachine;
  /** How the alias moves to each new version. */
  readonly preference: StateMachineDeploymentPreference;
}

/**
 * The state machine published as a version per deployment behind a `live` alias, which is what
 * start-execution starts. A change to the definition (or any other setting of the state machine)
 * gives it a new revision; the version resource names that revision, so CloudFormation publishes a
 * new version and CloudFormation's own gradual deployment moves the alias to it by the preference,
 * rolling back to the previous version when a rollback alarm fires. A deployment that changes only
 * function code changes no revision: the definition invokes the functions' `live` aliases, and
 * CodeDeploy shifts those (lib/safe-deployment.ts).
 */
export class StateMachineLiveAlias extends Construct implements StartExecutionTarget {
  public readonly version: sfn.CfnStateMachineVersion;
  public readonly alias: sfn.CfnStateMachineAlias;
  /** `arn:…:stateMachine:<name>:live`. */
  public readonly aliasArn: string;
  /** The version this deployment publishes, `arn:…:stateMachine:<name>:<n>`. */
  public readonly versionArn: string;
  public readonly stateMachine: sfn.StateMachine;
  private readonly rollbackAlarms: cloudwatch.IAlarm[] = [];

  constructor(scope: Construct, id: string, props: StateMachineLiveAliasProps) {
    super(scope, id);
    const { stateMachine, preference } = props;
    this.stateMachine = stateMachine;
    this.version = new sfn.CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: stateMachine.stateMachineArn,
      // Replacement on every new revision: one version per deployment that changes the state machine.
      // The old version is deleted only in the stack's clean-up phase, after the alias left it, and
      // executions already running on it go on; keeping every version would run into the limit of
      // 1000 per state machine.
      stateMachineRevisionId: stateMachine.stateMachineRevisionId,
      description: 'ImageProc as of this deployment',
    });
    this.versionArn = this.version.attrArn;
    const gradual = preference.type !== 'ALL_AT_ONCE';
    this.alias = new sfn.CfnStateMachineAlias(this, 'Alias', {
      name: LIVE_ALIAS,
      description: 'What start-execution starts; moved to each new version by the deployment preference',
      deploymentPreference: {
        stateMachineVersionArn: this.versionArn,
        type: preference.type,
        percentage: gradual ? preference.percentage : undefined,
        interval: gradual ? preference.intervalMinutes : undefined,
        // Alarm names, not ARNs: CloudWatch takes a name it does not know for an alarm in OK, so a
        // wrong one would silently never roll back (the local cloud checks each names an alarm).
        alarms: Lazy.list(
          { produce: () => this.rollbackAlarms.map((alarm) => alarm.alarmName) },
          { omitEmpty: true },
        ),
      },
    });
    this.aliasArn = this.alias.attrArn;
  }

  get startExecutionArn(): string {
    return this.aliasArn;
  }

  /**
   * StartExecution through the alias only. An unqualified state machine ARN in a policy does not
   * cover its aliases or versions, and the alias ARN does not cover the unqualified machine: the
   * caller cannot bypass the deployment by starting the latest revision directly.
   */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:StartExecution'],
      resourceArns: [this.aliasArn],
    });
  }

  /** Alarms that roll the alias back to the previous version while it moves (up to 100). */
  addRollbackAlarms(...alarms: cloudwatch.IAlarm[]): void {
    this.rollbackAlarms.push(...alarms);
  }

  /** Executions of this deployment's version that ended FAILED (Step Functions' per-version metric). */
  metricNewVersionFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/States',
      metricName: 'ExecutionsFailed',
      dimensionsMap: { StateMachineArn: this.versionArn },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
    });
  }
}
