/**
 * One execution: its record (what DescribeExecution and GetExecutionHistory read, and what the
 * persistence file holds) and its run on aws-local-stepfunctions in the background.
 */
import './promise-with-resolvers';
import type { RunOptions, StateMachine } from 'aws-local-stepfunctions';
import type { AslState } from './definition';
import {
  type ExecutionOutcome,
  type ExecutionStatus,
  type HistoryEventRecord,
  HistoryRecorder,
  type TaskAttempt,
} from './history';

/**
 * What a Task state does locally: receives the state's effective input (after InputPath / Parameters)
 * and, for the integrations that need it (a Distributed Map's run), the execution it runs in.
 */
export type TaskHandler = (input: unknown, execution: TaskExecution) => Promise<unknown>;

/** The execution a Task runs in, as a handler sees it. */
export interface TaskExecution {
  readonly executionArn: string;
  /** The context object's Execution and StateMachine, for paths that read `$$`. */
  readonly context: Record<string, unknown>;
  /** Aborted when the execution is stopped. */
  readonly signal: AbortSignal;
}

export interface ExecutionRecord {
  readonly executionArn: string;
  /** The state machine's own (unqualified) ARN, also for an execution started through an alias. */
  readonly stateMachineArn: string;
  /** The alias StartExecution was called with, when it was one. */
  readonly stateMachineAliasArn?: string;
  /** The version StartExecution was called with, when it was one. */
  readonly stateMachineVersionArn?: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  readonly startDate: number;
  stopDate?: number;
  /** JSON text, as StartExecution received it. */
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Order of StartExecution calls (ListExecutions is newest first, even within one millisecond). */
  readonly seq: number;
  /** A Distributed Map's child execution: the map run it belongs to. */
  readonly mapRunArn?: string;
  /**
   * The execution has closed and its status-change event has not been handed to a listener yet (none
   * was attached: the local cloud was starting or stopping). Persisted, so it is sent after a restart.
   */
  statusEventPending?: boolean;
  readonly events: HistoryEventRecord[];
}

/** A state machine ready to run: the library's StateMachine plus what the history needs. */
export interface PreparedStateMachine {
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
  /** Every state of the definition as written, by name. */
  readonly states: ReadonlyMap<string, AslState>;
  readonly machine: StateMachine;
  readonly taskHandlers: Readonly<Record<string, TaskHandler>>;
  readonly overrides: Pick<
    NonNullable<RunOptions['overrides']>,
    'retryIntervalOverrides' | 'waitTimeOverrides'
  >;
}

export interface RunningExecution {
  /** Settles when the record holds the final status (never rejects). */
  readonly done: Promise<void>;
  /** Aborts the execution: ABORTED with this error and cause (StopExecution, close). */
  stop(error?: string, cause?: string): void;
}

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];

/**
 * Step Functions' quota on a state's input or output, and on a task's result: 256 KiB of UTF-8 JSON.
 * Over it, AWS fails the execution with States.DataLimitExceeded, which no Catch takes (States.ALL
 * does not match it).
 */
export const MAX_PAYLOAD_BYTES = 262_144;
export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

/** Size of a payload as Step Functions counts it: its JSON text in UTF-8. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/** Ends an execution with States.DataLimitExceeded, past the definition's catchers. */
type DataLimitGuard = (cause: string) => void;

export function runExecution(
  record: ExecutionRecord,
  stateMachine: PreparedStateMachine,
  settings: { readonly region: string; readonly onChange: () => void },
): RunningExecution {
  const aborted = new AbortController();
  const recorder = new HistoryRecorder({
    states: stateMachine.states,
    region: settings.region,
    roleArn: stateMachine.roleArn,
    stateMachineAliasArn: record.stateMachineAliasArn,
    events: record.events,
    onChange: settings.onChange,
  });
  const input = JSON.parse(record.input) as JsonValue;
  // aws-local-stepfunctions has no payload limit. The library would let a Catch take an error thrown
  // here, so the guard aborts the run instead (nothing else of it runs) and the recorder writes the
  // abort as ExecutionFailed States.DataLimitExceeded.
  const exceeded: DataLimitGuard = (cause) => {
    if (aborted.signal.aborted || recorder.outcome) return;
    recorder.failTerminally(DATA_LIMIT_EXCEEDED, cause);
    run.abort();
    aborted.abort();
  };
  // Without Execution.Id / Name, `$$.Execution.Id` fails: the library only fills Input and StartTime.
  const context = {
    Execution: {
      Id: record.executionArn,
      Name: record.name,
      StartTime: new Date(record.startDate).toISOString(),
      Input: input,
      RoleArn: stateMachine.roleArn,
    },
    StateMachine: { Id: stateMachine.arn, Name: stateMachine.name },
  };
  const run = stateMachine.machine.run(input, {
    overrides: {
      ...stateMachine.overrides,
      taskResourceLocalHandlers: bindTaskHandlers(stateMachine.taskHandlers, recorder, exceeded, {
        executionArn: record.executionArn,
        context,
        signal: aborted.signal,
      }),
    },
    context,
  });

  const consumed = (async () => {
    for await (const event of run.eventLogs) {
      // A state's output (after ResultSelector, ResultPath, OutputPath) is only seen here, in the log.
      // Task handlers wait until the log has reached their state (bindTaskHandlers), so an oversized
      // output stops the execution before the next task runs.
      if (event.type === 'StateExited' && payloadBytes(event.state.output) > MAX_PAYLOAD_BYTES) {
        exceeded(
          `The state/task '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
        );
      }
      recorder.record(event);
    }
  })();

  const done = (async () => {
    try {
      const settled = await run.result.then(
        (output) => ({ ok: true as const, output }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      // The last events reach the log after the result settles; the log ends with the execution's last event.
      await consumed;
      if (!recorder.outcome) recorder.finishWithoutEvent(outcomeFromResult(settled));
    } catch (error) {
      console.error(`[stepfunctions] ${record.executionArn}: ${(error as Error).stack}`);
      recorder.finishWithoutEvent({
        status: 'FAILED',
        error: 'States.Runtime',
        cause: (error as Error).message,
      });
    }
    const { status, timestamp, output, error, cause } = recorder.outcome as ExecutionOutcome;
    Object.assign(record, { status, stopDate: timestamp, output, error, cause });
    settings.onChange();
  })();

  return {
    done,
    stop(error?: string, cause?: string) {
      if (record.status !== 'RUNNING' || aborted.signal.aborted) return;
      recorder.setStopReason(error, cause);
      // The library settles the result and logs ExecutionAborted at once; handlers still in flight are
      // then let go (below) so the library's own timers end with them.
      run.abort();
      aborted.abort();
    },
  };
}

/**
 * Wraps each handler: records the call for the history, hands it a copy of its input and keeps a JSON
 * copy of its result (as a real service call would, so a handler can neither mutate the execution's
 * data nor return something that is not JSON), and gives up on it when the execution is aborted.
 */
function bindTaskHandlers(
  handlers: Readonly<Record<string, TaskHandler>>,
  recorder: HistoryRecorder,
  exceeded: DataLimitGuard,
  execution: TaskExecution,
): LocalHandlers {
  const { signal } = execution;
  return Object.fromEntries(
    Object.entries(handlers).map(([stateName, handler]) => [
      stateName,
      async (input: JsonValue) => {
        const attempt = recorder.taskCalled(stateName, input);
        try {
          // Until the log has caught up with this state, the previous state's output is unchecked.
          await untilAborted(attempt.logged, signal);
          if (signal.aborted) throw executionAborted();
          if (payloadBytes(input) > MAX_PAYLOAD_BYTES) {
            exceeded(
              `The state/task '${stateName}' has an input with a size exceeding the maximum number of bytes service limit.`,
            );
            throw executionAborted();
          }
          const output = toJson(await untilAborted(handler(toJson(input), execution), signal));
          if (payloadBytes(output) > MAX_PAYLOAD_BYTES) {
            exceeded(
              `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
            );
            throw executionAborted();
          }
          finish(attempt, true, output);
          return output;
        } catch (error) {
          finish(attempt, false);
          throw asTaskError(error);
        }
      },
    ]),
  );
}

function finish(attempt: TaskAttempt, succeeded: boolean, output?: unknown): void {
  attempt.endedAt = Date.now();
  attempt.succeeded = succeeded;
  attempt.output = output;
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(executionAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function executionAborted(): Error {
  const error = new Error('The execution was aborted while this task ran');
  error.name = 'ExecutionAborted';
  return error;
}

/**
 * The error the library sees: the handler's name (Retry / Catch match it) and message (the Cause).
 * A fresh Error, because the library reports `error.cause ?? error.message` and a handler's own
 * `cause` (often an Error) would become the Cause.
 */
function asTaskError(thrown: unknown): Error {
  const source = thrown instanceof Error ? thrown : new Error(String(thrown));
  const error = new Error(source.message);
  error.name = source.name || 'Error';
  error.stack = source.stack;
  return error;
}

function outcomeFromResult(
  settled: { ok: true; output: unknown } | { ok: false; error: unknown },
): Omit<ExecutionOutcome, 'timestamp'> {
  if (settled.ok) return { status: 'SUCCEEDED', output: JSON.stringify(settled.output ?? null) };
  const error = settled.error as Error & { cause?: Error };
  if (error.name === 'ExecutionAbortedError') return { status: 'ABORTED' };
  if (error.name === 'ExecutionTimeoutError') return { status: 'TIMED_OUT', error: 'States.Timeout' };
  return {
    status: 'FAILED',
    error: error.cause?.name ?? error.name,
    cause: error.cause?.message ?? error.message,
  };
}
