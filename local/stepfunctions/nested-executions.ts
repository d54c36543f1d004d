/**
 * The Step Functions integration with itself: a Task whose Resource is
 * `arn:aws:states:::states:startExecution` (start and go on), `…startExecution.sync` (wait; Output as
 * JSON text) or `…startExecution.sync:2` (wait; Output parsed). Parameters: StateMachineArn (the state
 * machine's own ARN, an alias's or a version's), Input (an object or JSON text), Name.
 *
 * As on AWS: a child that ends FAILED, TIMED_OUT or ABORTED fails the task with States.TaskFailed,
 * its Cause the child's DescribeExecution (as the .sync pattern returns it) in JSON, so a Catch can
 * read the child's own Error with States.StringToJson; StartExecution's own errors (the child never
 * started) are `StepFunctions.<Exception>` (StepFunctions.ExecutionAlreadyExistsException, ...).
 */
import type { TaskHandler } from './executions';

const START_EXECUTION = /^arn:[\w-]+:states:::states:startExecution(\.sync(:2)?)?$/;

export type NestedPattern = 'request-response' | 'sync' | 'sync:2';

export function nestedExecutionPattern(resource: string | undefined): NestedPattern | undefined {
  const match = START_EXECUTION.exec(resource ?? '');
  if (!match) return undefined;
  return match[2] ? 'sync:2' : match[1] ? 'sync' : 'request-response';
}

/** A closed (or, for request-response, started) execution as DescribeExecution gives it. */
export interface NestedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineAliasArn?: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: number;
  readonly stopDate?: number;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface NestedExecutionHost {
  /** StartExecution as the API runs it (throws its SfnApiError). */
  start(request: { stateMachineArn: string; name?: string; input: string }): {
    executionArn: string;
    startDate: number;
  };
  /** Resolves once the execution has closed, with its description. */
  waitFor(executionArn: string): Promise<NestedExecution>;
}

export function nestedExecutionHandler(
  stateName: string,
  pattern: NestedPattern,
  host: NestedExecutionHost,
): TaskHandler {
  return async (parameters) => {
    const { StateMachineArn, Input, Name } = (parameters ?? {}) as Record<string, unknown>;
    if (typeof StateMachineArn !== 'string') {
      throw taskError(
        'States.Runtime',
        `Task state '${stateName}': Parameters give no StateMachineArn string`,
      );
    }
    const input = Input === undefined ? '{}' : typeof Input === 'string' ? Input : JSON.stringify(Input);
    let started: { executionArn: string; startDate: number };
    try {
      started = host.start({
        stateMachineArn: StateMachineArn,
        name: typeof Name === 'string' ? Name : undefined,
        input,
      });
    } catch (error) {
      const name = (error as Error).name || 'Error';
      // The service's exception names, as the integration reports them (the SDK's Exception suffix).
      throw taskError(
        `StepFunctions.${name.endsWith('Exception') ? name : `${name}Exception`}`,
        (error as Error).message,
      );
    }
    if (pattern === 'request-response') {
      return { ExecutionArn: started.executionArn, StartDate: started.startDate };
    }
    const execution = await host.waitFor(started.executionArn);
    const description = describe(execution, pattern);
    if (execution.status !== 'SUCCEEDED') throw taskError('States.TaskFailed', JSON.stringify(description));
    return description;
  };
}

/** DescribeExecution as the .sync patterns return it: PascalCase, dates in epoch ms. */
function describe(execution: NestedExecution, pattern: NestedPattern): Record<string, unknown> {
  const parse = (text: string | undefined) =>
    text === undefined ? null : pattern === 'sync:2' ? JSON.parse(text) : text;
  return {
    ExecutionArn: execution.executionArn,
    Input: parse(execution.input),
    InputDetails: { Included: true },
    Name: execution.name,
    ...(execution.output === undefined
      ? {}
      : { Output: parse(execution.output), OutputDetails: { Included: true } }),
    ...(execution.error === undefined ? {} : { Error: execution.error }),
    ...(execution.cause === undefined ? {} : { Cause: execution.cause }),
    StartDate: execution.startDate,
    StateMachineArn: execution.stateMachineArn,
    ...(execution.stateMachineAliasArn ? { StateMachineAliasArn: execution.stateMachineAliasArn } : {}),
    Status: execution.status,
    StopDate: execution.stopDate,
  };
}

function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
