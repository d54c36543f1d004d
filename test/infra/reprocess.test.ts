import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPROCESS_RESULTS_PREFIX } from '../../lambda/shared/model';
import { resolveConfig } from '../../lib/config';
import { ESTIMATE_PATHS, estimateReprocessCost, REPROCESS_TASK_FUNCTIONS } from '../../lib/cost-model';
import { pipelineVersion } from '../../lib/pipeline-version';
import {
  aliasArn,
  allStates,
  functionArn,
  imageProcDefinition,
  logicalId,
  stateMachineDefinition,
  synthTemplate,
} from './synth';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('reprocess workflow', () => {
  const template = synthTemplate();
  const definition = stateMachineDefinition(template, 'ReprocessingReprocess');
  const states = allStates(definition);
  const map = definition.States.ReprocessPhotos;
  const stateMachineId = logicalId(template, 'AWS::StepFunctions::StateMachine', 'ReprocessingReprocess');
  const imageProcAliasId = logicalId(
    template,
    'AWS::StepFunctions::StateMachineAlias',
    'ProcessingImageProcLive',
  );
  const bucketId = logicalId(template, 'AWS::S3::Bucket', 'StoragePhotoRepo');
  const fnId = logicalId(template, 'AWS::Lambda::Function', 'ReprocessingReprocessPhotoFunction');
  const roleStatements = (rolePrefix: string): Statement[] =>
    Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith(rolePrefix))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const actionsOf = (statement: Statement) =>
    Array.isArray(statement.Action) ? statement.Action : [statement.Action];

  it('is a STANDARD state machine whose one state is a Distributed Map with STANDARD children', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    expect(definition.StartAt).toBe('ReprocessPhotos');
    expect(Object.keys(definition.States)).toEqual(['ReprocessPhotos']);
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
  });

  it("reads its items with ListObjectsV2 over PhotoRepo's Incoming/ prefix", () => {
    expect(map.ItemReader).toEqual({
      Resource: 'arn:ref:AWS::Partition:states:::s3:listObjectsV2',
      Parameters: { Bucket: `ref:${bucketId}`, Prefix: 'Incoming/' },
    });
    expect(map.ItemSelector).toEqual({
      bucket: `ref:${bucketId}`,
      'key.$': '$$.Map.Item.Value.Key',
      'run.$': '$',
    });
  });

  it('reads an S3 Inventory manifest instead when itemSource is inventory', () => {
    const inventory = stateMachineDefinition(
      synthTemplate({ reprocess: { itemSource: 'inventory', inventoryBucket: 'photo-inventory' } }),
      'ReprocessingReprocess',
    ).States.ReprocessPhotos;
    expect(inventory.ItemReader).toEqual({
      Resource: 'arn:ref:AWS::Partition:states:::s3:getObject',
      ReaderConfig: { InputType: 'MANIFEST' },
      Parameters: { Bucket: 'photo-inventory', 'Key.$': '$.inventoryManifestKey' },
    });
    expect(inventory.ItemSelector).toMatchObject({ keyEncoding: 'url' });
  });

  it('runs MaxConcurrency photos at once and tolerates the configured share of failures', () => {
    expect(map.MaxConcurrency).toBe(40);
    expect(map.ToleratedFailurePercentage).toBe(5);
    const custom = stateMachineDefinition(
      synthTemplate({ reprocess: { maxConcurrency: 8, toleratedFailurePercentage: 1 } }),
      'ReprocessingReprocess',
    ).States.ReprocessPhotos;
    expect(custom.MaxConcurrency).toBe(8);
    expect(custom.ToleratedFailurePercentage).toBe(1);
  });

  it('fails synthesis when MaxConcurrency exceeds the DetectLabels quota', () => {
    expect(() => resolveConfig({ reprocess: { maxConcurrency: 60, detectLabelsTps: 50 } })).toThrow(
      /reprocess\.maxConcurrency \(60\) must not exceed reprocess\.detectLabelsTps \(50\)/,
    );
  });

  it('fails synthesis when an inventory run has no inventory bucket, or the tolerated share is not a percentage', () => {
    expect(() => resolveConfig({ reprocess: { itemSource: 'inventory' } })).toThrow(
      /reprocess\.inventoryBucket must name the bucket S3 Inventory writes PhotoRepo's inventory to/,
    );
    expect(() => resolveConfig({ reprocess: { toleratedFailurePercentage: 101 } })).toThrow(
      /reprocess\.toleratedFailurePercentage must be a percentage from 0 to 100, got 101/,
    );
    expect(() => resolveConfig({ reprocess: { maxConcurrency: 0 } })).toThrow(
      /reprocess\.maxConcurrency must be a whole number from 1 to 10000/,
    );
  });

  it('writes its results to PhotoRepo under ReprocessResults/', () => {
    expect(map.ResultWriter).toEqual({
      Resource: 'arn:ref:AWS::Partition:states:::s3:putObject',
      Parameters: { Bucket: `ref:${bucketId}`, Prefix: REPROCESS_RESULTS_PREFIX },
    });
  });

  it("runs each photo's ImageProc through the live alias and waits for it (startExecution.sync:2)", () => {
    const run = states.RunImageProc;
    expect(run.Resource).toBe('arn:ref:AWS::Partition:states:::states:startExecution.sync:2');
    // The helper resolves every Fn::GetAtt as functionArn(<logical id>): here the alias's Arn.
    expect(run.Parameters).toEqual({
      StateMachineArn: functionArn(imageProcAliasId),
      'Name.$': '$.executionName',
      'Input.$': '$.input',
    });
    expect(states.ShouldReprocess.Choices).toEqual([
      { Variable: '$.action', StringEquals: 'process', Next: 'RunImageProc' },
    ]);
    expect(states.ShouldReprocess.Default).toBe('PhotoSkipped');
  });

  it('prepares each photo with the ReprocessPhoto function, through its live alias', () => {
    expect(states.PreparePhoto.Resource).toBe(aliasArn(fnId));
    expect(states.PreparePhoto.Retry?.map((r) => r.ErrorEquals[0])).toEqual([
      'Lambda.ServiceException',
      'ProvisionedThroughputExceededException',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ PIPELINE_VERSION: pipelineVersion(resolveConfig()) }),
      },
      Description: Match.stringLikeRegexp('^Reprocess:'),
    });
  });

  it('ends a rejected photo SUCCEEDED and any other ImageProc failure FAILED', () => {
    expect(states.RunImageProc.Catch).toEqual([
      { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'ReadImageProcFailure' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ReleasePhoto' },
    ]);
    expect(states.ReadImageProcFailure.Parameters).toMatchObject({
      'imageProc.$': 'States.StringToJson($.failure.Cause)',
    });
    expect(states.WasRejected.Choices).toEqual([
      {
        And: [
          { Variable: '$.imageProc.Error', IsPresent: true },
          { Variable: '$.imageProc.Error', StringEquals: 'NotSupportedImageType' },
        ],
        Next: 'PhotoRejected',
      },
    ]);
    expect(states.PhotoRejected.Type).toBe('Succeed');
    expect(states.WasRejected.Default).toBe('PhotoFailed');
    expect(states.PhotoFailed).toMatchObject({ Type: 'Fail', Error: 'ImageProcFailed' });
  });

  it('gives the claim back as FAILED when ImageProc could not be started, then fails the child', () => {
    expect(states.ReleasePhoto.Resource).toBe(aliasArn(fnId));
    expect(states.ReleasePhoto.Parameters).toEqual({
      release: { 'owner.$': '$.owner', 'photoId.$': '$.photoId', 'executionName.$': '$.executionName' },
      'error.$': '$.failure',
    });
    expect(states.ReleasePhoto.ResultPath).toBeNull();
    expect(states.ReleasePhoto.Next).toBe('ImageProcNotStarted');
    expect(states.ImageProcNotStarted).toMatchObject({ Type: 'Fail', Error: 'ImageProcNotStarted' });
  });

  it('may start ImageProc only through its live alias', () => {
    const statements = roleStatements('ReprocessingReprocessRole');
    const starts = statements.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(starts).toEqual([
      expect.objectContaining({ Resource: { 'Fn::GetAtt': [imageProcAliasId, 'Arn'] } }),
    ]);
  });

  it('may list Incoming/ only, and read and write objects under ReprocessResults/ only', () => {
    const statements = roleStatements('ReprocessingReprocessRole');
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      expect.objectContaining({
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/ReprocessResults/*']] },
      }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['Incoming/*'] } },
        Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
      }),
    ]);
  });

  it('may start its own child executions only', () => {
    const statements = roleStatements('ReprocessingReprocessDistributedMapPolicy');
    expect(statements.find((s) => actionsOf(s).includes('states:StartExecution'))?.Resource).toEqual({
      Ref: stateMachineId,
    });
  });

  it('gives ReprocessPhoto GetItem and UpdateItem on the table, nothing on S3', () => {
    const statements = roleStatements('ReprocessingReprocessPhotoFunctionRole');
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(actions.filter((a) => a.startsWith('s3:') || a === 'dynamodb:PutItem')).toEqual([]);
  });

  it('deploys ReprocessPhoto like the other functions: a live alias and a CodeDeploy deployment group', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', { FunctionName: { Ref: fnId }, Name: 'live' });
    const groups = template.findResources('AWS::CodeDeploy::DeploymentGroup');
    expect(Object.keys(groups).some((id) => id.startsWith('DeploymentReprocessPhoto'))).toBe(true);
  });

  it('outputs its ARN and the pipeline version for npm run reprocess', () => {
    template.hasOutput('ReprocessStateMachineArn', { Value: { Ref: stateMachineId } });
    template.hasOutput('PipelineVersion', { Value: pipelineVersion(resolveConfig()) });
  });

  it('prices a run from states that exist: every state of the estimate paths, every Task a function', () => {
    const imageProcStates = allStates(imageProcDefinition(template));
    for (const state of ESTIMATE_PATHS.imageProc) expect(imageProcStates[state], state).toBeDefined();
    for (const state of [...ESTIMATE_PATHS.redo, ...ESTIMATE_PATHS.skip])
      expect(states[state], state).toBeDefined();
    const tasks = Object.entries(states).filter(
      ([, s]) => s.Type === 'Task' && s.Resource?.includes(':lambda:'),
    );
    expect(tasks.map(([name]) => name)).toEqual(Object.keys(REPROCESS_TASK_FUNCTIONS));
  });

  it('estimates a run: redone photos cost their ImageProc run and a DetectLabels call, skipped ones a few transitions', () => {
    const config = resolveConfig();
    const estimate = estimateReprocessCost(config, 100, 50);
    expect(estimate.rekognitionUsd).toBeCloseTo(100 * config.pricing.rekognition.detectLabelsPerImage, 10);
    // A skipped photo: three state transitions and one short PreparePhoto call.
    expect(estimate.perSkippedUsd).toBeGreaterThan(3 * config.pricing.stepFunctions.standardPerTransition);
    expect(estimate.perSkippedUsd).toBeLessThan(4 * config.pricing.stepFunctions.standardPerTransition);
    expect(estimate.perPhotoUsd).toBeGreaterThan(
      config.pricing.rekognition.detectLabelsPerImage +
        13 * config.pricing.stepFunctions.standardPerTransition,
    );
    expect(estimate.totalUsd).toBeCloseTo(
      config.pricing.stepFunctions.standardPerTransition +
        100 * estimate.perPhotoUsd +
        50 * estimate.perSkippedUsd,
      10,
    );
  });
});
