import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { executionTimeoutSeconds, resolveConfig } from '../../lib/config';
import { logicalId, synthTemplate } from './synth';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

describe('reconciler', () => {
  const template = synthTemplate();
  const fnId = logicalId(template, 'AWS::Lambda::Function', 'ReconcilerReconcilePhotoFunction');
  const stateMachineId = logicalId(template, 'AWS::StepFunctions::StateMachine', 'ProcessingImageProc');
  const tableId = logicalId(template, 'AWS::DynamoDB::Table', 'StorageImageMetadata');
  const queueId = logicalId(template, 'AWS::SQS::Queue', 'ReconcilerReconcileDeadLetters');
  // What EventBridge invokes: the function's live alias (lib/safe-deployment.ts).
  const aliasId = logicalId(template, 'AWS::Lambda::Alias', 'ReconcilerReconcilePhotoFunctionLiveAlias');

  it('sends FAILED, TIMED_OUT and ABORTED status changes of ImageProc, and nothing else, to ReconcilePhoto', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: stateMachineId }],
        },
      },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: aliasId } })],
    });
  });

  it('retries delivery and keeps undeliverable events in a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        }),
      ],
    });
  });

  it('retries a failed reconciliation twice, then keeps the event in the same queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('lets EventBridge invoke the function, for this rule only', () => {
    const ruleId = logicalId(template, 'AWS::Events::Rule', 'ReconcilerExecutionStoppedRule');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: aliasId },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('lets ReconcilePhoto only update items of the ImageMetadata table (and send to its dead-letter queue)', () => {
    const fn = template.findResources('AWS::Lambda::Function')[fnId];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
    ]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual([
      'dynamodb:UpdateItem',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
  });

  it('gives the function the table and the execution timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: tableId },
          EXECUTION_TIMEOUT_SECONDS: '900',
        }),
      },
      Handler: 'index.handler',
      Timeout: 30,
    });
  });

  it('is left out for an EXPRESS workflow, which sends no status-change events', () => {
    const express = synthTemplate({ workflowType: 'EXPRESS' });
    express.resourceCountIs('AWS::Events::Rule', 0);
  });
});

describe('execution timeout', () => {
  it('gives the state machine a TimeoutSeconds of 15 minutes by default', () => {
    const template = synthTemplate();
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"TimeoutSeconds\\":900');
  });

  it('takes the timeout from the config', () => {
    const template = synthTemplate({ executionTimeoutSeconds: 120 });
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain('\\"TimeoutSeconds\\":120');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EXECUTION_TIMEOUT_SECONDS: '120' }) },
    });
  });

  it('defaults to 5 minutes for EXPRESS, its longest run', () => {
    expect(executionTimeoutSeconds(resolveConfig({ workflowType: 'EXPRESS' }))).toBe(300);
    expect(executionTimeoutSeconds(resolveConfig())).toBe(900);
  });

  it('fails when the timeout is not a whole number of seconds within the workflow type’s limit', () => {
    expect(() => resolveConfig({ executionTimeoutSeconds: 0 })).toThrow(
      /executionTimeoutSeconds must be a whole number of seconds from 1 to 31536000/,
    );
    expect(() => resolveConfig({ executionTimeoutSeconds: 12.5 })).toThrow(/executionTimeoutSeconds/);
    expect(() => resolveConfig({ workflowType: 'EXPRESS', executionTimeoutSeconds: 600 })).toThrow(
      /from 1 to 300 \(the longest a EXPRESS execution runs\), got 600/,
    );
  });
});
