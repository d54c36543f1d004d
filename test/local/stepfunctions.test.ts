import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  type LocalStepFunctions,
  lambdaTaskHandlers,
  startStepFunctions,
} from '../../local/stepfunctions/server';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:ImageProc`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];

/** Shaped like the CDK ImageProc machine: function-ARN tasks (payloadResponseOnly), one lambda:invoke. */
const definition = {
  Comment: 'ImageProc-shaped test machine',
  QueryLanguage: 'JSONPath',
  StartAt: 'ExtractImageMetadata',
  States: {
    ExtractImageMetadata: {
      Type: 'Task',
      Resource: fn('extract'),
      Parameters: { 'bucket.$': '$.bucket', 'key.$': '$.key', 'executionId.$': '$$.Execution.Id' },
      ResultPath: '$.metadata',
      Retry: [
        {
          ErrorEquals: ['Lambda.ServiceException'],
          IntervalSeconds: 1,
          MaxAttempts: 3,
          BackoffRate: 2,
          MaxDelaySeconds: 1,
          JitterStrategy: 'NONE',
        },
      ],
      Catch: catchAll,
      Next: 'ImageTypeCheck',
    },
    ImageTypeCheck: {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.metadata.format', IsString: true },
            {
              Or: [
                { Variable: '$.metadata.format', StringEquals: 'jpeg' },
                { Variable: '$.metadata.format', StringEquals: 'png' },
              ],
            },
          ],
          Next: 'StoreImageMetadata',
        },
      ],
      Default: 'NotSupportedImageType',
    },
    NotSupportedImageType: {
      Type: 'Fail',
      Error: 'NotSupportedImageType',
      Cause: 'Only JPEG, PNG images are processed',
    },
    StoreImageMetadata: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('record'), Payload: { action: 'metadata', 'metadata.$': '$.metadata' } },
      ResultPath: null,
      Catch: catchAll,
      Next: 'ProcessImage',
    },
    ProcessImage: {
      Type: 'Parallel',
      ResultPath: '$.results',
      Branches: [
        {
          StartAt: 'DetectLabels',
          States: {
            DetectLabels: {
              Type: 'Task',
              Resource: fn('labels'),
              Parameters: { 'key.$': '$.key' },
              End: true,
            },
          },
        },
        {
          StartAt: 'GenerateThumbnail',
          States: {
            GenerateThumbnail: {
              Type: 'Task',
              Resource: fn('thumbnail'),
              Parameters: { 'key.$': '$.key' },
              End: true,
            },
          },
        },
      ],
      Catch: catchAll,
      Next: 'RecordReady',
    },
    RecordReady: {
      Type: 'Task',
      Resource: fn('record'),
      Parameters: { action: 'ready', 'results.$': '$.results' },
      ResultPath: null,
      Catch: catchAll,
      Next: 'PhotoReady',
    },
    PhotoReady: { Type: 'Succeed' },
    RecordFailure: {
      Type: 'Task',
      Resource: fn('record'),
      Parameters: { action: 'failed', 'error.$': '$.error' },
      ResultPath: null,
      Next: 'ImageProcessingFailed',
    },
    ImageProcessingFailed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
};

type LocalFunction = (event: Record<string, unknown>) => Promise<unknown>;

/** Calls of each local function, with the time they started. */
let calls: Record<string, { event: Record<string, unknown>; at: number }[]>;
let functions: Record<string, LocalFunction>;

const defaultFunctions = (): Record<string, LocalFunction> => ({
  extract: async () => ({ format: 'jpeg', width: 4000, height: 3000 }),
  record: async () => ({ recorded: true }),
  labels: async () => ({ labels: ['Dog', 'Grass'] }),
  thumbnail: async (event) => ({ thumbnailKey: `Thumbnails/${String(event.key).split('/').pop()}` }),
});

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

let sfn: LocalStepFunctions;
let client: SFNClient;

beforeAll(async () => {
  sfn = await startStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [
      {
        arn: STATE_MACHINE_ARN,
        name: 'ImageProc',
        type: 'STANDARD',
        definition,
        taskHandlers: lambdaTaskHandlers(definition, async (functionName, event) => {
          const name = functionName.split(':').pop() as string;
          calls[name] = [...(calls[name] ?? []), { event: event as Record<string, unknown>, at: Date.now() }];
          return functions[name](event as Record<string, unknown>);
        }),
      },
    ],
  });
  client = new SFNClient({
    endpoint: sfn.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  client?.destroy();
  await sfn?.close();
});

beforeEach(() => {
  calls = {};
  functions = defaultFunctions();
});

const photo = (key: string) => ({ bucket: 'photo-repo', key: `Incoming/${key}` });

async function runToEnd(input: unknown, name?: string) {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input), name }),
  );
  await sfn.waitForIdle();
  const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
  const { events = [] } = await client.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  return { executionArn: executionArn as string, execution, events };
}

const enteredStates = (events: HistoryEvent[]) =>
  events.filter((e) => e.stateEnteredEventDetails).map((e) => e.stateEnteredEventDetails?.name);

describe('the local Step Functions endpoint runs an ImageProc-shaped state machine', () => {
  test('a supported photo reaches SUCCEEDED with every result in the output', async () => {
    // Prepare
    const input = photo('dog.jpg');

    // Act
    const { execution } = await runToEnd(input);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(execution.output as string)).toEqual({
      ...input,
      metadata: { format: 'jpeg', width: 4000, height: 3000 },
      results: [{ labels: ['Dog', 'Grass'] }, { thumbnailKey: 'Thumbnails/dog.jpg' }],
    });
  });

  test('the history lists every state entered, in order, between ExecutionStarted and ExecutionSucceeded', async () => {
    // Act
    const { events } = await runToEnd(photo('order.jpg'));

    // Assess
    const entered = enteredStates(events);
    expect(entered.slice(0, 4)).toEqual([
      'ExtractImageMetadata',
      'ImageTypeCheck',
      'StoreImageMetadata',
      'ProcessImage',
    ]);
    expect([...entered.slice(4, 6)].sort()).toEqual(['DetectLabels', 'GenerateThumbnail']);
    expect(entered.slice(6)).toEqual(['RecordReady', 'PhotoReady']);
    expect(events[0].type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e) => e.previousEventId === (e.id as number) - 1)).toBe(true);
    expect(events.every((e) => e.timestamp instanceof Date)).toBe(true);
  });

  test('a function-ARN Task shows LambdaFunction* events and a lambda:invoke Task shows Task* events', async () => {
    // Act
    const { events } = await runToEnd(photo('events.jpg'));

    // Assess
    const types = events.map((e) => e.type);
    const extract = types.indexOf('TaskStateEntered');
    expect(types.slice(extract, extract + 5)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(events[extract + 1].lambdaFunctionScheduledEventDetails?.resource).toBe(fn('extract'));
    const scheduled = events.find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: REGION,
    });
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters as string)).toMatchObject({
      FunctionName: fn('record'),
    });
    const succeeded = events.find((e) => e.type === 'TaskSucceeded');
    expect(JSON.parse(succeeded?.taskSucceededEventDetails?.output as string)).toMatchObject({
      StatusCode: 200,
      Payload: { recorded: true },
    });
    expect(types).toEqual(
      expect.arrayContaining(['ParallelStateStarted', 'ParallelStateSucceeded', 'ParallelStateExited']),
    );
  });

  test('$$.Execution.Id reaches a task as the execution ARN', async () => {
    // Act
    const { executionArn } = await runToEnd(photo('context.jpg'), 'context-check');

    // Assess
    expect(executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:ImageProc:context-check`);
    expect(calls.extract[0].event).toEqual({ ...photo('context.jpg'), executionId: executionArn });
  });

  test('an unsupported type takes the Choice default and ends FAILED with the Fail state error and cause', async () => {
    // Prepare
    functions.extract = async () => ({ format: 'gif', width: 10, height: 10 });

    // Act
    const { execution, events } = await runToEnd(photo('anim.gif'));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('NotSupportedImageType');
    expect(execution.cause).toBe('Only JPEG, PNG images are processed');
    expect(events.slice(-2).map((e) => e.type)).toEqual(['FailStateEntered', 'ExecutionFailed']);
    expect(events.at(-1)?.executionFailedEventDetails).toEqual({
      error: 'NotSupportedImageType',
      cause: 'Only JPEG, PNG images are processed',
    });
    expect(calls.record).toBeUndefined();
  });

  test('Lambda.ServiceException twice is retried after IntervalSeconds, BackoffRate capped by MaxDelaySeconds', async () => {
    // Prepare
    let failures = 0;
    functions.extract = async () => {
      if (failures++ < 2) throw namedError('Lambda.ServiceException', 'Service unavailable');
      return { format: 'png', width: 100, height: 100 };
    };

    // Act
    const { execution, events } = await runToEnd(photo('retry.png'));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const at = calls.extract.map((c) => c.at);
    expect(at).toHaveLength(3);
    // 1 s, then 1 s (2 s by BackoffRate, capped at MaxDelaySeconds 1); upper bounds leave room for a busy CPU.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(950);
    expect(at[1] - at[0]).toBeLessThan(1900);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(950);
    expect(at[2] - at[1]).toBeLessThan(1900);
    const extractEvents = events.filter((e) => e.type?.startsWith('LambdaFunction')).slice(0, 9);
    expect(extractEvents.map((e) => e.type)).toEqual([
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
    ]);
    expect(extractEvents[2].lambdaFunctionFailedEventDetails).toEqual({
      error: 'Lambda.ServiceException',
      cause: 'Service unavailable',
    });
  });

  test('an error thrown in a Parallel branch is caught and routed to RecordFailure, then the Fail state', async () => {
    // Prepare
    functions.labels = () => new Promise((resolve) => setTimeout(() => resolve({ labels: [] }), 100));
    functions.thumbnail = async () => {
      throw namedError('ImageDecodeError', 'VipsJpeg: premature end of JPEG image');
    };

    // Act
    const { execution, events } = await runToEnd(photo('truncated.jpg'));

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ImageDecodeError');
    const cause = JSON.parse(execution.cause as string);
    expect(cause).toMatchObject({
      errorType: 'ImageDecodeError',
      errorMessage: 'VipsJpeg: premature end of JPEG image',
    });
    expect(cause.trace[0]).toBe('ImageDecodeError: VipsJpeg: premature end of JPEG image');
    const recorded = calls.record.map((c) => c.event);
    expect(recorded.map((e) => e.action)).toEqual(['metadata', 'failed']);
    expect(recorded[1].error).toEqual({ Error: 'ImageDecodeError', Cause: execution.cause });
    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['LambdaFunctionFailed', 'TaskStateAborted', 'ParallelStateFailed']),
    );
    expect(types).not.toContain('ParallelStateSucceeded');
    expect(enteredStates(events).slice(-2)).toEqual(['RecordFailure', 'ImageProcessingFailed']);
  });

  test('a second StartExecution with the same name and input while running returns the same execution and runs once', async () => {
    // Prepare
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    functions.extract = async () => {
      await gate;
      return { format: 'jpeg', width: 1, height: 1 };
    };
    const start = () =>
      client.send(
        new StartExecutionCommand({
          stateMachineArn: STATE_MACHINE_ARN,
          name: 'upload-same',
          input: JSON.stringify(photo('same.jpg')),
        }),
      );

    // Act
    const first = await start();
    const second = await start();
    release();
    await sfn.waitForIdle();

    // Assess
    expect(second.executionArn).toBe(first.executionArn);
    expect(second.startDate).toEqual(first.startDate);
    expect(calls.extract).toHaveLength(1);
  });

  test('fails when the same name comes with a different input, or after the execution closed', async () => {
    // Prepare
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    functions.extract = async () => {
      await gate;
      return { format: 'jpeg', width: 1, height: 1 };
    };
    const start = (key: string) =>
      client.send(
        new StartExecutionCommand({
          stateMachineArn: STATE_MACHINE_ARN,
          name: 'upload-clash',
          input: JSON.stringify(photo(key)),
        }),
      );
    await start('a.jpg');

    // Act
    const differentInput = await start('b.jpg').catch((error: unknown) => error);
    release();
    await sfn.waitForIdle();
    const afterClose = await start('a.jpg').catch((error: unknown) => error);

    // Assess
    expect(differentInput).toBeInstanceOf(ExecutionAlreadyExists);
    expect((differentInput as Error).name).toBe('ExecutionAlreadyExists');
    expect(afterClose).toBeInstanceOf(ExecutionAlreadyExists);
    expect(calls.extract).toHaveLength(1);
  });
});
