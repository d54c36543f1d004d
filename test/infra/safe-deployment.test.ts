import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config';
import { allStates, imageProcDefinition, logicalId, synthTemplate } from './synth';

/** Every function behind a live alias, by logical id prefix, and the smoke test its hook runs (if any). */
const FUNCTIONS: Record<string, string | undefined> = {
  ProcessingImageProcStartExecution: 'start-execution',
  ProcessingExtractMetadataFunction: 'extract-metadata',
  ProcessingRecordPhotoFunction: 'record-photo',
  ProcessingDetectLabelsFunction: 'detect-labels',
  ProcessingGenerateThumbnailFunction: 'generate-thumbnail',
  ProcessingGenerateRenditionFunction: 'generate-rendition',
  ReconcilerReconcilePhotoFunction: 'reconcile-photo',
  ApiCreateUploadFunction: undefined,
  ApiListPhotosFunction: undefined,
  ApiGetPhotoFunction: undefined,
  ApiDeletePhotoFunction: undefined,
  ApiRetryPhotoFunction: undefined,
  ReprocessingReprocessPhotoFunction: undefined,
};
const PIPELINE = [
  'ProcessingImageProcStartExecution',
  'ProcessingExtractMetadataFunction',
  'ProcessingRecordPhotoFunction',
  'ProcessingDetectLabelsFunction',
  'ProcessingGenerateThumbnailFunction',
  'ProcessingGenerateRenditionFunction',
];

/** A template resource, as the assertions library hands it out (untyped JSON). */
type Resource = ReturnType<Template['findResources']>[string];

const functionId = (template: Template, prefix: string) =>
  logicalId(template, 'AWS::Lambda::Function', prefix);
const liveAliasId = (template: Template, prefix: string) =>
  logicalId(template, 'AWS::Lambda::Alias', `${prefix}LiveAlias`);
const aliasIds = (template: Template) => new Set(Object.keys(template.findResources('AWS::Lambda::Alias')));
const resource = (template: Template, id: string) => template.toJSON().Resources[id] as Resource;
const alarmRef = (template: Template, prefix: string) => ({
  Ref: logicalId(template, 'AWS::CloudWatch::Alarm', prefix),
});

describe('live aliases', () => {
  const template = synthTemplate();

  it.each(Object.keys(FUNCTIONS))('publishes %s as a version behind an alias named live', (prefix) => {
    const alias = resource(template, liveAliasId(template, prefix));
    expect(alias.Properties).toMatchObject({
      Name: 'live',
      FunctionName: { Ref: functionId(template, prefix) },
      FunctionVersion: {
        'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${prefix}CurrentVersion`)), 'Version'],
      },
    });
  });

  it('gives nothing else an alias: the PreTraffic hooks are invoked by name', () => {
    expect(aliasIds(template).size).toBe(Object.keys(FUNCTIONS).length);
  });

  it('has S3 invoke the start-execution alias, with the permission on the alias', () => {
    const aliasId = liveAliasId(template, 'ProcessingImageProcStartExecution');
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [Match.objectLike({ LambdaFunctionArn: { Ref: aliasId } })],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 's3.amazonaws.com',
      FunctionName: { Ref: aliasId },
    });
  });

  it('invokes an alias from every Task state of ImageProc', () => {
    const definition = imageProcDefinition(template);
    const tasks = Object.entries(allStates(definition)).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(7);
    for (const [name, state] of tasks) expect(state.Resource, name).toMatch(/:function:.+:live$/);
  });

  it("lets the state machine's role invoke the aliases and nothing broader", () => {
    const [policy] = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('ProcessingImageProcRole'),
    );
    const invoke = policy[1].Properties.PolicyDocument.Statement.find(
      (s: { Action: string }) => s.Action === 'lambda:InvokeFunction',
    );
    const refs = (invoke.Resource as { Ref: string }[]).map((r) => r.Ref);
    expect(refs.length).toBe(5);
    for (const ref of refs) expect(aliasIds(template).has(ref)).toBe(true);
  });

  it.each([
    'ApiCreateUploadFunction',
    'ApiListPhotosFunction',
    'ApiGetPhotoFunction',
    'ApiDeletePhotoFunction',
  ])('integrates the API route of %s with its alias, and lets API Gateway invoke the alias', (prefix) => {
    const aliasId = liveAliasId(template, prefix);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationUri: { Ref: aliasId } });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { Ref: aliasId },
    });
  });

  it('has the EventBridge rule invoke the reconciler alias, with the permission on the alias', () => {
    const aliasId = liveAliasId(template, 'ReconcilerReconcilePhotoFunction');
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { Ref: aliasId } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { Ref: aliasId },
    });
  });

  it('puts the async retry and dead-letter settings on the aliases that S3 and EventBridge invoke', () => {
    for (const prefix of ['ProcessingImageProcStartExecution', 'ReconcilerReconcilePhotoFunction']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId(template, prefix) },
        Qualifier: { 'Fn::Select': [7, { 'Fn::Split': [':', { Ref: liveAliasId(template, prefix) }] }] },
        MaximumRetryAttempts: 2,
      });
    }
  });
});

describe('CodeDeploy deployment groups', () => {
  const template = synthTemplate();
  const groups = () =>
    Object.entries(template.findResources('AWS::CodeDeploy::DeploymentGroup')) as [string, Resource][];
  const groupOf = (prefix: string) => {
    const alias = resource(template, liveAliasId(template, prefix));
    const groupId = alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate.DeploymentGroupName.Ref as string;
    return resource(template, groupId);
  };

  it('has one deployment group per function, each shifting the live alias by CodeDeploy', () => {
    expect(groups()).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const prefix of Object.keys(FUNCTIONS)) {
      expect(groupOf(prefix).Type).toBe('AWS::CodeDeploy::DeploymentGroup');
    }
  });

  it('deploys by a canary, 10% for 5 minutes, by default', () => {
    for (const [, group] of groups()) {
      expect(group.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    }
  });

  it('deploys all at once when a stage asks for it', () => {
    const allAtOnce = synthTemplate({ deployment: { functions: 'ALL_AT_ONCE' } });
    allAtOnce.allResourcesProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
    });
  });

  it('rolls back on a failed or stopped deployment and on an alarm', () => {
    for (const [, group] of groups()) {
      expect(group.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
    }
  });

  it.each(Object.keys(FUNCTIONS))(
    "rolls %s back on its alias's error rate and its new version's error rate",
    (prefix) => {
      const name = prefix.replace(/^(Processing|Api|Reconciler|Reprocessing)/, '').replace(/Function$/, '');
      const alarms = groupOf(prefix).Properties.AlarmConfiguration.Alarms as { Name: unknown }[];
      expect(alarms).toContainEqual({ Name: alarmRef(template, `Alarms${name}ErrorsAlarm`) });
      expect(alarms).toContainEqual({ Name: alarmRef(template, `Deployment${name}NewVersionErrorsAlarm`) });
    },
  );

  it.each(PIPELINE)("rolls the pipeline's %s back on the state machine's failed executions", (prefix) => {
    const alarms = groupOf(prefix).Properties.AlarmConfiguration.Alarms;
    expect(alarms).toContainEqual({ Name: alarmRef(template, 'AlarmsExecutionsFailedAlarm') });
  });

  it('does not roll the reconciler back on failed executions, which are what it is called for', () => {
    const alarms = groupOf('ReconcilerReconcilePhotoFunction').Properties.AlarmConfiguration.Alarms;
    expect(alarms).not.toContainEqual({ Name: alarmRef(template, 'AlarmsExecutionsFailedAlarm') });
  });

  it('watches the new version on its own: the alias metric with the executed version', () => {
    const versionId = logicalId(
      template,
      'AWS::Lambda::Version',
      'ProcessingDetectLabelsFunctionCurrentVersion',
    );
    const fnId = functionId(template, 'ProcessingDetectLabelsFunction');
    const alarm = resource(
      template,
      logicalId(template, 'AWS::CloudWatch::Alarm', 'DeploymentDetectLabelsNewVersionErrorsAlarm'),
    );
    const errors = alarm.Properties.Metrics.find((m: { Id: string }) => m.Id === 'errors');
    expect(errors.MetricStat.Metric).toEqual({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: expect.arrayContaining([
        { Name: 'FunctionName', Value: { Ref: fnId } },
        { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fnId }, ':live']] } },
        { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [versionId, 'Version'] } },
      ]),
    });
  });

  it.each(Object.entries(FUNCTIONS))(
    'gives %s a PreTraffic hook running the %s smoke test',
    (prefix, smokeTest) => {
      const update = resource(template, liveAliasId(template, prefix)).UpdatePolicy
        ?.CodeDeployLambdaAliasUpdate;
      if (!smokeTest) {
        expect(update.BeforeAllowTrafficHook).toBeUndefined();
        return;
      }
      const hook = resource(template, update.BeforeAllowTrafficHook.Ref);
      const versionId = logicalId(template, 'AWS::Lambda::Version', `${prefix}CurrentVersion`);
      expect(hook.Properties.Environment.Variables).toMatchObject({
        SMOKE_TEST: smokeTest,
        TARGET_FUNCTION_ARN: { Ref: versionId },
        PHOTO_BUCKET: { Ref: logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo') },
      });
      expect(update.AfterAllowTrafficHook).toBeUndefined();
    },
  );

  it('lets each hook invoke only the version it tests, report to CodeDeploy, and touch only SmokeTests/', () => {
    const hookId = logicalId(template, 'AWS::Lambda::Function', 'DeploymentExtractMetadataPreTrafficHook');
    const roleId = resource(template, hookId).Properties.Role['Fn::GetAtt'][0];
    const [, policy] = Object.entries(template.findResources('AWS::IAM::Policy')).find(([, p]) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[];
    const versionId = logicalId(
      template,
      'AWS::Lambda::Version',
      'ProcessingExtractMetadataFunctionCurrentVersion',
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { Ref: versionId } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'codedeploy:PutLifecycleEventHookExecutionStatus' }),
    );
    const s3 = statements.find((s) => JSON.stringify(s.Action).includes('s3:'))!;
    expect([s3.Action].flat().sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(JSON.stringify(s3.Resource)).toContain('/SmokeTests/*');
  });

  it('lets the photo functions read the smoke photo under SmokeTests/, which starts no pipeline', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'Incoming/' }] } } }),
        ],
      },
    });
  });
});

describe('state machine versions and alias', () => {
  const template = synthTemplate();
  const stateMachineId = logicalId(template, 'AWS::StepFunctions::StateMachine', 'ProcessingImageProc');
  const versionId = logicalId(template, 'AWS::StepFunctions::StateMachineVersion', 'ProcessingImageProcLive');
  const aliasId = logicalId(template, 'AWS::StepFunctions::StateMachineAlias', 'ProcessingImageProcLive');

  it('publishes a version for every revision of ImageProc', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachineVersion', {
      StateMachineArn: { Ref: stateMachineId },
      StateMachineRevisionId: { 'Fn::GetAtt': [stateMachineId, 'StateMachineRevisionId'] },
    });
  });

  it('moves the live alias to it by a canary, rolled back on failed or timed-out executions', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      Name: 'live',
      DeploymentPreference: {
        StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] },
        Type: 'CANARY',
        Percentage: 10,
        Interval: 5,
        Alarms: [
          alarmRef(template, 'AlarmsExecutionsFailedAlarm'),
          alarmRef(template, 'AlarmsExecutionsTimedOutAlarm'),
        ],
      },
    });
  });

  it('takes a linear preference from the config', () => {
    synthTemplate({
      deployment: { stateMachine: { type: 'LINEAR', percentage: 20, intervalMinutes: 2 } },
    }).hasResourceProperties('AWS::StepFunctions::StateMachineAlias', {
      DeploymentPreference: Match.objectLike({ Type: 'LINEAR', Percentage: 20, Interval: 2 }),
    });
  });

  it('sets neither percentage nor interval for ALL_AT_ONCE, which CloudFormation refuses with them', () => {
    synthTemplate({ deployment: { stateMachine: { type: 'ALL_AT_ONCE' } } }).hasResourceProperties(
      'AWS::StepFunctions::StateMachineAlias',
      {
        DeploymentPreference: {
          StateMachineVersionArn: Match.anyValue(),
          Type: 'ALL_AT_ONCE',
          Alarms: Match.anyValue(),
          Percentage: Match.absent(),
          Interval: Match.absent(),
        },
      },
    );
  });

  it('has start-execution start the alias, and lets it start nothing else', () => {
    const fnId = functionId(template, 'ProcessingImageProcStartExecution');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STATE_MACHINE_ARN: { 'Fn::GetAtt': [aliasId, 'Arn'] } }) },
    });
    const roleId = resource(template, fnId).Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
    );
    const start = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('states:StartExecution'));
    expect(start).toEqual([
      expect.objectContaining({
        Action: 'states:StartExecution',
        Resource: { 'Fn::GetAtt': [aliasId, 'Arn'] },
      }),
    ]);
  });

  it("keeps the reconciler's rule on the state machine's own ARN, which executions started by the alias carry", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ stateMachineArn: [{ Ref: stateMachineId }] }),
      }),
    });
  });

  it('outputs the alias ARN for tools that start executions', () => {
    template.hasOutput('ImageProcLiveAliasArn', { Value: { 'Fn::GetAtt': [aliasId, 'Arn'] } });
  });
});

describe('alarms', () => {
  const template = synthTemplate();
  const alarm = (prefix: string) => resource(template, logicalId(template, 'AWS::CloudWatch::Alarm', prefix));

  it('alarms on any message in either dead-letter queue', () => {
    for (const [prefix, queue] of [
      ['AlarmsStartExecutionDeadLettersAlarm', 'ProcessingStartExecutionDeadLetters'],
      ['AlarmsReconcileDeadLettersAlarm', 'ReconcilerReconcileDeadLetters'],
    ]) {
      expect(alarm(prefix).Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(template, 'AWS::SQS::Queue', queue), 'QueueName'] },
          },
        ],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('counts failed executions without the rejections (an unsupported type also ends FAILED)', () => {
    const props = alarm('AlarmsExecutionsFailedAlarm').Properties;
    expect(props.Threshold).toBe(3);
    const expression = props.Metrics.find((m: { Expression?: string }) => m.Expression);
    expect(expression.Expression).toBe('FILL(failed, 0) - FILL(rejected, 0)');
    const rejected = props.Metrics.find((m: { Id: string }) => m.Id === 'rejected').MetricStat.Metric;
    expect(rejected).toEqual({
      Namespace: 'ImageRecognition',
      MetricName: 'PhotosRejected',
      Dimensions: [{ Name: 'service', Value: 'record-photo' }],
    });
  });

  it('takes the failed-executions threshold from the config', () => {
    const props = synthTemplate({ alarms: { failedExecutionsPerMinute: 7 } }).toJSON().Resources;
    const [failed] = Object.entries(props).filter(([id]) => id.startsWith('AlarmsExecutionsFailedAlarm'));
    expect((failed[1] as Resource).Properties.Threshold).toBe(7);
  });

  it.each([
    ['AlarmsExecutionsTimedOutAlarm', 'ExecutionsTimedOut'],
    ['AlarmsExecutionsAbortedAlarm', 'ExecutionsAborted'],
  ])('%s alarms on any %s', (prefix, metricName) => {
    expect(alarm(prefix).Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: metricName,
      Threshold: 1,
    });
  });

  it.each(Object.keys(FUNCTIONS))("alarms on %s's error rate and throttles, on its live alias", (prefix) => {
    const name = prefix.replace(/^(Processing|Api|Reconciler|Reprocessing)/, '').replace(/Function$/, '');
    const errors = alarm(`Alarms${name}ErrorsAlarm`).Properties;
    expect(errors.Threshold).toBe(10);
    const errorMetric = errors.Metrics.find((m: { Id: string }) => m.Id === 'errors').MetricStat.Metric;
    expect(errorMetric.Dimensions).toContainEqual({
      Name: 'Resource',
      Value: { 'Fn::Join': ['', [{ Ref: functionId(template, prefix) }, ':live']] },
    });
    expect(alarm(`Alarms${name}ThrottlesAlarm`).Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
    });
  });

  it('alarms on API 5xx responses and on p99 latency over the configured limit', () => {
    expect(alarm('AlarmsApiServerErrorsAlarm').Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
    });
    expect(alarm('AlarmsApiLatencyAlarm').Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: 3000,
    });
  });

  it("alarms on Rekognition throttling, detect-labels' Powertools metric", () => {
    expect(alarm('AlarmsRekognitionThrottlingAlarm').Properties).toMatchObject({
      Namespace: 'ImageRecognition',
      MetricName: 'RekognitionThrottled',
      Dimensions: [{ Name: 'service', Value: 'detect-labels' }],
    });
  });

  it('treats missing data as not breaching, everywhere: a quiet pipeline is a healthy one', () => {
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { TreatMissingData: 'notBreaching' });
  });

  it('creates no topic without an e-mail address', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('with an e-mail address, tells it of every alarm and recovery through an encrypted, TLS-only topic', () => {
    const withEmail = synthTemplate({ alarms: { email: 'ops@example.com' } });
    const topicId = logicalId(withEmail, 'AWS::SNS::Topic', 'AlarmsAlarmTopic');
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    withEmail.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(withEmail, 'AWS::KMS::Key', 'AlarmsAlarmTopicKey'), 'Arn'] },
    });
    withEmail.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
  });
});

describe('dashboard', () => {
  const template = synthTemplate();
  const body = () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    return JSON.stringify(dashboard.Properties.DashboardBody);
  };

  it('is one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('shows photos started and how they ended: READY, REJECTED, FAILED', () => {
    for (const metric of [
      'ExecutionsStarted',
      'PhotosReady',
      'PhotosRejected',
      'PhotosFailed',
      'PhotosReconciled',
    ]) {
      expect(body()).toContain(metric);
    }
  });

  it('shows step durations, execution time, errors, throttling, the API and the dead letters', () => {
    for (const metric of [
      'Duration',
      'ExecutionTime',
      'Errors',
      'ExecutionsFailed',
      'Throttles',
      'RekognitionThrottled',
      '5xx',
      'Latency',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body()).toContain(metric);
    }
  });

  it('shows the state of every alarm', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    for (const id of alarms) expect(body()).toContain(`"${id}"`);
  });

  it("links to itself in the stack's outputs", () => {
    template.hasOutput('OperationsDashboardUrl', Match.anyValue());
  });
});

describe('config', () => {
  it("fails when a function deployment preference is not one of CodeDeploy's", () => {
    expect(() => resolveConfig({ deployment: { functions: 'CANARY_50PERCENT' as never } })).toThrow(
      /deployment.functions "CANARY_50PERCENT" must be one of CANARY_10PERCENT_5MINUTES/,
    );
  });

  it('fails when the state machine preference is out of range', () => {
    expect(() =>
      resolveConfig({
        deployment: { stateMachine: { type: 'BLUE_GREEN' as never, percentage: 0, intervalMinutes: 3000 } },
      }),
    ).toThrow(/type "BLUE_GREEN"[\s\S]*percentage must be a whole number from 1 to 99[\s\S]*intervalMinutes/);
  });

  it('fails when the alarm e-mail is not an address', () => {
    expect(() => resolveConfig({ alarms: { email: 'ops at example' } })).toThrow(
      /alarms.email "ops at example"/,
    );
  });

  it('fails when an alarm threshold is out of range', () => {
    expect(() =>
      resolveConfig({
        alarms: { functionErrorRatePercent: 0, failedExecutionsPerMinute: 0.5, apiLatencyP99Ms: 50 },
      }),
    ).toThrow(/functionErrorRatePercent[\s\S]*failedExecutionsPerMinute[\s\S]*apiLatencyP99Ms/);
  });
});
