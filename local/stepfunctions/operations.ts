/**
 * The Step Functions operations, request object in, response object out (JSON protocol shapes:
 * dates as epoch seconds). The HTTP side lives in server.ts.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type AslState, type AslStates, forLocalRun, indexStates } from './definition';
import {
  type ChildResult,
  type DistributedMapState,
  distributedMapsOf,
  type MapRunRecord,
  replaceDistributedMaps,
  runMapRun,
  type StartedChild,
} from './distributed-map';
import { apiErrors } from './errors';
import {
  type ExecutionRecord,
  type PreparedStateMachine,
  type RunningExecution,
  runExecution,
  type TaskHandler,
} from './executions';
import type { ExecutionStatus, HistoryEventRecord } from './history';
import { type NestedExecution, nestedExecutionHandler, nestedExecutionPattern } from './nested-executions';
import { ExecutionsFile, readExecutions } from './persistence';

export interface LocalStateMachine {
  /** `arn:aws:states:<region>:<accountId>:stateMachine:<name>`, as the template's Ref resolves. */
  readonly arn: string;
  readonly name: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** The ASL definition, intrinsics resolved (JSONPath; the library ignores JSONata and Assign). */
  readonly definition: object;
  /** One handler per Task state, by state name (Parallel branches included); see lambdaTaskHandlers. */
  readonly taskHandlers: Readonly<Record<string, TaskHandler>>;
  /**
   * Alias ARNs (`<arn>:<alias name>`) StartExecution also takes for this state machine, as the
   * template's AWS::StepFunctions::StateMachineAlias resources name them. Every version locally is
   * the definition above, so an alias starts it; the execution records the alias. @default none
   */
  readonly aliasArns?: readonly string[];
  /** Shown as `$$.Execution.RoleArn` and in ExecutionStarted. @default arn:aws:iam::<accountId>:role/<name> */
  readonly roleArn?: string;
  /**
   * Passed to aws-local-stepfunctions: per state name, a fixed pause in ms (or one per retrier)
   * replacing IntervalSeconds, BackoffRate and JitterStrategy. @default none: AWS's timing
   */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** Passed to aws-local-stepfunctions: per Wait state name, the pause in ms. @default none */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
}

export interface StepFunctionsSettings {
  readonly stateMachines: readonly LocalStateMachine[];
  readonly region: string;
  readonly accountId: string;
  /**
   * File holding every execution (an append-only JSON Lines log, see persistence.ts), appended to on
   * change and read at start. @default memory only
   */
  readonly persistPath?: string;
  /**
   * The S3 client a Distributed Map reads its items with and writes its results with, asked for when
   * a map run starts (the local S3 may start after Step Functions). @default none: a definition with
   * a Distributed Map is refused
   */
  readonly s3Client?: () => S3Client;
}

/** An execution as the local cloud sees it (dates as Date). */
export interface ExecutionDescription {
  readonly executionArn: string;
  /** The state machine's own ARN, as AWS reports it for an execution started through an alias too. */
  readonly stateMachineArn: string;
  /** The alias the execution was started through, if it was. */
  readonly stateMachineAliasArn?: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

type Request = Record<string, unknown>;

/** Told when an execution closes (SUCCEEDED, FAILED, TIMED_OUT, ABORTED); see setStatusListener. */
export type StatusListener = (execution: ExecutionDescription) => void;

const STATE_MACHINE_ARN =
  /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$/;
// `<machine>/<map label>` names a Distributed Map's child execution's state machine.
const EXECUTION_ARN =
  /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:(execution|express):[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?:[^:]+(:[^:]+)?$/;
const MAP_RUN_ARN = /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:mapRun:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:[^:]+$/;
const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export class StepFunctionsService {
  private readonly stateMachines = new Map<string, PreparedStateMachine>();
  /** Alias ARN → the state machine it starts. */
  private readonly aliases = new Map<string, PreparedStateMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, RunningExecution>();
  private readonly file?: ExecutionsFile;
  private readonly region: string;
  private seq = 0;
  private statusListener?: StatusListener;
  private pendingCount = 0;
  /** Distributed Map runs by ARN (in memory: a map run does not outlive the local cloud). */
  private readonly mapRuns = new Map<string, MapRunRecord>();
  private readonly s3Client?: () => S3Client;

  constructor(settings: StepFunctionsSettings) {
    this.region = settings.region;
    this.s3Client = settings.s3Client;
    for (const config of settings.stateMachines) {
      const prepared = prepareStateMachine(config, settings.region, settings.accountId, (states, machine) =>
        this.integrationHandlers(states, machine),
      );
      this.stateMachines.set(config.arn, prepared);
      for (const aliasArn of config.aliasArns ?? []) {
        if (!aliasArn.startsWith(`${config.arn}:`) || aliasArn.split(':').length !== 8) {
          throw new Error(
            `State machine ${config.name}: alias ARN '${aliasArn}' is not ${config.arn}:<alias>`,
          );
        }
        this.aliases.set(aliasArn, prepared);
      }
    }
    if (settings.persistPath) {
      for (const record of readExecutions(settings.persistPath)) {
        if (record.status === 'RUNNING') abortInterrupted(record);
        if (record.statusEventPending) this.pendingCount++;
        this.executions.set(record.executionArn, record);
        this.seq = Math.max(this.seq, record.seq + 1);
      }
      this.file = new ExecutionsFile(settings.persistPath, () => this.executions.values());
      // Rewrite it once now: saves the ABORTED records, drops a torn last line, converts version 1.
      this.file.compact();
    }
  }

  handle(operation: string, request: Request): unknown {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(request);
      case 'DescribeExecution':
        return this.describeExecution(request);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(request);
      case 'ListExecutions':
        return this.listExecutionsOperation(request);
      case 'StopExecution':
        return this.stopExecution(request);
      case 'DescribeMapRun':
        return this.describeMapRun(request);
      case 'ListMapRuns':
        return this.listMapRuns(request);
      default:
        throw apiErrors.unknownOperation(`AWSStepFunctions.${operation}`);
    }
  }

  /** Executions, newest first, for the local cloud itself; an alias ARN lists those started through it. */
  listExecutions(
    filter: { stateMachineArn?: string; status?: ExecutionStatus } = {},
  ): ExecutionDescription[] {
    return this.sortedExecutions()
      .filter((r) => !filter.stateMachineArn || startedBy(r, filter.stateMachineArn))
      .filter((r) => !filter.status || r.status === filter.status)
      .map(describeRecord);
  }

  /**
   * Who hears of closed executions (the local cloud's EventBridge). Executions that closed while no one
   * listened (while the cloud started, or aborted as it stopped, or RUNNING when it last stopped) are
   * handed over now, oldest first; `undefined` stops listening.
   */
  setStatusListener(listener: StatusListener | undefined): void {
    this.statusListener = listener;
    if (!listener || this.pendingCount === 0) return;
    for (const record of this.sortedExecutions().reverse()) {
      if (record.statusEventPending) this.announce(record);
    }
  }

  private announce(record: ExecutionRecord): void {
    const listener = this.statusListener;
    if (!record.statusEventPending) {
      record.statusEventPending = true;
      this.pendingCount++;
    }
    if (listener) {
      record.statusEventPending = undefined;
      this.pendingCount--;
      try {
        listener(describeRecord(record));
      } catch (error) {
        console.error(
          `[stepfunctions] status listener failed for ${record.executionArn}: ${(error as Error).stack}`,
        );
      }
    }
    this.file?.markDirty(record);
  }

  /** Resolves when no execution is running and the persistence file (if any) is up to date. */
  async waitForIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
    await this.file?.flush();
  }

  /** Aborts every running execution and waits for their records and the file to be final. */
  async stopAll(cause: string): Promise<void> {
    for (const execution of this.running.values()) execution.stop(undefined, cause);
    await this.waitForIdle();
  }

  private startExecution(request: Request) {
    const requestedArn = requireString(request, 'stateMachineArn');
    if (!STATE_MACHINE_ARN.test(requestedArn)) throw apiErrors.invalidArn(requestedArn);
    const alias = this.aliases.get(requestedArn);
    // A version ARN (`<machine>:<number>`): every version is the one local definition.
    const version = /^(.+):(\d+)$/.exec(requestedArn);
    const stateMachine =
      alias ??
      this.stateMachines.get(requestedArn) ??
      (version ? this.stateMachines.get(version[1]) : undefined);
    if (!stateMachine) throw apiErrors.stateMachineDoesNotExist(requestedArn);
    // Started through an alias, the execution is still the state machine's: its ARN, and the
    // stateMachineArn DescribeExecution and the status-change event report, are the unqualified ones.
    const stateMachineArn = stateMachine.arn;

    const name = optionalString(request, 'name') ?? randomUUID();
    if (!isValidName(name)) throw apiErrors.invalidName(name);
    const input = optionalString(request, 'input') ?? '{}';
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch (error) {
      throw apiErrors.invalidExecutionInput((error as Error).message);
    }

    const executionArn =
      stateMachine.type === 'STANDARD'
        ? `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`
        : `${stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // STANDARD only (EXPRESS ARNs are unique): same name and input while RUNNING is the same call
      // again; a different input, or a closed execution, is an error (names are not reused for 90 days).
      if (existing.status === 'RUNNING' && isDeepStrictEqual(JSON.parse(existing.input), parsedInput)) {
        return { executionArn, startDate: seconds(existing.startDate) };
      }
      throw apiErrors.executionAlreadyExists(executionArn);
    }

    const record = this.run(stateMachine, {
      executionArn,
      stateMachineArn,
      stateMachineAliasArn: alias ? requestedArn : undefined,
      stateMachineVersionArn:
        !alias && version && requestedArn !== stateMachineArn ? requestedArn : undefined,
      name,
      input,
    });
    return { executionArn, startDate: seconds(record.startDate) };
  }

  /** Records an execution and runs it in the background. */
  private run(
    stateMachine: PreparedStateMachine,
    ids: Pick<
      ExecutionRecord,
      | 'executionArn'
      | 'stateMachineArn'
      | 'stateMachineAliasArn'
      | 'stateMachineVersionArn'
      | 'name'
      | 'input'
      | 'mapRunArn'
    >,
  ): ExecutionRecord {
    const record: ExecutionRecord = {
      ...ids,
      type: stateMachine.type,
      status: 'RUNNING',
      startDate: Date.now(),
      seq: this.seq++,
      events: [],
    };
    const { executionArn } = record;
    this.executions.set(executionArn, record);
    const onChange = () => this.file?.markDirty(record);
    const execution = runExecution(record, stateMachine, { region: this.region, onChange });
    this.running.set(executionArn, execution);
    void execution.done.then(() => {
      this.running.delete(executionArn);
      this.announce(record);
    });
    onChange();
    return record;
  }

  /**
   * Handlers for the Task states the service itself runs: the startExecution integration (a nested
   * workflow) and each Distributed Map (its stand-in Task, see distributed-map.ts).
   */
  private integrationHandlers(
    states: ReadonlyMap<string, AslState>,
    machine: { arn: string; name: string; roleArn: string; overrides: PreparedStateMachine['overrides'] },
  ): { handlers: Record<string, TaskHandler>; maps: ReadonlySet<string> } {
    const handlers: Record<string, TaskHandler> = {};
    for (const [stateName, state] of states) {
      const pattern = state.Type === 'Task' ? nestedExecutionPattern(state.Resource) : undefined;
      if (!pattern) continue;
      handlers[stateName] = nestedExecutionHandler(stateName, pattern, {
        start: (request) => {
          const started = this.startExecution(request);
          return { executionArn: started.executionArn, startDate: started.startDate * 1000 };
        },
        waitFor: (executionArn) => this.closed(executionArn),
      });
    }
    const maps = distributedMapsOf(states, machine.name);
    if (maps.size > 0 && !this.s3Client) {
      throw new Error(
        `State machine ${machine.name}: Distributed Map state(s) ${[...maps.keys()].join(', ')} read and write S3, and no local S3 client was given`,
      );
    }
    for (const [stateName, state] of maps) {
      const label = state.Label ?? stateName;
      const processor: PreparedStateMachine = {
        arn: `${machine.arn}/${label}`,
        name: `${machine.name}/${label}`,
        type: state.ItemProcessor.ProcessorConfig.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
        roleArn: machine.roleArn,
        states: indexStates(state.ItemProcessor),
        // Every handler of the machine, by state name: the processor's own Tasks are among them.
        taskHandlers: handlers,
        machine: new StateMachine(forLocalRun(processorDefinition(state)) as StateMachineDefinition),
        overrides: machine.overrides,
      };
      handlers[stateName] = (input, execution) => this.runMap(stateName, state, processor, input, execution);
    }
    return { handlers, maps: new Set(maps.keys()) };
  }

  private runMap(
    stateName: string,
    state: DistributedMapState,
    processor: PreparedStateMachine,
    input: unknown,
    execution: Parameters<TaskHandler>[1],
  ): Promise<unknown> {
    const [partition, , region, account] = execution.executionArn.split(':').slice(1);
    const label = processor.name.split('/').pop()!;
    const machineName = processor.name.slice(0, -(label.length + 1));
    const mapRunArn = `arn:${partition}:states:${region}:${account}:mapRun:${machineName}/${label}:${randomUUID()}`;
    return runMapRun(
      {
        stateName,
        state,
        input,
        executionArn: execution.executionArn,
        context: execution.context,
        mapRunArn,
        childStateMachineArn: processor.arn,
        signal: execution.signal,
      },
      {
        s3: () => this.s3Client!(),
        register: (mapRun) => this.mapRuns.set(mapRun.mapRunArn, mapRun),
        startChild: (mapRun, childInput) => this.startChild(processor, mapRun, childInput),
      },
    );
  }

  /** One item of a map run: a child execution named by a UUID, as AWS names them. */
  private startChild(processor: PreparedStateMachine, mapRun: MapRunRecord, input: unknown): StartedChild {
    const name = randomUUID();
    const executionArn = `${processor.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const record = this.run(processor, {
      executionArn,
      stateMachineArn: processor.arn,
      name,
      input: JSON.stringify(input ?? null),
      mapRunArn: mapRun.mapRunArn,
    });
    const result = this.closed(executionArn).then(
      (closed): ChildResult => ({
        executionArn,
        name,
        stateMachineArn: processor.arn,
        status: closed.status as ChildResult['status'],
        input: closed.input,
        output: closed.output,
        error: closed.error,
        cause: closed.cause,
        startDate: closed.startDate,
        stopDate: closed.stopDate ?? Date.now(),
      }),
    );
    return {
      executionArn: record.executionArn,
      result,
      stop: (cause) => this.running.get(executionArn)?.stop('States.Aborted', cause),
    };
  }

  /** Resolves once the execution has closed, with its record (dates in epoch ms). */
  private async closed(executionArn: string): Promise<NestedExecution> {
    await this.running.get(executionArn)?.done;
    const record = this.executions.get(executionArn);
    if (!record) throw apiErrors.executionDoesNotExist(executionArn);
    return record;
  }

  private describeMapRun(request: Request) {
    const mapRunArn = requireString(request, 'mapRunArn');
    if (!MAP_RUN_ARN.test(mapRunArn)) throw apiErrors.invalidArn(mapRunArn);
    const run = this.mapRuns.get(mapRunArn);
    if (!run) throw apiErrors.resourceNotFound(`Map Run Does Not Exist: '${mapRunArn}'`);
    const { resultsWritten, ...counts } = run.counts;
    const zeros = { failuresNotRedrivable: 0, pendingRedrive: 0 };
    return {
      mapRunArn: run.mapRunArn,
      executionArn: run.executionArn,
      status: run.status,
      startDate: seconds(run.startDate),
      stopDate: run.stopDate === undefined ? undefined : seconds(run.stopDate),
      maxConcurrency: run.maxConcurrency,
      toleratedFailurePercentage: run.toleratedFailurePercentage,
      toleratedFailureCount: run.toleratedFailureCount,
      itemCounts: { ...counts, resultsWritten, ...zeros },
      executionCounts: { ...counts, resultsWritten, ...zeros },
      redriveCount: 0,
    };
  }

  private listMapRuns(request: Request) {
    const record = this.standardExecution(request);
    const runs = [...this.mapRuns.values()]
      .filter((run) => run.executionArn === record.executionArn)
      .sort((a, b) => b.startDate - a.startDate);
    return {
      mapRuns: runs.map((run) => ({
        executionArn: run.executionArn,
        mapRunArn: run.mapRunArn,
        stateMachineArn: run.stateMachineArn,
        startDate: seconds(run.startDate),
        stopDate: run.stopDate === undefined ? undefined : seconds(run.stopDate),
      })),
    };
  }

  private describeExecution(request: Request) {
    const record = this.standardExecution(request);
    const includeData = request.includedData !== 'METADATA_ONLY';
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      stateMachineAliasArn: record.stateMachineAliasArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      stopDate: record.stopDate === undefined ? undefined : seconds(record.stopDate),
      input: includeData ? record.input : undefined,
      inputDetails: { included: includeData },
      output: includeData ? record.output : undefined,
      outputDetails: record.output === undefined ? undefined : { included: includeData },
      error: record.error,
      cause: record.cause,
      mapRunArn: record.mapRunArn,
      stateMachineVersionArn: record.stateMachineVersionArn,
    };
  }

  private getExecutionHistory(request: Request) {
    const record = this.standardExecution(request);
    const reverse = request.reverseOrder === true;
    const includeData = request.includeExecutionData !== false;
    const pageSize = pageSizeOf(request);
    const { events } = record;
    const token = optionalString(request, 'nextToken');
    // The token names the next event id to return, so pages stay right while a running execution grows.
    const from = token ? decodeToken(token, record.executionArn) : reverse ? events.length : 1;

    let page: HistoryEventRecord[];
    let next: number | undefined;
    if (reverse) {
      const end = Math.min(from, events.length);
      const start = Math.max(0, end - pageSize);
      page = events.slice(start, end).reverse();
      next = start > 0 ? start : undefined;
    } else {
      const start = from - 1;
      page = events.slice(start, start + pageSize);
      next = start + pageSize < events.length ? start + pageSize + 1 : undefined;
    }
    return {
      events: page.map((event) => wireEvent(event, includeData)),
      nextToken: next === undefined ? undefined : encodeToken(record.executionArn, next),
    };
  }

  private listExecutionsOperation(request: Request) {
    // A map run's child executions, or a state machine's (or alias's) executions.
    const mapRunArn = optionalString(request, 'mapRunArn');
    let stateMachineArn: string;
    if (mapRunArn !== undefined) {
      if (request.stateMachineArn !== undefined) {
        throw apiErrors.validation('Specify either stateMachineArn or mapRunArn, not both');
      }
      if (!MAP_RUN_ARN.test(mapRunArn)) throw apiErrors.invalidArn(mapRunArn);
      if (!this.mapRuns.has(mapRunArn))
        throw apiErrors.resourceNotFound(`Map Run Does Not Exist: '${mapRunArn}'`);
      stateMachineArn = mapRunArn;
    } else {
      stateMachineArn = requireString(request, 'stateMachineArn');
      if (!STATE_MACHINE_ARN.test(stateMachineArn)) throw apiErrors.invalidArn(stateMachineArn);
      const stateMachine = this.stateMachines.get(stateMachineArn) ?? this.aliases.get(stateMachineArn);
      if (!stateMachine) throw apiErrors.stateMachineDoesNotExist(stateMachineArn);
      if (stateMachine.type === 'EXPRESS') throw apiErrors.stateMachineTypeNotSupported();
    }
    const statusFilter = optionalString(request, 'statusFilter');
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter as ExecutionStatus)) {
      throw apiErrors.validation(
        `1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
      );
    }
    const pageSize = pageSizeOf(request);
    const matching = this.sortedExecutions().filter(
      (r) => startedBy(r, stateMachineArn) && (!statusFilter || r.status === statusFilter),
    );
    const token = optionalString(request, 'nextToken');
    // The token names the next execution by start order, so executions started meanwhile do not shift pages.
    const from = token ? decodeToken(token, stateMachineArn) : Number.POSITIVE_INFINITY;
    const rest = matching.filter((r) => r.seq <= from);
    const page = rest.slice(0, pageSize);
    return {
      executions: page.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        stateMachineAliasArn: r.stateMachineAliasArn,
        name: r.name,
        status: r.status,
        startDate: seconds(r.startDate),
        stopDate: r.stopDate === undefined ? undefined : seconds(r.stopDate),
      })),
      nextToken: rest.length > pageSize ? encodeToken(stateMachineArn, rest[pageSize].seq) : undefined,
    };
  }

  private stopExecution(request: Request) {
    const record = this.standardExecution(request);
    const execution = this.running.get(record.executionArn);
    if (execution) {
      execution.stop(optionalString(request, 'error'), optionalString(request, 'cause'));
      record.status = 'ABORTED';
      record.stopDate = Date.now();
    }
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  }

  /** The execution an executionArn names; DescribeExecution and the others do not take EXPRESS ones. */
  private standardExecution(request: Request): ExecutionRecord {
    const executionArn = requireString(request, 'executionArn');
    if (!EXECUTION_ARN.test(executionArn)) throw apiErrors.invalidArn(executionArn);
    if (executionArn.split(':')[5] === 'express') throw apiErrors.invalidArnContext('express');
    const record = this.executions.get(executionArn);
    if (!record) throw apiErrors.executionDoesNotExist(executionArn);
    return record;
  }

  private sortedExecutions(): ExecutionRecord[] {
    return [...this.executions.values()].sort((a, b) => b.seq - a.seq);
  }
}

type IntegrationHandlers = (
  states: ReadonlyMap<string, AslState>,
  machine: { arn: string; name: string; roleArn: string; overrides: PreparedStateMachine['overrides'] },
) => { handlers: Record<string, TaskHandler>; maps: ReadonlySet<string> };

function prepareStateMachine(
  config: LocalStateMachine,
  region: string,
  accountId: string,
  integrations: IntegrationHandlers,
): PreparedStateMachine {
  const { arn, name, type, definition } = config;
  const expectedArn = new RegExp(
    `^arn:aws[\\w-]*:states:${region}:${accountId}:stateMachine:${escapeRegExp(name)}$`,
  );
  if (!expectedArn.test(arn)) {
    throw new Error(
      `State machine ${name}: ARN '${arn}' is not arn:aws:states:${region}:${accountId}:stateMachine:${name}`,
    );
  }
  const states = indexStates(definition);
  const partition = arn.split(':')[1];
  const roleArn = config.roleArn ?? `arn:${partition}:iam::${accountId}:role/${name}`;
  const overrides = {
    retryIntervalOverrides: config.retryIntervalOverrides,
    waitTimeOverrides: config.waitTimeOverrides,
  };
  let integration: ReturnType<IntegrationHandlers>;
  try {
    integration = integrations(states, { arn, name, roleArn, overrides });
  } catch (error) {
    throw new Error(
      `${(error as Error).message.startsWith('State machine') ? '' : `State machine ${name}: `}${(error as Error).message}`,
    );
  }
  // The integrations' handlers and the given ones in one object: a map run's processor looks its Tasks up in it.
  const taskHandlers = Object.assign(integration.handlers, config.taskHandlers);
  const taskStates = [...states].filter(([, state]) => state.Type === 'Task').map(([stateName]) => stateName);
  const unbound = taskStates.filter((stateName) => !taskHandlers[stateName]);
  if (unbound.length > 0) {
    // Unbound, aws-local-stepfunctions would call the real Lambda in AWS.
    throw new Error(`State machine ${name}: no local handler for Task state(s) ${unbound.join(', ')}`);
  }
  const unknown = Object.keys(taskHandlers).filter(
    (stateName) => !taskStates.includes(stateName) && !integration.maps.has(stateName),
  );
  if (unknown.length > 0) {
    throw new Error(
      `State machine ${name}: handlers given for ${unknown.join(', ')}, which are not Task states`,
    );
  }
  let machine: StateMachine;
  try {
    machine = new StateMachine(forLocalRun(replaceDistributedMaps(definition)) as StateMachineDefinition);
  } catch (error) {
    throw new Error(`State machine ${name}: ${(error as Error).message}`);
  }
  return { arn, name, type, roleArn, states, machine, taskHandlers, overrides };
}

/** A Distributed Map's ItemProcessor as a state machine definition of its own. */
function processorDefinition(state: DistributedMapState): AslStates {
  const { ProcessorConfig, ...definition } = state.ItemProcessor;
  return definition;
}

/**
 * ListExecutions with a state machine ARN lists all its executions; with an alias ARN, the alias's;
 * with a map run's ARN, its child executions.
 */
function startedBy(record: ExecutionRecord, arn: string): boolean {
  return record.stateMachineArn === arn || record.stateMachineAliasArn === arn || record.mapRunArn === arn;
}

function describeRecord(r: ExecutionRecord): ExecutionDescription {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    stateMachineAliasArn: r.stateMachineAliasArn,
    name: r.name,
    status: r.status,
    startDate: new Date(r.startDate),
    stopDate: r.stopDate === undefined ? undefined : new Date(r.stopDate),
    input: r.input,
    output: r.output,
    error: r.error,
    cause: r.cause,
  };
}

/**
 * An execution that was RUNNING when the local cloud stopped cannot resume: it ends ABORTED, and its
 * status-change event is sent once someone listens.
 */
function abortInterrupted(record: ExecutionRecord): void {
  const now = Date.now();
  const cause = 'The local cloud stopped while this execution was running';
  const id = record.events.length + 1;
  record.events.push({
    id,
    previousEventId: id - 1,
    timestamp: now,
    type: 'ExecutionAborted',
    executionAbortedEventDetails: { cause },
  });
  Object.assign(record, { status: 'ABORTED', stopDate: now, cause, statusEventPending: true });
}

function wireEvent(event: HistoryEventRecord, includeData: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...event, timestamp: seconds(event.timestamp) };
  if (!includeData) {
    for (const [key, value] of Object.entries(wire)) {
      if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
      const { input, output, parameters, ...rest } = value as Record<string, unknown>;
      wire[key] = rest;
    }
  }
  return wire;
}

/** Epoch seconds with milliseconds, as the JSON protocol sends timestamps. */
function seconds(epochMs: number): number {
  return epochMs / 1000;
}

/** AWS: 1-80 characters; no whitespace, brackets, wildcards, special or control characters. */
function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || /\s/.test(name)) return false;
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || '<>{}[]?*"#%\\^|~`$&,;:/'.includes(char))
      return false;
  }
  return true;
}

function requireString(request: Request, member: string): string {
  const value = request[member];
  if (typeof value === 'string') return value;
  throw apiErrors.validation(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
}

function optionalString(request: Request, member: string): string | undefined {
  const value = request[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw apiErrors.validation(`Value at '${member}' must be a string`);
}

function pageSizeOf(request: Request): number {
  const maxResults = request.maxResults;
  if (maxResults === undefined || maxResults === null || maxResults === 0) return DEFAULT_PAGE_SIZE;
  if (
    typeof maxResults !== 'number' ||
    !Number.isInteger(maxResults) ||
    maxResults < 0 ||
    maxResults > MAX_PAGE_SIZE
  ) {
    throw apiErrors.validation(
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE_SIZE}`,
    );
  }
  return maxResults;
}

function encodeToken(scope: string, position: number): string {
  return Buffer.from(JSON.stringify({ scope, position })).toString('base64url');
}

function decodeToken(token: string, scope: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      scope?: unknown;
      position?: unknown;
    };
    if (decoded.scope === scope && typeof decoded.position === 'number' && decoded.position >= 0)
      return decoded.position;
  } catch {
    // An unreadable token is reported below like a token for another resource.
  }
  throw apiErrors.invalidToken(token);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
