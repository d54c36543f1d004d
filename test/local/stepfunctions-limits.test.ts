import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type ExecutionDescription,
  type LocalStepFunctions,
  startStepFunctions,
  type TaskHandler,
} from '../../local/stepfunctions/server';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Tiny`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const LIMIT = 262_144;

const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }];

/** Produce → Consume, every error caught by RecordFailure (a Succeed), like ImageProc's catch-all. */
function tinyMachine(extra: Record<string, unknown> = {}) {
  return {
    QueryLanguage: 'JSONPath',
    StartAt: 'Produce',
    ...extra,
    States: {
      Produce: {
        Type: 'Task',
        Resource: fn('produce'),
        ResultPath: '$.produced',
        Catch: catchAll,
        Next: 'Consume',
      },
      Consume: { Type: 'Task', Resource: fn('consume'), ResultPath: null, Catch: catchAll, End: true },
      RecordFailure: { Type: 'Task', Resource: fn('record-failure'), ResultPath: null, End: true },
    },
  };
}

let sfn: LocalStepFunctions | undefined;
let client: SFNClient | undefined;

afterEach(async () => {
  client?.destroy();
  await sfn?.close();
  sfn = undefined;
});

async function start(definition: object, handlers: Record<string, TaskHandler>) {
  sfn = await startStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [
      { arn: STATE_MACHINE_ARN, name: 'Tiny', type: 'STANDARD', definition, taskHandlers: handlers },
    ],
  });
  client = new SFNClient({
    endpoint: sfn.url,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const closed: ExecutionDescription[] = [];
  sfn.setStatusListener((execution) => closed.push(execution));
  return { sfn, client, closed };
}

function recordingHandlers() {
  const calls: string[] = [];
  const handler =
    (name: string, result: (input: unknown) => unknown = () => ({ ok: true })): TaskHandler =>
    async (input) => {
      calls.push(name);
      return result(input);
    };
  return { calls, handler };
}

async function runToEnd(c: SFNClient, s: LocalStepFunctions, input: object = {}) {
  const { executionArn } = await c.send(
    new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input) }),
  );
  await s.waitForIdle();
  const execution = await c.send(new DescribeExecutionCommand({ executionArn }));
  const { events } = await c.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return { execution, events: events ?? [] };
}

describe('the 256 KiB payload limit', () => {
  test('a task result over 262,144 bytes fails the execution with States.DataLimitExceeded, past the catch', async () => {
    const { calls, handler } = recordingHandlers();
    const {
      sfn: s,
      client: c,
      closed,
    } = await start(tinyMachine(), {
      Produce: handler('Produce', () => ({ make: 'x'.repeat(LIMIT) })),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });

    const { execution, events } = await runToEnd(c, s);

    expect(execution).toMatchObject({
      status: 'FAILED',
      error: 'States.DataLimitExceeded',
      cause:
        "The state/task 'Produce' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
    // Neither the next state nor the catcher ran.
    expect(calls).toEqual(['Produce']);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'States.DataLimitExceeded' },
    });
    expect(closed).toMatchObject([{ status: 'FAILED', error: 'States.DataLimitExceeded' }]);
  });

  test('a result of exactly 262,144 bytes passes (over by one byte, it fails)', async () => {
    const { calls, handler } = recordingHandlers();
    let size = LIMIT;
    // {"m":"…"} is 8 bytes around the string. ResultPath null keeps the result out of the state output.
    const definition = tinyMachine();
    definition.States.Produce.ResultPath = null as never;
    const { sfn: s, client: c } = await start(definition, {
      Produce: handler('Produce', () => ({ m: 'x'.repeat(size - 8) })),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });

    expect((await runToEnd(c, s)).execution.status).toBe('SUCCEEDED');
    size = LIMIT + 1;
    expect((await runToEnd(c, s)).execution.error).toBe('States.DataLimitExceeded');
    expect(calls).toEqual(['Produce', 'Consume', 'Produce']);
  });

  test('counts UTF-8 bytes, not characters', async () => {
    const { calls, handler } = recordingHandlers();
    const { sfn: s, client: c } = await start(tinyMachine(), {
      // 100,000 characters of 3 bytes each: 300,000 bytes.
      Produce: handler('Produce', () => ({ make: '€'.repeat(100_000) })),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });

    const { execution } = await runToEnd(c, s);

    expect(execution.error).toBe('States.DataLimitExceeded');
    expect(calls).toEqual(['Produce']);
  });

  test('a state output over the limit (input and result merged by ResultPath) stops before the next task', async () => {
    const { calls, handler } = recordingHandlers();
    const { sfn: s, client: c } = await start(tinyMachine(), {
      // 200,000 bytes each: the result fits, the input with it merged at $.produced does not.
      Produce: handler('Produce', () => ({ half: 'y'.repeat(200_000) })),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });

    const { execution } = await runToEnd(c, s, { big: 'z'.repeat(200_000) });

    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(calls).toEqual(['Produce']);
  });

  test('a smaller result goes on, and a caught error still reaches the catcher', async () => {
    const { calls, handler } = recordingHandlers();
    const {
      sfn: s,
      client: c,
      closed,
    } = await start(tinyMachine(), {
      Produce: handler('Produce', () => ({ make: 'x'.repeat(1000) })),
      Consume: async () => {
        calls.push('Consume');
        throw Object.assign(new Error('boom'), { name: 'CorruptImage' });
      },
      RecordFailure: handler('RecordFailure'),
    });

    const { execution } = await runToEnd(c, s);

    expect(execution.status).toBe('SUCCEEDED');
    expect(calls).toEqual(['Produce', 'Consume', 'RecordFailure']);
    expect(closed).toMatchObject([{ status: 'SUCCEEDED' }]);
  });
});

describe('the execution timeout', () => {
  test('an execution still running after TimeoutSeconds ends TIMED_OUT', async () => {
    const { handler } = recordingHandlers();
    const {
      sfn: s,
      client: c,
      closed,
    } = await start(tinyMachine({ TimeoutSeconds: 1 }), {
      Produce: () => new Promise((resolve) => setTimeout(() => resolve({}), 3000)),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });
    const started = Date.now();

    const { execution, events } = await runToEnd(c, s);

    expect(execution).toMatchObject({ status: 'TIMED_OUT' });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionTimedOut' });
    expect(closed).toMatchObject([{ status: 'TIMED_OUT' }]);
  });
});

describe('StopExecution', () => {
  test('ends a running execution ABORTED and tells the status listener', async () => {
    const { calls, handler } = recordingHandlers();
    const {
      sfn: s,
      client: c,
      closed,
    } = await start(tinyMachine(), {
      Produce: () => new Promise((resolve) => setTimeout(() => resolve({}), 5000)),
      Consume: handler('Consume'),
      RecordFailure: handler('RecordFailure'),
    });
    const { executionArn } = await c.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, input: '{}' }),
    );

    await c.send(new StopExecutionCommand({ executionArn, cause: 'Stopped by the test' }));
    await s.waitForIdle();

    const execution = await c.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution).toMatchObject({ status: 'ABORTED', cause: 'Stopped by the test' });
    expect(calls).toEqual([]);
    expect(closed).toMatchObject([{ executionArn, status: 'ABORTED' }]);
  });
});
