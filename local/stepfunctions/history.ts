/**
 * Turns aws-local-stepfunctions' event log into the execution history AWS keeps
 * (GetExecutionHistory), event by event, as the execution runs.
 *
 * The library logs states (StateEntered / Exited / Failed / Retried / Caught) but not the calls a
 * Task makes; those are observed by the task-handler wrapper (`taskCalled`) and written out when the
 * library reports the state's outcome, so the history reads like AWS's:
 *
 *   Task, Resource `arn:aws:states:::<service>:<action>` (e.g. lambda:invoke):
 *     TaskStateEntered, then per attempt TaskScheduled, TaskStarted, TaskSucceeded | TaskFailed |
 *     TaskTimedOut, then TaskStateExited (unless the failure ends the execution)
 *   Task, Resource a Lambda function ARN (CDK LambdaInvoke with payloadResponseOnly):
 *     the same with LambdaFunctionScheduled / Started / Succeeded / Failed / TimedOut
 *   Parallel: ParallelStateEntered, ParallelStateStarted (again on each retry), branch states,
 *     ParallelStateSucceeded | ParallelStateFailed (states still running in sibling branches get
 *     <Type>StateAborted), ParallelStateExited
 *   Map: MapStateEntered, MapStateStarted, MapIterationStarted / Succeeded / Failed,
 *     MapStateSucceeded | MapStateFailed, MapStateExited
 *   Pass, Wait, Choice, Succeed: <Type>StateEntered, <Type>StateExited; Fail: FailStateEntered
 *   ExecutionStarted first; ExecutionSucceeded | ExecutionFailed | ExecutionAborted |
 *     ExecutionTimedOut last.
 *
 * Retries and catches have no event of their own on AWS either: a retry shows as the next
 * Scheduled event, a catch as the state's Exited event carrying the error output.
 *
 * The library's log is read asynchronously, a little behind the execution. Scheduled / Started are
 * written when the handler is called if the log has reached the state's StateEntered (or
 * StateRetried) by then, else as soon as it does; the outcome event waits for the library's
 * StateExited / StateFailed. So the history stays in AWS's order and shows a running task as running.
 */
import type { StateMachine } from 'aws-local-stepfunctions';
import { type AslState, classifyTaskResource } from './definition';

export type LibraryEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** One history event as AWS shapes it, with the timestamp in epoch milliseconds. */
export interface HistoryEventRecord {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  /** The event's one `<name>EventDetails` member, when its type has one. */
  readonly [details: string]: unknown;
}

export interface ExecutionOutcome {
  readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>;
  readonly timestamp: number;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** One call of a Task's handler, as the wrapper saw it. */
export interface TaskAttempt {
  readonly stateName: string;
  readonly input: unknown;
  readonly startedAt: number;
  endedAt?: number;
  succeeded?: boolean;
  output?: unknown;
  /** Its Scheduled and Started events are in the history. */
  scheduledWritten: boolean;
  /**
   * Settles when the history has reached this attempt's state (its Scheduled event is written), so
   * every event before it (the previous state's output included) has been seen.
   */
  readonly logged: Promise<void>;
  readonly markLogged: () => void;
  /** Its outcome is in the history (or it was abandoned with its state). */
  consumed: boolean;
}

const NOT_TRUNCATED = { truncated: false } as const;
const FINAL_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimeout',
]);
const ABORTABLE_TYPES = new Set(['Task', 'Wait', 'Parallel', 'Map']);

export interface HistoryRecorderOptions {
  /** Every state of the definition as written (not as patched for the local run), by name. */
  readonly states: ReadonlyMap<string, AslState>;
  readonly region: string;
  readonly roleArn: string;
  /** The alias the execution was started through, shown in ExecutionStarted as on AWS. @default none */
  readonly stateMachineAliasArn?: string;
  /** The execution's history; events are appended to it. */
  readonly events: HistoryEventRecord[];
  /** Called after every appended event (persistence). */
  readonly onChange: () => void;
}

export class HistoryRecorder {
  /** Set by the execution's last event. */
  public outcome?: ExecutionOutcome;
  private readonly attempts: TaskAttempt[] = [];
  /** Task states whose StateEntered / StateRetried the log has reached, handler not called yet. */
  private readonly awaitingCall = new Set<string>();
  private readonly open: { name: string; type: string; failed: boolean }[] = [];
  private lastFailedState?: string;
  private lastTimestamp = 0;
  private stopReason: { error?: string; cause?: string } = {};
  private terminal?: { error: string; cause: string };

  constructor(private readonly options: HistoryRecorderOptions) {}

  /** The wrapper calls this when the library invokes a Task's handler. */
  taskCalled(stateName: string, input: unknown): TaskAttempt {
    let markLogged = () => {};
    const logged = new Promise<void>((resolve) => {
      markLogged = resolve;
    });
    const attempt: TaskAttempt = {
      stateName,
      input,
      startedAt: Date.now(),
      scheduledWritten: false,
      consumed: false,
      logged,
      markLogged,
    };
    this.attempts.push(attempt);
    if (this.awaitingCall.delete(stateName)) this.writeScheduled(attempt);
    return attempt;
  }

  /** The error and cause StopExecution (or close) gave, for the ExecutionAborted event. */
  setStopReason(error?: string, cause?: string): void {
    this.stopReason = { error, cause };
  }

  /**
   * The execution fails with this error whatever the library reports next (States.DataLimitExceeded,
   * which no Catch takes): the library is aborted, and its last event is written as ExecutionFailed.
   * Events in between (states the abort cut short) are left out of the history.
   */
  failTerminally(error: string, cause: string): void {
    this.terminal ??= { error, cause };
  }

  record(event: LibraryEvent): void {
    if (this.terminal) {
      if (this.outcome || !FINAL_EVENTS.has(event.type)) return;
      const { error, cause } = this.terminal;
      this.append('ExecutionFailed', event.timestamp, { executionFailedEventDetails: { error, cause } });
      this.outcome = { status: 'FAILED', timestamp: this.lastTimestamp, error, cause };
      return;
    }
    switch (event.type) {
      case 'ExecutionStarted':
        this.append('ExecutionStarted', event.timestamp, {
          executionStartedEventDetails: {
            input: json(event.input),
            inputDetails: NOT_TRUNCATED,
            roleArn: this.options.roleArn,
            ...(this.options.stateMachineAliasArn
              ? { stateMachineAliasArn: this.options.stateMachineAliasArn }
              : {}),
          },
        });
        return;
      case 'StateEntered': {
        const { name, type, input } = event.state;
        this.open.push({ name, type, failed: false });
        this.append(`${type}StateEntered`, event.timestamp, {
          stateEnteredEventDetails: { name, input: json(input), inputDetails: NOT_TRUNCATED },
        });
        if (type === 'Parallel' || type === 'Map') this.append(`${type}StateStarted`, event.timestamp);
        if (type === 'Task') this.taskReady(name);
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        const entry = this.closeState(name);
        if (type === 'Task') this.flushAttempts(name, event.timestamp);
        if ((type === 'Parallel' || type === 'Map') && !entry?.failed)
          this.append(`${type}StateSucceeded`, event.timestamp);
        this.append(`${type}StateExited`, event.timestamp, {
          stateExitedEventDetails: { name, output: json(output), outputDetails: NOT_TRUNCATED },
        });
        return;
      }
      case 'StateFailed': {
        const { name, type } = event.state;
        this.lastFailedState = name;
        const entry = this.findOpen(name);
        if (entry) entry.failed = true;
        if (type === 'Task') this.taskFailed(name, event.Error, causeText(event.Cause), event.timestamp);
        if (type === 'Parallel' || type === 'Map') {
          this.abortInnerStates(name, event.timestamp);
          this.append(`${type}StateFailed`, event.timestamp);
        }
        return;
      }
      case 'StateRetried': {
        const { name, type } = event.state;
        const entry = this.findOpen(name);
        if (entry) entry.failed = false;
        if (type === 'Parallel' || type === 'Map') this.append(`${type}StateStarted`, event.timestamp);
        if (type === 'Task') this.taskReady(name);
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const details: Record<string, unknown> = { name: event.parentState.name, index: event.index };
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.append(event.type, event.timestamp, { [key]: details });
        return;
      }
      case 'ExecutionSucceeded': {
        const output = json(event.output);
        this.append('ExecutionSucceeded', event.timestamp, {
          executionSucceededEventDetails: { output, outputDetails: NOT_TRUNCATED },
        });
        this.outcome = { status: 'SUCCEEDED', timestamp: this.lastTimestamp, output };
        return;
      }
      case 'ExecutionFailed': {
        const { error, cause } = this.executionError(event.Error, causeText(event.Cause));
        this.append('ExecutionFailed', event.timestamp, { executionFailedEventDetails: { error, cause } });
        this.outcome = { status: 'FAILED', timestamp: this.lastTimestamp, error, cause };
        return;
      }
      case 'ExecutionAborted': {
        const { error, cause } = this.stopReason;
        this.append('ExecutionAborted', event.timestamp, { executionAbortedEventDetails: { error, cause } });
        this.outcome = { status: 'ABORTED', timestamp: this.lastTimestamp, error, cause };
        return;
      }
      case 'ExecutionTimeout': {
        const error = 'States.Timeout';
        this.append('ExecutionTimedOut', event.timestamp, { executionTimedOutEventDetails: { error } });
        this.outcome = { status: 'TIMED_OUT', timestamp: this.lastTimestamp, error };
        return;
      }
      // StateCaught and ParallelBranch* have no AWS event (see the file comment).
      default:
        return;
    }
  }

  /**
   * Closes the history when the library's result settled without a last event (not seen with
   * 3.0.0; kept so an execution can never stay RUNNING).
   */
  finishWithoutEvent(result: Omit<ExecutionOutcome, 'timestamp'>): void {
    const timestamp = Date.now();
    const outcome: Omit<ExecutionOutcome, 'timestamp'> = this.terminal
      ? { status: 'FAILED', ...this.terminal }
      : result;
    const { status, output, error, cause } = outcome;
    if (status === 'SUCCEEDED') {
      this.append('ExecutionSucceeded', timestamp, {
        executionSucceededEventDetails: { output, outputDetails: NOT_TRUNCATED },
      });
    } else if (status === 'ABORTED') {
      this.append('ExecutionAborted', timestamp, { executionAbortedEventDetails: { error, cause } });
    } else if (status === 'TIMED_OUT') {
      this.append('ExecutionTimedOut', timestamp, { executionTimedOutEventDetails: { error, cause } });
    } else {
      this.append('ExecutionFailed', timestamp, { executionFailedEventDetails: { error, cause } });
    }
    this.outcome = { ...outcome, timestamp: this.lastTimestamp };
  }

  private append(type: string, timestamp: number, details: Record<string, unknown> = {}): void {
    const { events } = this.options;
    // Forwarded branch events carry their own (earlier) timestamps; AWS's history never goes back.
    this.lastTimestamp = Math.max(this.lastTimestamp, timestamp);
    const id = events.length + 1;
    events.push({ id, previousEventId: id - 1, timestamp: this.lastTimestamp, type, ...details });
    this.options.onChange();
  }

  private findOpen(name: string) {
    for (let i = this.open.length - 1; i >= 0; i--) if (this.open[i].name === name) return this.open[i];
    return undefined;
  }

  private closeState(name: string) {
    for (let i = this.open.length - 1; i >= 0; i--) {
      if (this.open[i].name === name) return this.open.splice(i, 1)[0];
    }
    return undefined;
  }

  /** States entered inside a failed Parallel / Map and still running are aborted by the library. */
  private abortInnerStates(parentName: string, timestamp: number): void {
    let parentIndex = -1;
    for (let i = this.open.length - 1; i >= 0 && parentIndex < 0; i--)
      if (this.open[i].name === parentName) parentIndex = i;
    if (parentIndex < 0) return;
    for (const inner of this.open.splice(parentIndex + 1)) {
      this.awaitingCall.delete(inner.name);
      for (let attempt = this.nextAttempt(inner.name); attempt; attempt = this.nextAttempt(inner.name)) {
        this.writeScheduled(attempt);
      }
      if (!inner.failed && ABORTABLE_TYPES.has(inner.type))
        this.append(`${inner.type}StateAborted`, timestamp);
    }
  }

  private nextAttempt(stateName: string): TaskAttempt | undefined {
    const attempt = this.attempts.find((a) => a.stateName === stateName && !a.consumed);
    if (attempt) {
      attempt.consumed = true;
      this.attempts.splice(this.attempts.indexOf(attempt), 1);
    }
    return attempt;
  }

  /** A Task exited: its last handler call succeeded (earlier ones were written when they failed). */
  private flushAttempts(stateName: string, timestamp: number): void {
    this.awaitingCall.delete(stateName);
    for (let attempt = this.nextAttempt(stateName); attempt; attempt = this.nextAttempt(stateName)) {
      this.writeAttempt(attempt, timestamp, { kind: 'Succeeded' });
    }
  }

  private taskFailed(stateName: string, error: string, cause: string | undefined, timestamp: number): void {
    this.awaitingCall.delete(stateName);
    const attempt = this.nextAttempt(stateName);
    // No call: the state failed before its handler ran (InputPath / Parameters), as on AWS no task events.
    if (!attempt) return;
    if (attempt.endedAt === undefined) {
      this.writeAttempt(attempt, timestamp, {
        kind: error === 'States.Timeout' ? 'TimedOut' : 'Failed',
        error,
        cause,
      });
    } else if (attempt.succeeded) {
      // The handler succeeded and ResultSelector / ResultPath / OutputPath failed (States.Runtime).
      this.writeAttempt(attempt, timestamp, { kind: 'Succeeded' });
    } else {
      this.writeAttempt(attempt, timestamp, { kind: 'Failed', error, cause });
    }
  }

  /** The log reached a Task's StateEntered / StateRetried: its handler call is, or is about to be, made. */
  private taskReady(stateName: string): void {
    const attempt = this.attempts.find(
      (a) => a.stateName === stateName && !a.scheduledWritten && !a.consumed,
    );
    if (attempt) this.writeScheduled(attempt);
    else this.awaitingCall.add(stateName);
  }

  private writeScheduled(attempt: TaskAttempt): void {
    if (attempt.scheduledWritten) return;
    attempt.scheduledWritten = true;
    attempt.markLogged();
    const state = this.options.states.get(attempt.stateName);
    const resource = classifyTaskResource(state?.Resource ?? '');
    const timeoutInSeconds = state?.TimeoutSeconds;
    if (resource.kind === 'lambda-function') {
      this.append('LambdaFunctionScheduled', attempt.startedAt, {
        lambdaFunctionScheduledEventDetails: {
          resource: resource.functionArn,
          input: json(attempt.input),
          inputDetails: NOT_TRUNCATED,
          timeoutInSeconds,
        },
      });
      this.append('LambdaFunctionStarted', attempt.startedAt);
    } else {
      const { resourceType, resource: name } = resource;
      this.append('TaskScheduled', attempt.startedAt, {
        taskScheduledEventDetails: {
          resourceType,
          resource: name,
          region: this.options.region,
          parameters: json(attempt.input),
          timeoutInSeconds,
        },
      });
      this.append('TaskStarted', attempt.startedAt, {
        taskStartedEventDetails: { resourceType, resource: name },
      });
    }
  }

  private writeAttempt(
    attempt: TaskAttempt,
    timestamp: number,
    end: { kind: 'Succeeded' } | { kind: 'Failed' | 'TimedOut'; error: string; cause?: string },
  ): void {
    this.writeScheduled(attempt);
    const resource = classifyTaskResource(this.options.states.get(attempt.stateName)?.Resource ?? '');
    const endedAt = Math.min(attempt.endedAt ?? timestamp, timestamp);
    const ending =
      end.kind === 'Succeeded'
        ? { output: json(attempt.output), outputDetails: NOT_TRUNCATED }
        : { error: end.error, cause: end.cause };
    if (resource.kind === 'lambda-function') {
      this.append(`LambdaFunction${end.kind}`, endedAt, {
        [`lambdaFunction${end.kind}EventDetails`]: ending,
      });
    } else {
      const { resourceType, resource: name } = resource;
      this.append(`Task${end.kind}`, endedAt, {
        [`task${end.kind}EventDetails`]: { resourceType, resource: name, ...ending },
      });
    }
  }

  /**
   * The library reports a Fail state without Error / Cause as FailStateError / "Execution failed
   * because of a Fail state"; AWS leaves both out.
   */
  private executionError(error: string, cause: string | undefined): { error?: string; cause?: string } {
    const failState = this.lastFailedState ? this.options.states.get(this.lastFailedState) : undefined;
    if (failState?.Type !== 'Fail') return { error, cause };
    return {
      error: failState.Error !== undefined || failState.ErrorPath !== undefined ? error : undefined,
      cause: failState.Cause !== undefined || failState.CausePath !== undefined ? cause : undefined,
    };
  }
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** The library passes `error.cause ?? error.message`: a nested Error or object when a handler set one. */
export function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}
