import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambda/shared/observability';
import type { PipelineConfig } from './config';
import type { PipelineFunction } from './pipeline-function';

/** Throttled calls, per function per five minutes, that raise its throttles alarm. */
export const FUNCTION_THROTTLES_THRESHOLD = 5;
/** API responses with a 5xx status in five minutes that raise the API errors alarm. */
export const API_SERVER_ERRORS_THRESHOLD = 5;
/** DetectLabels calls Rekognition throttled in five minutes (each retried) that raise its alarm. */
export const REKOGNITION_THROTTLES_THRESHOLD = 10;

/** A Powertools metric of one handler (Powertools adds the `service` dimension, the handler folder). */
export function handlerMetric(
  service: string,
  metricName: string,
  props: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...props,
  });
}

/**
 * Errors as a percentage of invocations over one minute, 0 below two errors: one bad upload (the
 * functions throw for corrupt or hostile files on purpose) is not a broken deployment.
 */
export function errorRate(
  errors: cloudwatch.Metric,
  invocations: cloudwatch.Metric,
  label: string,
): cloudwatch.MathExpression {
  const minute = { period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM };
  return new cloudwatch.MathExpression({
    expression: 'IF(FILL(errors, 0) >= 2, 100 * FILL(errors, 0) / FILL(invocations, 1), 0)',
    usingMetrics: { errors: errors.with(minute), invocations: invocations.with(minute) },
    label,
    period: Duration.minutes(1),
  });
}

export interface OperationsAlarmsProps {
  /** Thresholds and who is told (the config's `alarms`). */
  readonly settings: PipelineConfig['alarms'];
  readonly stateMachine: sfn.IStateMachine;
  /** Every function behind a live alias: each gets an errors and a throttles alarm. */
  readonly functions: readonly PipelineFunction[];
  /**
   * Dead-letter queues by a short name (the alarm is `<name>DeadLettersAlarm`): any message in one is
   * an event that needs a person (or a redrive).
   */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly httpApi?: apigw.IHttpApi;
}

/**
 * The app's alarms, and the SNS topic that tells a person about them when `alarms.email` is set.
 * Some also roll deployments back (lib/safe-deployment.ts): a function's error rate, and failed
 * executions of the state machine.
 *
 * Every alarm treats missing data as not breaching: a quiet pipeline is a healthy one.
 */
export class OperationsAlarms extends Construct {
  /** Present when `alarms.email` is set. */
  public readonly topic?: sns.Topic;
  /** Executions that ended FAILED for another reason than an unsupported type (a REJECTED photo). */
  public readonly failedExecutions: cloudwatch.Alarm;
  public readonly timedOutExecutions: cloudwatch.Alarm;
  public readonly abortedExecutions: cloudwatch.Alarm;
  /** Per function: its `live` alias's error rate. */
  public readonly functionErrors = new Map<PipelineFunction, cloudwatch.Alarm>();
  public readonly functionThrottles = new Map<PipelineFunction, cloudwatch.Alarm>();
  public readonly deadLetters: cloudwatch.Alarm[] = [];
  public readonly apiServerErrors?: cloudwatch.Alarm;
  public readonly apiLatency?: cloudwatch.Alarm;
  public readonly rekognitionThrottling: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const { settings, stateMachine } = props;

    if (settings.email !== undefined) {
      // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key: a key of our own
      // whose policy lets CloudWatch use it.
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the alarm notifications topic',
        enableKeyRotation: true,
      });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
      this.topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: `${Stack.of(this).stackName} alarms`,
        masterKey: key,
        enforceSSL: true,
      });
      this.topic.addSubscription(new subscriptions.EmailSubscription(settings.email));
    }

    // Rejections end the execution FAILED too (NotSupportedImageType): subtract the photos
    // record-photo marked REJECTED, so uploading TIFFs is not an incident.
    const failedMinusRejected = new cloudwatch.MathExpression({
      expression: 'FILL(failed, 0) - FILL(rejected, 0)',
      usingMetrics: {
        failed: stateMachine.metricFailed({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
        rejected: handlerMetric('record-photo', 'PhotosRejected', { period: Duration.minutes(1) }),
      },
      label: 'Failed executions (rejections not counted)',
      period: Duration.minutes(1),
    });
    this.failedExecutions = this.alarm('ExecutionsFailedAlarm', {
      metric: failedMinusRejected,
      threshold: settings.failedExecutionsPerMinute,
      alarmDescription: `ImageProc: at least ${settings.failedExecutionsPerMinute} executions in a minute ended FAILED for another reason than an unsupported type. Their photos are FAILED with the reason; look at the executions' errors. Rolls back a deployment in progress.`,
    });
    this.timedOutExecutions = this.alarm('ExecutionsTimedOutAlarm', {
      metric: stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      alarmDescription:
        'ImageProc: an execution ran past its TimeoutSeconds (the reconciler marked its photo FAILED): a step hangs or retries for too long. Rolls back a state machine deployment in progress.',
    });
    this.abortedExecutions = this.alarm('ExecutionsAbortedAlarm', {
      metric: stateMachine.metricAborted({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      alarmDescription:
        'ImageProc: an execution was stopped (StopExecution); the reconciler marked its photo FAILED.',
    });

    for (const fn of props.functions) {
      const name = fn.node.id.replace(/Function$/, '');
      this.functionErrors.set(
        fn,
        this.alarm(`${name}ErrorsAlarm`, {
          metric: errorRate(fn.live.metricErrors(), fn.live.metricInvocations(), 'Error rate (%)'),
          threshold: settings.functionErrorRatePercent,
          alarmDescription: `${fn.handlerFolder}: at least ${settings.functionErrorRatePercent}% of the live alias's invocations failed in a minute. Rolls back its deployment in progress.`,
        }),
      );
      this.functionThrottles.set(
        fn,
        this.alarm(`${name}ThrottlesAlarm`, {
          metric: fn.live.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: FUNCTION_THROTTLES_THRESHOLD,
          alarmDescription: `${fn.handlerFolder}: Lambda throttled at least ${FUNCTION_THROTTLES_THRESHOLD} invocations in five minutes: the account's concurrency is exhausted.`,
        }),
      );
    }

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.deadLetters.push(
        this.alarm(`${name}DeadLettersAlarm`, {
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 1,
          alarmDescription: `${name}: events are waiting in the dead-letter queue ${queue.node.path}; they failed every retry. Fix the cause, then redrive them (README, "Redriving failed starts").`,
        }),
      );
    }

    if (props.httpApi) {
      this.apiServerErrors = this.alarm('ApiServerErrorsAlarm', {
        metric: props.httpApi.metricServerError({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }),
        threshold: API_SERVER_ERRORS_THRESHOLD,
        alarmDescription: `Photo API: at least ${API_SERVER_ERRORS_THRESHOLD} responses with a 5xx status in five minutes.`,
      });
      this.apiLatency = this.alarm('ApiLatencyAlarm', {
        metric: props.httpApi.metricLatency({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.p(99),
        }),
        threshold: settings.apiLatencyP99Ms,
        alarmDescription: `Photo API: p99 latency over ${settings.apiLatencyP99Ms} ms for five minutes.`,
      });
    }

    this.rekognitionThrottling = this.alarm('RekognitionThrottlingAlarm', {
      metric: handlerMetric('detect-labels', 'RekognitionThrottled'),
      threshold: REKOGNITION_THROTTLES_THRESHOLD,
      alarmDescription: `DetectLabels: Rekognition throttled at least ${REKOGNITION_THROTTLES_THRESHOLD} calls in five minutes. The state machine retries them, so photos are slower, not lost; ask for a higher DetectLabels quota if it persists.`,
    });
  }

  /** Every alarm, for the dashboard's alarm status. */
  get all(): cloudwatch.Alarm[] {
    return [
      this.failedExecutions,
      this.timedOutExecutions,
      this.abortedExecutions,
      ...this.deadLetters,
      ...this.functionErrors.values(),
      ...this.functionThrottles.values(),
      ...(this.apiServerErrors ? [this.apiServerErrors] : []),
      ...(this.apiLatency ? [this.apiLatency] : []),
      this.rekognitionThrottling,
    ];
  }

  /** An alarm at or above `threshold` for one period, quiet without data, wired to the topic. */
  alarm(
    id: string,
    props: { metric: cloudwatch.IMetric; threshold: number; alarmDescription: string },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (this.topic) {
      alarm.addAlarmAction(new actions.SnsAction(this.topic));
      alarm.addOkAction(new actions.SnsAction(this.topic));
    }
    return alarm;
  }
}
