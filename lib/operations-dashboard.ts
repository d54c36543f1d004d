import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { handlerMetric } from './alarms';
import type { PipelineFunction } from './pipeline-function';

export interface OperationsDashboardProps {
  readonly stateMachine: sfn.IStateMachine;
  /** The state machine's steps, in order: their durations and errors. */
  readonly steps: readonly PipelineFunction[];
  /** The other functions (start-execution, the API's, the reconciler): their errors. */
  readonly otherFunctions: readonly PipelineFunction[];
  /** Dead-letter queues by a short name, shown as the graph's labels. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly httpApi?: apigw.IHttpApi;
  /** Shown as one alarm status widget. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

const FIVE_MINUTES = Duration.minutes(5);
const WIDTH = 24;

/**
 * One CloudWatch dashboard with the pipeline's golden signals: how many photos started and how they
 * ended (READY, REJECTED, FAILED), how long each step takes, the errors and throttles, the API's
 * traffic, errors and latency, the dead letters, and the state of every alarm.
 */
export class OperationsDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { stateMachine } = props;
    const sum = { period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM };
    // Photos that ended FAILED: written by RecordFailure, or by the reconciler for executions that
    // stopped outside the definition's catches.
    const failed = new cloudwatch.MathExpression({
      expression: 'FILL(recorded, 0) + FILL(reconciled, 0)',
      usingMetrics: {
        recorded: handlerMetric('record-photo', 'PhotosFailed'),
        reconciled: handlerMetric('reconcile-photo', 'PhotosReconciled'),
      },
      label: 'FAILED',
      period: FIVE_MINUTES,
      color: cloudwatch.Color.RED,
    });
    const outcomes = [
      handlerMetric('start-execution', 'ExecutionsStarted', {
        label: 'Started',
        color: cloudwatch.Color.BLUE,
      }),
      handlerMetric('record-photo', 'PhotosReady', { label: 'READY', color: cloudwatch.Color.GREEN }),
      handlerMetric('record-photo', 'PhotosRejected', { label: 'REJECTED', color: cloudwatch.Color.ORANGE }),
      failed,
    ];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${Stack.of(this).stackName}: photo pipeline\nPhotos in and how they end, step durations, errors; alarms at the bottom. See README, "Deploying safely".`,
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Photos, last 3 hours',
        metrics: outcomes,
        setPeriodToTimeRange: true,
        width: WIDTH,
        height: 4,
      }),
      new cloudwatch.GraphWidget({
        title: 'Photos started and their outcome (per 5 minutes)',
        left: outcomes,
        width: WIDTH,
        height: 6,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Step durations, p50 (ms)',
        left: props.steps.map((fn) =>
          fn.live.metricDuration({
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.p(50),
            label: fn.handlerFolder,
          }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Step durations, p99 (ms)',
        left: props.steps.map((fn) =>
          fn.live.metricDuration({
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.p(99),
            label: fn.handlerFolder,
          }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Execution time, p50 and p99 (ms)',
        left: [
          stateMachine.metricTime({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(50), label: 'p50' }),
          stateMachine.metricTime({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99), label: 'p99' }),
        ],
        width: 8,
      }),
    );
    const allFunctions = [...props.steps, ...props.otherFunctions];
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Executions that did not succeed',
        left: [
          stateMachine.metricFailed({ ...sum, label: 'FAILED (rejections included)' }),
          stateMachine.metricTimedOut({ ...sum, label: 'TIMED_OUT' }),
          stateMachine.metricAborted({ ...sum, label: 'ABORTED' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: allFunctions.map((fn) => fn.live.metricErrors({ ...sum, label: fn.handlerFolder })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Throttling: functions and Rekognition',
        left: allFunctions.map((fn) => fn.live.metricThrottles({ ...sum, label: fn.handlerFolder })),
        right: [handlerMetric('detect-labels', 'RekognitionThrottled', { label: 'Rekognition (retried)' })],
        width: 8,
      }),
    );
    const apiWidgets: cloudwatch.IWidget[] = props.httpApi
      ? [
          new cloudwatch.GraphWidget({
            title: 'Photo API: requests, 4xx, 5xx',
            left: [props.httpApi.metricCount({ ...sum, label: 'Requests' })],
            right: [
              props.httpApi.metricClientError({ ...sum, label: '4xx' }),
              props.httpApi.metricServerError({ ...sum, label: '5xx' }),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Photo API latency, p50 and p99 (ms)',
            left: [
              props.httpApi.metricLatency({
                period: FIVE_MINUTES,
                statistic: cloudwatch.Stats.p(50),
                label: 'p50',
              }),
              props.httpApi.metricLatency({
                period: FIVE_MINUTES,
                statistic: cloudwatch.Stats.p(99),
                label: 'p99',
              }),
            ],
            width: 8,
          }),
        ]
      : [];
    this.dashboard.addWidgets(
      ...apiWidgets,
      new cloudwatch.GraphWidget({
        title: 'Dead letters waiting',
        left: Object.entries(props.deadLetterQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: name,
          }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...props.alarms],
        width: WIDTH,
        height: 6,
      }),
    );
  }
}
