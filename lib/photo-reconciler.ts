import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FunctionSettings } from './config';
import { PipelineFunction } from './pipeline-function';

/** The execution statuses that end an execution outside the definition's own catches. */
export const STOPPED_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface PhotoReconcilerProps {
  /** The state machine's execution timeout: the reason a TIMED_OUT photo is given names it. */
  readonly executionTimeout: Duration;
  /** Memory and timeout of ReconcilePhoto. */
  readonly settings: FunctionSettings;
  /** Days ReconcilePhoto's logs are kept. */
  readonly logRetentionDays: number;
  /** The state machine whose stopped executions are reconciled. */
  readonly stateMachine: sfn.IStateMachine;
  readonly imageMetadata: ITableV2;
}

/**
 * No photo stays PROCESSING when its execution stops outside the definition's catches (aborted,
 * timed out, or failed with an error a catch cannot take, such as States.DataLimitExceeded): an
 * EventBridge rule on Step Functions' "Execution Status Change" events (FAILED, TIMED_OUT, ABORTED) of
 * the one state machine invokes ReconcilePhoto, which marks the record FAILED with the reason when it
 * still belongs to that execution and is still PROCESSING.
 *
 * Step Functions sends these events for STANDARD workflows only; an EXPRESS workflow sends none.
 */
export class PhotoReconciler extends Construct {
  public readonly rule: events.Rule;
  public readonly reconcilePhoto: PipelineFunction;
  /** Events EventBridge could not deliver, and events the function still failed after Lambda's retries. */
  public readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: PhotoReconcilerProps) {
    super(scope, id);
    const { stateMachine, imageMetadata } = props;

    this.deadLetters = new sqs.Queue(this, 'ReconcileDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the reconciler rule and ReconcilePhoto.',
    });

    const timeoutSeconds = props.executionTimeout.toSeconds();
    this.reconcilePhoto = new PipelineFunction(this, 'ReconcilePhotoFunction', {
      logRetentionDays: props.logRetentionDays,
      handlerFolder: 'reconcile-photo',
      description: 'Marks the photo of an aborted, timed-out or failed ImageProc execution FAILED',
      settings: props.settings,
      environment: { EXECUTION_TIMEOUT_SECONDS: String(timeoutSeconds) },
    }).bindTable(imageMetadata, ['dynamodb:UpdateItem']);
    // Function errors (DynamoDB unreachable): Lambda retries twice, then keeps the event. On the
    // alias, which the rule invokes: an EventInvokeConfig applies to one qualifier only.
    this.reconcilePhoto.live.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetters),
    });

    this.rule = new events.Rule(this, 'ExecutionStoppedRule', {
      description: 'ImageProc executions that ended FAILED, TIMED_OUT or ABORTED → ReconcilePhoto',
      // Executions started through the `live` alias carry the unqualified state machine ARN here (the
      // alias and version come in stateMachineAliasArn / stateMachineVersionArn), so this matches every
      // execution of ImageProc, whichever version ran it.
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: STOPPED_EXECUTION_STATUSES,
          stateMachineArn: [stateMachine.stateMachineArn],
        },
      },
      // Delivery failures (throttling, a missing permission): EventBridge retries, then keeps the event.
      targets: [
        new targets.LambdaFunction(this.reconcilePhoto.live, {
          deadLetterQueue: this.deadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
  }
}
