import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { SERVICE_UNREACHABLE } from '../../lambda/shared/errors';
import { STATES } from '../../lambda/shared/workflow';
import {
  DYNAMODB_TRANSIENT_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  REKOGNITION_THROTTLING_ERRORS,
} from '../../lib/image-processing';
import { aliasArn, allStates, imageProcDefinition, logicalId, synthTemplate } from './synth';

const template = synthTemplate();
const definition = imageProcDefinition(template);
const states = allStates(definition);
/** What a Task invokes: the function's live alias. */
const fn = (prefix: string) => aliasArn(logicalId(template, 'AWS::Lambda::Function', prefix));

/** Errors our handlers raise for bad input: retrying them can only fail again. */
const DETERMINISTIC_ERRORS = [
  'CorruptImage',
  'ImageTooLarge',
  'PayloadTooLarge',
  'InvalidInput',
  STATES.notSupportedImageType,
  'States.ALL',
  'States.TaskFailed',
];

describe('ImageProc definition', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const { isValid, errorsText } = aslValidator(structuredClone(definition) as never);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('stays on JSONPath: no JSONata and no Assign, which the local runner would ignore', () => {
    expect(definition.QueryLanguage).toBe('JSONPath');
    const json = JSON.stringify(definition);
    expect(json).not.toMatch(/"Assign"|"QueryLanguage":"JSONata"|\{%/);
  });

  it('never writes "ResultPath": "$", which the local runner merges instead of replacing', () => {
    for (const [name, state] of Object.entries(states)) expect(state.ResultPath, name).not.toBe('$');
  });

  it('starts by extracting metadata, then checks the type', () => {
    expect(definition.StartAt).toBe(STATES.extractImageMetadata);
    expect(states.ExtractImageMetadata).toMatchObject({
      Type: 'Task',
      Resource: fn('ProcessingExtractMetadataFunction'),
      Parameters: { 'bucket.$': '$.bucket', 'key.$': '$.key' },
      ResultPath: '$.metadata',
      Next: STATES.imageTypeCheck,
    });
  });

  it('lets only the configured formats past ImageTypeCheck', () => {
    expect(states.ImageTypeCheck).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.metadata.format', IsString: true },
            {
              Or: [
                { Variable: '$.metadata.format', StringEquals: 'jpeg' },
                { Variable: '$.metadata.format', StringEquals: 'png' },
                { Variable: '$.metadata.format', StringEquals: 'heif' },
                { Variable: '$.metadata.format', StringEquals: 'avif' },
                { Variable: '$.metadata.format', StringEquals: 'webp' },
                { Variable: '$.metadata.format', StringEquals: 'tiff' },
              ],
            },
          ],
          Next: STATES.storeImageMetadata,
        },
      ],
      Default: STATES.recordRejection,
    });
  });

  it('takes the supported formats from the config', () => {
    const webpOnly = allStates(imageProcDefinition(synthTemplate({ supportedFormats: ['webp'] })));
    expect(webpOnly.ImageTypeCheck.Choices?.[0]).toMatchObject({
      And: [{ IsString: true }, { Variable: '$.metadata.format', StringEquals: 'webp' }],
    });
    expect(webpOnly.RecordRejection.Parameters).toMatchObject({ supportedFormats: ['webp'] });
  });

  it('records a rejection, then ends unsupported types in NotSupportedImageType', () => {
    expect(states.RecordRejection).toMatchObject({
      Resource: fn('ProcessingRecordPhotoFunction'),
      Parameters: {
        action: 'rejected',
        'metadata.$': '$.metadata',
        supportedFormats: ['jpeg', 'png', 'heif', 'avif', 'webp', 'tiff'],
        'executionId.$': '$$.Execution.Id',
      },
      Next: STATES.notSupportedImageType,
    });
    expect(states.NotSupportedImageType).toMatchObject({ Type: 'Fail', Error: STATES.notSupportedImageType });
  });

  it('takes the reference behaviour back with supportedFormats jpeg and png', () => {
    const reference = allStates(imageProcDefinition(synthTemplate({ supportedFormats: ['jpeg', 'png'] })));
    expect(reference.ImageTypeCheck.Choices?.[0]).toMatchObject({
      And: [
        { IsString: true },
        {
          Or: [
            { Variable: '$.metadata.format', StringEquals: 'jpeg' },
            { Variable: '$.metadata.format', StringEquals: 'png' },
          ],
        },
      ],
    });
    expect(reference.RecordRejection.Parameters).toMatchObject({ supportedFormats: ['jpeg', 'png'] });
  });

  it('stores metadata, makes the display rendition, then labels and thumbnails in parallel, then records READY', () => {
    expect(states.StoreImageMetadata).toMatchObject({
      Parameters: { action: 'metadata' },
      ResultPath: '$.stored',
      Next: STATES.generateRendition,
    });
    expect(states.GenerateRendition).toMatchObject({
      Resource: fn('ProcessingGenerateRenditionFunction'),
      Parameters: { 'metadata.$': '$.metadata', 'key.$': '$.key', 'owner.$': '$.owner' },
      ResultPath: '$.display',
      Next: STATES.processImage,
    });
    const parallel = definition.States.ProcessImage;
    expect(parallel).toMatchObject({ Type: 'Parallel', ResultPath: '$.results', Next: STATES.recordReady });
    expect(parallel.Branches?.map((branch) => branch.StartAt)).toEqual([
      STATES.detectLabels,
      STATES.generateThumbnail,
    ]);
    // Its result by name (ProcessImageResult), each name picking its own branch's position.
    expect(parallel.ResultSelector).toEqual({ 'labels.$': '$[0]', 'thumbnail.$': '$[1]' });
    // Both branches get the rendition: labels for a photo out of Rekognition's reach, the thumbnail's source.
    expect(states.DetectLabels).toMatchObject({
      Resource: fn('ProcessingDetectLabelsFunction'),
      Parameters: { 'rendition.$': '$.display.rendition' },
      End: true,
    });
    // A byte-identical READY photo found by StoreImageMetadata: its labels, without Rekognition.
    expect(states.DetectLabels.Parameters).toMatchObject({ 'duplicate.$': '$.stored.duplicate' });
    expect(states.GenerateThumbnail).toMatchObject({
      Resource: fn('ProcessingGenerateThumbnailFunction'),
      Parameters: { 'rendition.$': '$.display.rendition' },
      End: true,
    });
    expect(states.RecordReady).toMatchObject({
      Parameters: { action: 'ready', 'results.$': '$.results', 'rendition.$': '$.display.rendition' },
      Next: STATES.photoReady,
    });
    expect(states.PhotoReady.Type).toBe('Succeed');
  });

  it('catches every failure outside the Parallel branches and records it as FAILED', () => {
    const catching = [
      STATES.extractImageMetadata,
      STATES.storeImageMetadata,
      STATES.generateRendition,
      STATES.processImage,
      STATES.recordReady,
      STATES.recordRejection,
    ];
    for (const name of catching) {
      expect(states[name].Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATES.recordFailure },
      ]);
    }
    expect(states.RecordFailure).toMatchObject({
      Parameters: { action: 'failed', 'error.$': '$.error' },
      Next: STATES.imageProcessingFailed,
    });
    expect(states.ImageProcessingFailed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('leaves no Task without a way to a recorded outcome', () => {
    // A Task inside a branch is covered by the Parallel's Catch; RecordFailure itself can only retry.
    const branchTasks = new Set(
      definition.States.ProcessImage.Branches?.flatMap((b) => Object.keys(b.States)),
    );
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task' || branchTasks.has(name) || name === STATES.recordFailure) continue;
      expect(state.Catch?.[0]?.Next, name).toBe(STATES.recordFailure);
    }
  });

  it('retries Lambda service errors and unreachable services on every Task with exponential backoff and full jitter', () => {
    for (const [name, state] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Retry?.[0], name).toEqual({
        ErrorEquals: [...LAMBDA_SERVICE_ERRORS, SERVICE_UNREACHABLE],
        IntervalSeconds: 1,
        MaxAttempts: 4,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
      });
    }
  });

  it('retries Rekognition throttling on DetectLabels with backoff and jitter', () => {
    expect(states.DetectLabels.Retry?.[1]).toEqual({
      ErrorEquals: REKOGNITION_THROTTLING_ERRORS,
      IntervalSeconds: 2,
      MaxAttempts: 5,
      BackoffRate: 2,
      MaxDelaySeconds: 30,
      JitterStrategy: 'FULL',
    });
  });

  it('retries transient DynamoDB errors on every record write', () => {
    for (const name of [
      STATES.storeImageMetadata,
      STATES.recordReady,
      STATES.recordRejection,
      STATES.recordFailure,
    ]) {
      expect(states[name].Retry?.[1]?.ErrorEquals, name).toEqual(DYNAMODB_TRANSIENT_ERRORS);
    }
  });

  it('never retries deterministic errors (unsupported, corrupt, too large)', () => {
    for (const [name, state] of Object.entries(states)) {
      const retried = (state.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
      expect(
        retried.filter((error) => DETERMINISTIC_ERRORS.includes(error)),
        name,
      ).toEqual([]);
    }
  });

  it('passes the execution id to every record write', () => {
    for (const name of [
      STATES.storeImageMetadata,
      STATES.recordReady,
      STATES.recordRejection,
      STATES.recordFailure,
    ]) {
      expect(states[name].Parameters, name).toMatchObject({
        'executionId.$': '$$.Execution.Id',
        photo: { 'bucket.$': '$.bucket', 'key.$': '$.key', 'owner.$': '$.owner', 'photoId.$': '$.photoId' },
      });
    }
  });
});

describe('ImageProc state machine', () => {
  it('is a Standard workflow with logging and X-Ray tracing by default', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: {
                'Fn::GetAtt': [logicalId(template, 'AWS::Logs::LogGroup', 'ProcessingImageProcLogs'), 'Arn'],
              },
            },
          },
        ],
      },
    });
  });

  it('is an Express workflow when the config says so', () => {
    synthTemplate({ workflowType: 'EXPRESS' }).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
    });
  });
});
