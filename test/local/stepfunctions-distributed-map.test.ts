import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../local/stepfunctions/executions';
import { type LocalStepFunctions, startStepFunctions } from '../../local/stepfunctions/server';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../local/template';

const machineArn = (name: string) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** An in-memory S3 that answers ListObjectsV2 in short pages (as S3 may) and keeps what is put. */
function memoryS3(keys: string[], pageSize = 7) {
  const written = new Map<string, string>();
  const listCalls: (string | undefined)[] = [];
  const client = {
    async send(command: unknown) {
      if (command instanceof ListObjectsV2Command) {
        const { Prefix = '', ContinuationToken } = command.input;
        listCalls.push(ContinuationToken);
        const matching = keys.filter((key) => key.startsWith(Prefix));
        const start = ContinuationToken ? Number(ContinuationToken) : 0;
        const page = matching.slice(start, start + pageSize);
        const next = start + pageSize;
        return {
          Contents: page.map((Key) => ({
            Key,
            ETag: `"${Key.length}"`,
            Size: Key.length,
            LastModified: new Date(0),
          })),
          IsTruncated: next < matching.length,
          NextContinuationToken: next < matching.length ? String(next) : undefined,
        };
      }
      if (command instanceof PutObjectCommand) {
        written.set(`${command.input.Bucket}/${command.input.Key}`, String(command.input.Body));
        return {};
      }
      throw new Error(`Unexpected S3 command ${(command as object).constructor.name}`);
    },
  } as unknown as S3Client;
  return { client, written, listCalls };
}

interface MapOptions {
  maxConcurrency?: number;
  toleratedFailurePercentage?: number;
  resultWriter?: boolean;
}

function distributedMap(options: MapOptions = {}) {
  return {
    StartAt: 'EachPhoto',
    States: {
      EachPhoto: {
        Type: 'Map',
        End: true,
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Parameters: { Bucket: 'photos', Prefix: 'Incoming/' },
        },
        ItemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'index.$': '$$.Map.Item.Index', 'run.$': '$' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: {
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:lambda:us-east-1:123456789012:function:work',
              End: true,
            },
          },
        },
        ...(options.maxConcurrency === undefined ? {} : { MaxConcurrency: options.maxConcurrency }),
        ...(options.toleratedFailurePercentage === undefined
          ? {}
          : { ToleratedFailurePercentage: options.toleratedFailurePercentage }),
        ...(options.resultWriter === false
          ? {}
          : {
              ResultWriter: {
                Resource: 'arn:aws:states:::s3:putObject',
                Parameters: { Bucket: 'photos', Prefix: 'Results' },
              },
            }),
        Label: 'EachPhoto',
      },
    },
  };
}

describe('a Distributed Map in the local Step Functions', () => {
  let sfn: LocalStepFunctions | undefined;
  let client: SFNClient | undefined;

  afterEach(async () => {
    client?.destroy();
    await sfn?.close();
    sfn = undefined;
  });

  async function start(
    definition: object,
    work: TaskHandler,
    s3: S3Client,
    extra: Parameters<typeof startStepFunctions>[0]['stateMachines'] = [],
  ) {
    sfn = await startStepFunctions({
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      s3Client: () => s3,
      stateMachines: [
        {
          arn: machineArn('Batch'),
          name: 'Batch',
          type: 'STANDARD',
          definition,
          taskHandlers: { Work: work },
        },
        ...extra,
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: LOCAL_REGION, credentials });
    return client;
  }

  async function runToEnd(sfnClient: SFNClient, input: object = {}) {
    const { executionArn } = await sfnClient.send(
      new StartExecutionCommand({ stateMachineArn: machineArn('Batch'), input: JSON.stringify(input) }),
    );
    await sfn!.waitForIdle();
    return sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  }

  it('runs every listed object, page after page, as a child execution and writes the results as AWS does', async () => {
    // Prepare
    const keys = Array.from({ length: 23 }, (_, i) => `Incoming/u/photo-${i}.jpg`);
    const s3 = memoryS3([...keys, 'Thumbnails/u/photo-0.jpg']);
    const sfnClient = await start(
      distributedMap(),
      async (input) => ({ done: (input as { key: string }).key }),
      s3.client,
    );

    // Act
    const execution = await runToEnd(sfnClient, { all: true });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!);
    const mapRunId = output.MapRunArn.split(':').pop();
    expect(output.MapRunArn).toMatch(
      new RegExp(`^arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:mapRun:Batch/EachPhoto:[0-9a-f-]{36}$`),
    );
    expect(output.ResultWriterDetails).toEqual({
      Bucket: 'photos',
      Key: `Results/${mapRunId}/manifest.json`,
    });
    expect(s3.listCalls).toEqual([undefined, '7', '14', '21']);
    const manifest = JSON.parse(s3.written.get(`photos/Results/${mapRunId}/manifest.json`)!);
    expect(manifest).toEqual({
      DestinationBucket: 'photos',
      MapRunArn: output.MapRunArn,
      ResultFiles: {
        FAILED: [],
        PENDING: [],
        SUCCEEDED: [{ Key: `Results/${mapRunId}/SUCCEEDED_0.json`, Size: expect.any(Number) }],
      },
    });
    const succeeded = JSON.parse(s3.written.get(`photos/Results/${mapRunId}/SUCCEEDED_0.json`)!) as {
      Input: string;
      Output: string;
      Status: string;
    }[];
    expect(succeeded).toHaveLength(23);
    expect(JSON.parse(succeeded[5].Input)).toEqual({
      key: 'Incoming/u/photo-5.jpg',
      index: 5,
      run: { all: true },
    });
    expect(JSON.parse(succeeded[5].Output)).toEqual({ done: 'Incoming/u/photo-5.jpg' });

    const mapRun = await sfnClient.send(new DescribeMapRunCommand({ mapRunArn: output.MapRunArn }));
    expect(mapRun.status).toBe('SUCCEEDED');
    expect(mapRun.itemCounts).toMatchObject({ total: 23, succeeded: 23, failed: 0, pending: 0, running: 0 });
    const { mapRuns } = await sfnClient.send(
      new ListMapRunsCommand({ executionArn: execution.executionArn }),
    );
    expect(mapRuns?.map((run) => run.mapRunArn)).toEqual([output.MapRunArn]);

    const children = await sfnClient.send(
      new ListExecutionsCommand({ mapRunArn: output.MapRunArn, maxResults: 100 }),
    );
    expect(children.executions).toHaveLength(23);
    const child = await sfnClient.send(
      new DescribeExecutionCommand({ executionArn: children.executions![0].executionArn }),
    );
    expect(child).toMatchObject({
      status: 'SUCCEEDED',
      mapRunArn: output.MapRunArn,
      stateMachineArn: `${machineArn('Batch')}/EachPhoto`,
    });
    // The parent's own listing does not hold the children.
    const parents = await sfnClient.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Batch') }));
    expect(parents.executions).toHaveLength(1);
  });

  it('never runs more children at once than MaxConcurrency', async () => {
    // Prepare
    let inFlight = 0;
    let mostInFlight = 0;
    const work: TaskHandler = async () => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return {};
    };
    const keys = Array.from({ length: 30 }, (_, i) => `Incoming/u/${i}.jpg`);
    const sfnClient = await start(distributedMap({ maxConcurrency: 3 }), work, memoryS3(keys).client);

    // Act
    const execution = await runToEnd(sfnClient);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(mostInFlight).toBe(3);
  });

  it('fails with States.ExceedToleratedFailureThreshold when more children fail than tolerated', async () => {
    // Prepare: 5 of 20 fail (25%), 10% tolerated; one at a time, so the run stops at the third failure.
    const keys = Array.from({ length: 20 }, (_, i) => `Incoming/u/${i}.jpg`);
    const s3 = memoryS3(keys);
    let calls = 0;
    const work: TaskHandler = async (input) => {
      calls++;
      if ((input as { index: number }).index % 4 === 0)
        throw Object.assign(new Error('corrupt'), { name: 'Corrupt' });
      return {};
    };
    const sfnClient = await start(
      distributedMap({ maxConcurrency: 1, toleratedFailurePercentage: 10 }),
      work,
      s3.client,
    );

    // Act
    const execution = await runToEnd(sfnClient);

    // Assess
    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.ExceedToleratedFailureThreshold',
      cause: 'The specified tolerated failure threshold was exceeded',
    });
    // Failures at items 0, 4 and 8: the third (15% of 20) is past 10%, and nothing starts after it.
    expect(calls).toBe(9);
    const [failedFile] = [...s3.written.entries()].filter(([key]) => key.endsWith('FAILED_0.json'));
    expect(JSON.parse(failedFile[1])).toHaveLength(3);
    expect(JSON.parse(failedFile[1])[0]).toMatchObject({ Status: 'FAILED', Error: 'Corrupt' });
  });

  it('succeeds when the failures stay within the tolerated percentage, and lists them in FAILED_0.json', async () => {
    // Prepare: 5 of 20 fail (25%), 30% tolerated.
    const keys = Array.from({ length: 20 }, (_, i) => `Incoming/u/${i}.jpg`);
    const s3 = memoryS3(keys);
    const work: TaskHandler = async (input) => {
      if ((input as { index: number }).index % 4 === 0)
        throw Object.assign(new Error('corrupt'), { name: 'Corrupt' });
      return {};
    };
    const sfnClient = await start(distributedMap({ toleratedFailurePercentage: 30 }), work, s3.client);

    // Act
    const execution = await runToEnd(sfnClient);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const mapRun = await sfnClient.send(
      new DescribeMapRunCommand({ mapRunArn: JSON.parse(execution.output!).MapRunArn }),
    );
    expect(mapRun.itemCounts).toMatchObject({ total: 20, succeeded: 15, failed: 5 });
    const [failedFile] = [...s3.written.entries()].filter(([key]) => key.endsWith('FAILED_0.json'));
    expect(JSON.parse(failedFile[1])).toHaveLength(5);
  });

  it('outputs the children’s outputs when it has no ResultWriter', async () => {
    const sfnClient = await start(
      distributedMap({ resultWriter: false }),
      async (input) => (input as { index: number }).index,
      memoryS3(['Incoming/a', 'Incoming/b', 'Incoming/c']).client,
    );

    const execution = await runToEnd(sfnClient);

    expect(JSON.parse(execution.output!)).toEqual([0, 1, 2]);
  });

  it('fails at start, naming it, for an item reader the local cloud cannot run (an inventory manifest)', async () => {
    const definition = distributedMap();
    const map = definition.States.EachPhoto as Record<string, unknown>;
    map.ItemReader = {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'MANIFEST' },
      Parameters: { Bucket: 'inventory', 'Key.$': '$.manifestKey' },
    };

    await expect(start(definition, async () => ({}), memoryS3([]).client)).rejects.toThrow(
      "State machine Batch: Distributed Map state 'EachPhoto' reads its items with MANIFEST",
    );
  });
});

describe('the startExecution.sync:2 integration in the local Step Functions', () => {
  const childArn = machineArn('Child');
  const parent = (target: string) => ({
    StartAt: 'RunChild',
    States: {
      RunChild: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: target, 'Input.$': '$.input', 'Name.$': '$.name' },
        Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'ReadFailure' }],
        End: true,
      },
      ReadFailure: {
        Type: 'Pass',
        Parameters: { 'child.$': 'States.StringToJson($.failure.Cause)', 'error.$': '$.failure.Error' },
        End: true,
      },
    },
  });
  let sfn: LocalStepFunctions | undefined;
  let client: SFNClient | undefined;

  afterEach(async () => {
    client?.destroy();
    await sfn?.close();
  });

  async function run(input: object, target = `${childArn}:live`) {
    sfn = await startStepFunctions({
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      stateMachines: [
        {
          arn: machineArn('Parent'),
          name: 'Parent',
          type: 'STANDARD',
          definition: parent(target),
          taskHandlers: {},
        },
        {
          arn: childArn,
          name: 'Child',
          type: 'STANDARD',
          aliasArns: [`${childArn}:live`],
          definition: {
            StartAt: 'Check',
            States: {
              Check: {
                Type: 'Choice',
                Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Done' }],
                Default: 'Rejected',
              },
              Done: { Type: 'Pass', Result: { made: 'thumbnail' }, End: true },
              Rejected: { Type: 'Fail', Error: 'NotSupportedImageType', Cause: 'a PDF' },
            },
          },
          taskHandlers: {},
        },
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: LOCAL_REGION, credentials });
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn('Parent'), input: JSON.stringify(input) }),
    );
    await sfn.waitForIdle();
    return client.send(new DescribeExecutionCommand({ executionArn }));
  }

  it('starts the child through the alias, waits, and outputs its description with Output parsed', async () => {
    const execution = await run({ input: { ok: true }, name: 'child-1' });

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({
      ExecutionArn: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:Child:child-1`,
      Name: 'child-1',
      Status: 'SUCCEEDED',
      Input: { ok: true },
      Output: { made: 'thumbnail' },
      StateMachineArn: childArn,
      StateMachineAliasArn: `${childArn}:live`,
    });
  });

  it('starts the child by a version ARN too', async () => {
    const execution = await run({ input: { ok: true }, name: 'child-3' }, `${childArn}:7`);

    expect(JSON.parse(execution.output!)).toMatchObject({ Status: 'SUCCEEDED', StateMachineArn: childArn });
    const child = await client!.send(
      new DescribeExecutionCommand({ executionArn: JSON.parse(execution.output!).ExecutionArn }),
    );
    expect(child.stateMachineVersionArn).toBe(`${childArn}:7`);
  });

  it("fails the task with States.TaskFailed when the child fails, the child's error in the Cause", async () => {
    const execution = await run({ input: { ok: false }, name: 'child-2' });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!);
    expect(output.error).toBe('States.TaskFailed');
    expect(output.child).toMatchObject({ Status: 'FAILED', Error: 'NotSupportedImageType', Cause: 'a PDF' });
  });
});
