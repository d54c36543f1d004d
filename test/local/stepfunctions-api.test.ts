import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StateMachineTypeNotSupported,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type LocalStateMachine,
  type LocalStepFunctions,
  startStepFunctions,
  type TaskHandler,
} from '../../local/stepfunctions/server';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Two function-ARN tasks and a Pass: a short history with data in every event. */
const twoSteps = {
  StartAt: 'First',
  States: {
    First: { Type: 'Task', Resource: fn('first'), ResultPath: '$.first', Next: 'Second' },
    Second: { Type: 'Task', Resource: fn('second'), ResultPath: '$.second', Next: 'Done' },
    Done: { Type: 'Pass', End: true },
  },
};

const gates = new Map<string, () => void>();
/** A handler that waits until `release(input.gate)` when the input names a gate. */
const gated: TaskHandler = async (input) => {
  const gate = (input as { gate?: string }).gate;
  if (gate) await new Promise<void>((resolve) => gates.set(gate, resolve));
  return { ok: true };
};
const release = (gate: string) => gates.get(gate)?.();

function machine(name: string, overrides: Partial<LocalStateMachine> = {}): LocalStateMachine {
  return {
    arn: arnOf(name),
    name,
    type: 'STANDARD',
    definition: twoSteps,
    taskHandlers: { First: gated, Second: async () => 'second' },
    ...overrides,
  };
}

async function untilRunningTask(sfn: LocalStepFunctions, client: SFNClient, executionArn: string) {
  for (let i = 0; i < 100; i++) {
    const { events = [] } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    if (events.some((e) => e.type === 'LambdaFunctionStarted')) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${executionArn} never started its task (${sfn.url})`);
}

describe('the Step Functions API of the local endpoint', () => {
  let sfn: LocalStepFunctions;
  let client: SFNClient;

  beforeAll(async () => {
    sfn = await startStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        machine('Listing'),
        machine('History'),
        machine('Errors'),
        machine('Stopping'),
        machine('Fast', { type: 'EXPRESS' }),
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: REGION, credentials });
  });

  afterAll(async () => {
    client?.destroy();
    await sfn?.close();
  });

  const start = (stateMachine: string, input: unknown = {}, name?: string) =>
    client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf(stateMachine), input: JSON.stringify(input), name }),
    );

  test('DescribeExecution reports RUNNING, then SUCCEEDED with dates, input and output', async () => {
    // Prepare
    const { executionArn } = await start('History', { gate: 'describe' }, 'describe-me');
    await untilRunningTask(sfn, client, executionArn as string);

    // Act
    const running = await client.send(new DescribeExecutionCommand({ executionArn }));
    release('describe');
    await sfn.waitForIdle();
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(running).toMatchObject({
      status: 'RUNNING',
      name: 'describe-me',
      stateMachineArn: arnOf('History'),
    });
    expect(running.stopDate).toBeUndefined();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.startDate).toBeInstanceOf(Date);
    expect((done.stopDate as Date).getTime()).toBeGreaterThanOrEqual((done.startDate as Date).getTime());
    expect(JSON.parse(done.input as string)).toEqual({ gate: 'describe' });
    expect(JSON.parse(done.output as string)).toEqual({
      gate: 'describe',
      first: { ok: true },
      second: 'second',
    });
  });

  test('GetExecutionHistory pages forward and in reverse, with the same events both ways', async () => {
    // Prepare
    const { executionArn } = await start('History', { n: 1 });
    await sfn.waitForIdle();
    const all = async (reverseOrder: boolean) => {
      const pages: HistoryEvent[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new GetExecutionHistoryCommand({ executionArn, reverseOrder, maxResults: 3, nextToken }),
        );
        pages.push(page.events ?? []);
        nextToken = page.nextToken;
      } while (nextToken);
      return pages;
    };

    // Act
    const full = (await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    const forward = await all(false);
    const reverse = await all(true);

    // Assess
    expect(full.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(forward.every((page) => page.length <= 3)).toBe(true);
    expect(forward.flat()).toEqual(full);
    expect(reverse.flat()).toEqual([...full].reverse());
  });

  test('GetExecutionHistory leaves data out when includeExecutionData is false', async () => {
    // Prepare
    const { executionArn } = await start('History', { secret: 'gps' });
    await sfn.waitForIdle();

    // Act
    const { events = [] } = await client.send(
      new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }),
    );

    // Assess
    expect(JSON.stringify(events)).not.toContain('gps');
    expect(events[1].stateEnteredEventDetails?.name).toBe('First');
  });

  test('ListExecutions lists newest first, filters by status and pages', async () => {
    // Prepare
    const first = await start('Listing', { n: 1 });
    const second = await start('Listing', { n: 2 });
    const third = await start('Listing', { gate: 'listing' });
    await untilRunningTask(sfn, client, third.executionArn as string);

    // Act
    const running = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('Listing'), statusFilter: 'RUNNING' }),
    );
    release('listing');
    await sfn.waitForIdle();
    const page1 = await client.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('Listing'), maxResults: 2 }),
    );
    const page2 = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: arnOf('Listing'),
        maxResults: 2,
        nextToken: page1.nextToken,
      }),
    );

    // Assess
    expect(running.executions?.map((e) => e.executionArn)).toEqual([third.executionArn]);
    expect([...(page1.executions ?? []), ...(page2.executions ?? [])].map((e) => e.executionArn)).toEqual([
      third.executionArn,
      second.executionArn,
      first.executionArn,
    ]);
    expect(page2.nextToken).toBeUndefined();
    expect(page1.executions?.[0]).toMatchObject({ status: 'SUCCEEDED', stateMachineArn: arnOf('Listing') });
    expect(sfn.listExecutions({ stateMachineArn: arnOf('Listing') }).map((e) => e.executionArn)).toEqual([
      third.executionArn,
      second.executionArn,
      first.executionArn,
    ]);
  });

  test('StopExecution ends a running execution ABORTED with the given error and cause', async () => {
    // Prepare
    const { executionArn } = await start('Stopping', { gate: 'never-released' });
    await untilRunningTask(sfn, client, executionArn as string);

    // Act
    await client.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by a test' }),
    );
    await sfn.waitForIdle();

    // Assess
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by a test' });
    const { events = [] } = await client.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }),
    );
    expect(events[0].type).toBe('ExecutionAborted');
  });

  test.each([
    ['an unknown state machine', () => start('Nope'), StateMachineDoesNotExist],
    [
      'input that is not JSON',
      () => client.send(new StartExecutionCommand({ stateMachineArn: arnOf('Errors'), input: '{bad' })),
      InvalidExecutionInput,
    ],
    ['a name with a space', () => start('Errors', {}, 'two words'), InvalidName],
    ['a name longer than 80 characters', () => start('Errors', {}, 'x'.repeat(81)), InvalidName],
    [
      'an unknown execution',
      () =>
        client.send(
          new DescribeExecutionCommand({
            executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Errors:missing`,
          }),
        ),
      ExecutionDoesNotExist,
    ],
    [
      'a malformed execution ARN',
      () => client.send(new DescribeExecutionCommand({ executionArn: 'nope' })),
      InvalidArn,
    ],
  ])('fails with the modelled exception for %s', async (_case, act, exception) => {
    // Act
    const error = await act().catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(exception);
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  test('fails with UnknownOperationException, in AWS JSON error form, for an unsupported target', async () => {
    // Act
    const response = await fetch(sfn.url, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSStepFunctions.CreateStateMachine',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  test('EXPRESS executions run, but DescribeExecution and ListExecutions refuse them as on AWS', async () => {
    // Prepare
    const { executionArn } = await start('Fast');
    await sfn.waitForIdle();

    // Act
    const describe = await client
      .send(new DescribeExecutionCommand({ executionArn }))
      .catch((e: unknown) => e);
    const list = await client
      .send(new ListExecutionsCommand({ stateMachineArn: arnOf('Fast') }))
      .catch((e: unknown) => e);

    // Assess
    expect(executionArn).toMatch(
      new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:Fast:[^:]+:[0-9a-f-]{36}$`),
    );
    expect(sfn.listExecutions({ stateMachineArn: arnOf('Fast') })[0].status).toBe('SUCCEEDED');
    expect(describe).toBeInstanceOf(InvalidArn);
    expect(list).toBeInstanceOf(StateMachineTypeNotSupported);
  });

  test('the SDK finds the endpoint through AWS_ENDPOINT_URL_SFN', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL_SFN;
    process.env.AWS_ENDPOINT_URL_SFN = sfn.url;
    const envClient = new SFNClient({ region: REGION, credentials });

    try {
      // Act
      const { executionArn } = await envClient.send(
        new StartExecutionCommand({ stateMachineArn: arnOf('History'), input: '{}' }),
      );
      await sfn.waitForIdle();

      // Assess
      const execution = await envClient.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution.status).toBe('SUCCEEDED');
    } finally {
      envClient.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
      else process.env.AWS_ENDPOINT_URL_SFN = previous;
    }
  });
});

describe('task handler semantics', () => {
  let sfn: LocalStepFunctions;
  let client: SFNClient;
  afterEach(async () => {
    client?.destroy();
    await sfn?.close();
  });

  test('a caught error from a plain task handler has its message as Cause (the library does not wrap it)', async () => {
    // Prepare
    const definition = {
      StartAt: 'Store',
      States: {
        Store: {
          Type: 'Task',
          Resource: fn('store'),
          Catch: [{ ErrorEquals: ['StorageError'], ResultPath: '$.error', Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    };
    sfn = await startStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        machine('Plain', {
          definition,
          taskHandlers: {
            Store: async () => {
              throw Object.assign(new Error('disk full', { cause: new Error('ENOSPC') }), {
                name: 'StorageError',
              });
            },
          },
        }),
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: REGION, credentials });

    // Act
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf('Plain') }),
    );
    await sfn.waitForIdle();

    // Assess
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(execution.output as string)).toEqual({
      error: { Error: 'StorageError', Cause: 'disk full' },
    });
  });

  test('BackoffRate grows the pause between retries, and FULL jitter keeps each pause within it', async () => {
    // Prepare
    const retrier = { ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 1.5 };
    const definition = (jitter: 'NONE' | 'FULL') => ({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: fn('call'),
          Retry: [{ ...retrier, JitterStrategy: jitter }],
          End: true,
        },
      },
    });
    const at: Record<string, number[]> = { NONE: [], FULL: [] };
    const flaky =
      (jitter: 'NONE' | 'FULL'): TaskHandler =>
      async () => {
        at[jitter].push(Date.now());
        if (at[jitter].length < 3) throw Object.assign(new Error('try again'), { name: 'Flaky' });
        return 'ok';
      };
    sfn = await startStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        machine('NoJitter', { definition: definition('NONE'), taskHandlers: { Call: flaky('NONE') } }),
        machine('FullJitter', { definition: definition('FULL'), taskHandlers: { Call: flaky('FULL') } }),
      ],
    });
    client = new SFNClient({ endpoint: sfn.url, region: REGION, credentials });

    // Act
    await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('NoJitter') }));
    await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('FullJitter') }));
    await sfn.waitForIdle();

    // Assess
    const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);
    // NONE: 1 s, then 1.5 s. FULL: a random pause up to each of those. Upper bounds leave room for a busy CPU.
    const [none1, none2] = gaps(at.NONE);
    expect(none1).toBeGreaterThanOrEqual(950);
    expect(none1).toBeLessThan(1450);
    expect(none2).toBeGreaterThanOrEqual(1450);
    expect(none2).toBeLessThan(2200);
    const [full1, full2] = gaps(at.FULL);
    expect(full1).toBeLessThan(1450);
    expect(full2).toBeLessThan(2200);
    expect(sfn.listExecutions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  test('fails to start when a Task state has no local handler (it would call AWS)', async () => {
    // Act
    const starting = startStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [machine('Unbound', { taskHandlers: { First: gated } })],
    });

    // Assess
    await expect(starting).rejects.toThrow('no local handler for Task state(s) Second');
  });
});

describe('the endpoint lifecycle', () => {
  test('executions survive a restart through persistPath; one running at close comes back ABORTED', async () => {
    // Prepare
    const directory = mkdtempSync(join(tmpdir(), 'sfn-persist-'));
    const persistPath = join(directory, 'executions.json');
    const settings = { region: REGION, accountId: ACCOUNT, persistPath, stateMachines: [machine('Durable')] };
    const first = await startStepFunctions(settings);
    let client = new SFNClient({ endpoint: first.url, region: REGION, credentials });
    const done = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf('Durable'), name: 'done' }),
    );
    await first.waitForIdle();
    const stuck = await client.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('Durable'),
        name: 'stuck',
        input: '{"gate":"restart"}',
      }),
    );
    await untilRunningTask(first, client, stuck.executionArn as string);
    const historyBefore = await client.send(
      new GetExecutionHistoryCommand({ executionArn: done.executionArn }),
    );
    client.destroy();
    await first.close();

    try {
      // Act
      const second = await startStepFunctions(settings);
      client = new SFNClient({ endpoint: second.url, region: REGION, credentials });
      const doneAfter = await client.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
      const historyAfter = await client.send(
        new GetExecutionHistoryCommand({ executionArn: done.executionArn }),
      );
      const stuckAfter = await client.send(
        new DescribeExecutionCommand({ executionArn: stuck.executionArn }),
      );
      client.destroy();
      await second.close();

      // Assess
      expect(doneAfter.status).toBe('SUCCEEDED');
      expect(historyAfter.events).toEqual(historyBefore.events);
      expect(stuckAfter.status).toBe('ABORTED');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('close() aborts a task that never settles and leaves nothing that keeps the process alive', async () => {
    // Prepare: a child process that starts the endpoint, starts an execution whose task hangs, keeps an
    // HTTP keep-alive connection open, closes the endpoint and then has nothing left to do.
    const directory = mkdtempSync(join(tmpdir(), 'sfn-close-'));
    const script = join(directory, 'close-check.mts');
    const serverModule = fileURLToPath(new URL('../../local/stepfunctions/server.ts', import.meta.url));
    writeFileSync(
      script,
      `
      import { request, Agent } from 'node:http';
      import { startStepFunctions } from ${JSON.stringify(serverModule)};
      const arn = ${JSON.stringify(arnOf('Hang'))};
      const sfn = await startStepFunctions({ region: ${JSON.stringify(REGION)}, accountId: ${JSON.stringify(ACCOUNT)},
        stateMachines: [{ arn, name: 'Hang', type: 'STANDARD',
          definition: { StartAt: 'Hang', States: { Hang: { Type: 'Task', Resource: ${JSON.stringify(fn('hang'))}, End: true } } },
          taskHandlers: { Hang: () => new Promise(() => {}) } }] });
      const agent = new Agent({ keepAlive: true });
      const status = await new Promise((resolve, reject) => {
        const req = request(sfn.url, { method: 'POST', agent, headers: { 'x-amz-target': 'AWSStepFunctions.StartExecution' } },
          (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
        req.on('error', reject);
        req.end(JSON.stringify({ stateMachineArn: arn, input: '{}' }));
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sfn.close();
      console.log(JSON.stringify({ status, executions: sfn.listExecutions().map((e) => e.status) }));
      `,
    );

    try {
      // Act
      const started = Date.now();
      const { code, stdout, stderr } = await new Promise<{
        code: number | null;
        stdout: string;
        stderr: string;
      }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd() });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => {
          stdout += chunk;
        });
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (exitCode) => {
          clearTimeout(killer);
          resolve({ code: exitCode, stdout, stderr });
        });
      });

      // Assess
      expect(stderr).not.toMatch(/Error/);
      expect(code).toBe(0);
      expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual({
        status: 200,
        executions: ['ABORTED'],
      });
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
