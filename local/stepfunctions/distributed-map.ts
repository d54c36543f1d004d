/**
 * Distributed Map (a Map state with `ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED`), which
 * aws-local-stepfunctions 3.0.0 runs as an inline Map: it ignores ItemReader, ResultWriter and the
 * tolerated failures. Here such a state is run as AWS runs it:
 *
 * - the items come from the ItemReader (ListObjectsV2 over the local S3, page by page as the
 *   listObjectsV2 reader pages, each item `{ Etag, Key, LastModified, Size, StorageClass }`);
 * - each item is a child execution of the ItemProcessor (a map run of its own ARN, its children
 *   visible through DescribeExecution and ListExecutions with the map run's ARN), at most
 *   MaxConcurrency at once;
 * - ToleratedFailurePercentage / ToleratedFailureCount: past them no new child starts, running ones
 *   are stopped and the state fails with States.ExceedToleratedFailureThreshold;
 * - ResultWriter: `<Prefix>/<map run id>/manifest.json`, `SUCCEEDED_0.json`, `FAILED_0.json`, and the
 *   state's result `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`; without one, the array of
 *   the children's outputs.
 *
 * The state is handed to the library as a Task of its own (replaceDistributedMaps), whose handler
 * runs the map run; InputPath, ResultSelector, ResultPath, OutputPath, Retry and Catch apply to it as
 * they do to the Map. What the local cloud cannot honour (an inventory manifest or another reader,
 * ItemBatcher, a WriterConfig, paths for the limits) fails the start with a sentence naming it.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type AslState, type AslStates, mapStates } from './definition';

/** The Resource of the Task that stands for a Distributed Map in what the library runs. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributedMap';
export const EXCEED_TOLERATED_FAILURE = 'States.ExceedToleratedFailureThreshold';
const LIST_OBJECTS_V2 = /^arn:[\w-]+:states:::s3:listObjectsV2$/;
const PUT_OBJECT = /^arn:[\w-]+:states:::s3:putObject$/;
/** ListObjectsV2's page size, as the listObjectsV2 reader asks for it. */
const LIST_PAGE_SIZE = 1000;

export interface DistributedMapState extends AslState {
  readonly Type: 'Map';
  readonly ItemProcessor: AslStates & {
    readonly ProcessorConfig: { readonly Mode: 'DISTRIBUTED'; readonly ExecutionType?: string };
  };
  readonly ItemReader?: {
    readonly Resource: string;
    readonly Parameters?: Record<string, unknown>;
    readonly ReaderConfig?: Record<string, unknown>;
  };
  readonly ItemSelector?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
  readonly ItemsPath?: string;
  readonly ItemBatcher?: unknown;
  readonly MaxConcurrency?: number;
  readonly MaxConcurrencyPath?: string;
  readonly ToleratedFailurePercentage?: number;
  readonly ToleratedFailurePercentagePath?: string;
  readonly ToleratedFailureCount?: number;
  readonly ToleratedFailureCountPath?: string;
  readonly ResultWriter?: {
    readonly Resource: string;
    readonly Parameters?: Record<string, unknown>;
    readonly WriterConfig?: unknown;
  };
  readonly Label?: string;
}

export function isDistributedMap(state: AslState): state is DistributedMapState {
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/**
 * Every Distributed Map state by name, checked: throws a sentence naming the first thing the local
 * cloud cannot run.
 */
export function distributedMapsOf(
  states: ReadonlyMap<string, AslState>,
  machine: string,
): Map<string, DistributedMapState> {
  const maps = new Map<string, DistributedMapState>();
  for (const [name, state] of states) {
    if (!isDistributedMap(state)) continue;
    const problem = unsupported(state);
    if (problem) {
      throw new Error(
        `State machine ${machine}: Distributed Map state '${name}' ${problem}; the local cloud cannot run it`,
      );
    }
    const nested = Object.entries(state.ItemProcessor.States).find(([, inner]) => isDistributedMap(inner));
    if (nested) {
      throw new Error(
        `State machine ${machine}: Distributed Map state '${nested[0]}' is nested in Distributed Map '${name}'; the local cloud runs one level only`,
      );
    }
    maps.set(name, state);
  }
  return maps;
}

function unsupported(state: DistributedMapState): string | undefined {
  const reader = state.ItemReader;
  if (reader && !LIST_OBJECTS_V2.test(reader.Resource)) {
    const kind = (reader.ReaderConfig?.InputType as string | undefined) ?? reader.Resource;
    return `reads its items with ${kind} (${reader.Resource}); locally only the S3 listObjectsV2 reader runs (an S3 Inventory manifest needs S3 Inventory, which the local S3 does not make)`;
  }
  if (reader?.ReaderConfig && Object.keys(reader.ReaderConfig).some((key) => key !== 'MaxItems')) {
    return `has ItemReader.ReaderConfig ${JSON.stringify(reader.ReaderConfig)}, of which only MaxItems runs locally`;
  }
  if (state.ItemBatcher !== undefined) return 'batches items (ItemBatcher)';
  if (state.ItemsPath !== undefined && !reader) return 'takes its items from the input (ItemsPath)';
  for (const field of [
    'MaxConcurrencyPath',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCountPath',
  ] as const) {
    if (state[field] !== undefined) return `sets ${field}`;
  }
  if (state.ResultWriter) {
    if (!PUT_OBJECT.test(state.ResultWriter.Resource))
      return `writes results with ${state.ResultWriter.Resource}`;
    if (state.ResultWriter.WriterConfig !== undefined)
      return 'transforms its results (ResultWriter.WriterConfig)';
  }
  for (const [where, template] of [
    ['ItemSelector', state.ItemSelector ?? state.Parameters],
    ['ItemReader.Parameters', reader?.Parameters],
    ['ResultWriter.Parameters', state.ResultWriter?.Parameters],
  ] as const) {
    const bad = unsupportedPaths(template);
    if (bad)
      return `uses ${bad} in ${where} (locally: paths of plain field names only, no intrinsic functions)`;
  }
  return undefined;
}

/**
 * The definition the library runs: each Distributed Map replaced by a Task of DISTRIBUTED_MAP_RESOURCE
 * with the Map's input, output and error handling fields.
 */
export function replaceDistributedMaps(definition: object): object {
  return mapStates(definition, (state) => {
    if (!isDistributedMap(state)) return state;
    const { InputPath, OutputPath, ResultPath, ResultSelector, Next, End, Retry, Catch, Comment } =
      state as DistributedMapState & Record<string, unknown>;
    return Object.fromEntries(
      Object.entries({
        Type: 'Task',
        Resource: DISTRIBUTED_MAP_RESOURCE,
        Comment,
        InputPath,
        OutputPath,
        ResultPath,
        ResultSelector,
        Next,
        End,
        Retry,
        Catch,
      }).filter(([, value]) => value !== undefined),
    ) as unknown as AslState;
  });
}

/** One child's outcome, as the map run counts it and ResultWriter writes it. */
export interface ChildResult {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly startDate: number;
  readonly stopDate: number;
}

/** A running child: its ARN now, its result when it closes. */
export interface StartedChild {
  readonly executionArn: string;
  readonly result: Promise<ChildResult>;
  stop(cause: string): void;
}

export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** What DescribeMapRun reports. */
export interface MapRunRecord {
  readonly mapRunArn: string;
  readonly executionArn: string;
  /** `arn:…:stateMachine:<machine>/<label>`: what the children report as their state machine. */
  readonly stateMachineArn: string;
  status: MapRunStatus;
  readonly startDate: number;
  stopDate?: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly toleratedFailureCount: number;
  counts: {
    pending: number;
    running: number;
    succeeded: number;
    failed: number;
    timedOut: number;
    aborted: number;
    total: number;
    resultsWritten: number;
  };
}

export interface MapRunHost {
  /** The local S3 (read once the map run starts: S3 may start after Step Functions). */
  s3(): S3Client;
  /** Starts the child execution of one item. */
  startChild(mapRun: MapRunRecord, input: unknown): StartedChild;
  /** The map run exists (ListMapRuns, DescribeMapRun see it from now on). */
  register(mapRun: MapRunRecord): void;
}

export interface MapRunContext {
  readonly stateName: string;
  readonly state: DistributedMapState;
  /** The state's effective input (after InputPath). */
  readonly input: unknown;
  readonly executionArn: string;
  /** The context object of the parent execution (`$$`), for paths in ItemSelector. */
  readonly context: Record<string, unknown>;
  readonly mapRunArn: string;
  readonly childStateMachineArn: string;
  /** Set when the parent execution is stopped: running children are stopped and no new one starts. */
  readonly signal: AbortSignal;
}

/** Runs one map run to its end; resolves with the state's result or throws the state's error. */
export async function runMapRun(run: MapRunContext, host: MapRunHost): Promise<unknown> {
  const { state } = run;
  const items = await readItems(run, host);
  const record: MapRunRecord = {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    stateMachineArn: run.childStateMachineArn,
    status: 'RUNNING',
    startDate: Date.now(),
    // 0 (or none) is no limit on AWS: up to 10,000 children at once.
    maxConcurrency: state.MaxConcurrency ?? 0,
    toleratedFailurePercentage: state.ToleratedFailurePercentage ?? 0,
    toleratedFailureCount: state.ToleratedFailureCount ?? 0,
    counts: {
      pending: items.length,
      running: 0,
      succeeded: 0,
      failed: 0,
      timedOut: 0,
      aborted: 0,
      total: items.length,
      resultsWritten: 0,
    },
  };
  host.register(record);
  const limit = record.maxConcurrency > 0 ? record.maxConcurrency : 10_000;
  const results: (ChildResult | undefined)[] = new Array(items.length);
  const running = new Set<StartedChild>();
  let next = 0;
  let exceeded = false;

  const failedCount = () => record.counts.failed + record.counts.timedOut + record.counts.aborted;
  const overThreshold = () => {
    const failed = failedCount();
    if (failed === 0) return false;
    const overCount =
      state.ToleratedFailureCount !== undefined ? failed > state.ToleratedFailureCount : false;
    const overPercentage =
      state.ToleratedFailurePercentage !== undefined || state.ToleratedFailureCount === undefined
        ? (failed * 100) / items.length > record.toleratedFailurePercentage
        : false;
    return overCount || overPercentage;
  };
  const stopAll = (cause: string) => {
    for (const child of running) child.stop(cause);
  };
  const onAbort = () => stopAll('The parent execution was stopped');
  run.signal.addEventListener('abort', onAbort, { once: true });

  await new Promise<void>((resolve) => {
    const launch = () => {
      while (!exceeded && !run.signal.aborted && running.size < limit && next < items.length) {
        const index = next++;
        const input = selectItem(run, items[index], index);
        const child = host.startChild(record, input);
        running.add(child);
        record.counts.pending--;
        record.counts.running++;
        void child.result.then((result) => {
          running.delete(child);
          results[index] = result;
          record.counts.running--;
          if (result.status === 'SUCCEEDED') record.counts.succeeded++;
          else if (result.status === 'FAILED') record.counts.failed++;
          else if (result.status === 'TIMED_OUT') record.counts.timedOut++;
          else record.counts.aborted++;
          if (!exceeded && result.status !== 'SUCCEEDED' && overThreshold()) {
            exceeded = true;
            stopAll('The map run exceeded its tolerated failure threshold');
          }
          launch();
        });
      }
      if (running.size === 0 && (next >= items.length || exceeded || run.signal.aborted)) resolve();
    };
    launch();
  });
  run.signal.removeEventListener('abort', onAbort);

  const closed = results.filter((result): result is ChildResult => result !== undefined);
  let output: unknown = closed.map((result) =>
    result.output === undefined ? null : JSON.parse(result.output),
  );
  if (state.ResultWriter) output = await writeResults(run, record, closed, host);
  record.status = run.signal.aborted ? 'ABORTED' : exceeded ? 'FAILED' : 'SUCCEEDED';
  record.stopDate = Date.now();
  if (exceeded) {
    const error = new Error('The specified tolerated failure threshold was exceeded');
    error.name = EXCEED_TOLERATED_FAILURE;
    throw error;
  }
  return output;
}

interface ListedObject {
  readonly Etag: string;
  readonly Key: string;
  readonly LastModified: string;
  readonly Size: number;
  readonly StorageClass: string;
}

/** The ItemReader's items: every object under the prefix, page by page. */
async function readItems(run: MapRunContext, host: MapRunHost): Promise<unknown[]> {
  const reader = run.state.ItemReader;
  if (!reader) {
    throw runtimeError(
      `Distributed Map state '${run.stateName}' has no ItemReader; locally its items must come from S3`,
    );
  }
  const parameters = resolveTemplate(reader.Parameters ?? {}, { $: run.input, $$: run.context }) as {
    Bucket?: unknown;
    Prefix?: unknown;
  };
  if (typeof parameters.Bucket !== 'string') {
    throw runtimeError(`The ItemReader of '${run.stateName}' gives no Bucket string`);
  }
  const maxItems = run.state.ItemReader?.ReaderConfig?.MaxItems as number | undefined;
  const items: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await host.s3().send(
      new ListObjectsV2Command({
        Bucket: parameters.Bucket,
        Prefix: typeof parameters.Prefix === 'string' ? parameters.Prefix : undefined,
        ContinuationToken: token,
        MaxKeys: LIST_PAGE_SIZE,
      }),
    );
    for (const object of page.Contents ?? []) {
      items.push({
        Etag: object.ETag ?? '',
        Key: object.Key ?? '',
        LastModified: (object.LastModified ?? new Date(0)).toISOString(),
        Size: object.Size ?? 0,
        StorageClass: object.StorageClass ?? 'STANDARD',
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && (maxItems === undefined || items.length < maxItems));
  return maxItems === undefined ? items : items.slice(0, maxItems);
}

/** The child's input: ItemSelector (or the legacy Parameters) over the item, else the item itself. */
function selectItem(run: MapRunContext, item: unknown, index: number): unknown {
  const selector = run.state.ItemSelector ?? run.state.Parameters;
  if (!selector) return item;
  return resolveTemplate(selector, {
    $: run.input,
    $$: { ...run.context, Map: { Item: { Index: index, Value: item } } },
  });
}

/** manifest.json and one file per status that has results, as AWS writes them; returns the state's result. */
async function writeResults(
  run: MapRunContext,
  record: MapRunRecord,
  results: readonly ChildResult[],
  host: MapRunHost,
): Promise<unknown> {
  const parameters = resolveTemplate(run.state.ResultWriter?.Parameters ?? {}, {
    $: run.input,
    $$: run.context,
  }) as {
    Bucket?: unknown;
    Prefix?: unknown;
  };
  if (typeof parameters.Bucket !== 'string') {
    throw runtimeError(`The ResultWriter of '${run.stateName}' gives no Bucket string`);
  }
  const bucket = parameters.Bucket;
  const mapRunId = run.mapRunArn.split(':').pop()!;
  const folder =
    typeof parameters.Prefix === 'string' && parameters.Prefix
      ? `${parameters.Prefix.replace(/\/+$/, '')}/${mapRunId}`
      : mapRunId;
  const put = async (key: string, body: string) => {
    await host
      .s3()
      .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
    return { Key: key, Size: Buffer.byteLength(body) };
  };
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  const succeeded = results.filter((r) => r.status === 'SUCCEEDED');
  const failed = results.filter((r) => r.status !== 'SUCCEEDED');
  if (succeeded.length > 0)
    files.SUCCEEDED.push(await put(`${folder}/SUCCEEDED_0.json`, JSON.stringify(succeeded.map(resultEntry))));
  if (failed.length > 0)
    files.FAILED.push(await put(`${folder}/FAILED_0.json`, JSON.stringify(failed.map(resultEntry))));
  record.counts.resultsWritten = results.length;
  const manifest = await put(
    `${folder}/manifest.json`,
    JSON.stringify({ DestinationBucket: bucket, MapRunArn: run.mapRunArn, ResultFiles: files }),
  );
  return { MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifest.Key } };
}

/** One child in a results file: DescribeExecution's fields, Input and Output as JSON text. */
function resultEntry(result: ChildResult): Record<string, unknown> {
  return {
    ExecutionArn: result.executionArn,
    Input: result.input,
    InputDetails: { Included: true },
    Name: result.name,
    ...(result.status === 'SUCCEEDED'
      ? { Output: result.output ?? 'null', OutputDetails: { Included: true } }
      : { Error: result.error, Cause: result.cause }),
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: new Date(result.startDate).toISOString(),
    StateMachineArn: result.stateMachineArn,
    Status: result.status,
    StopDate: new Date(result.stopDate).toISOString(),
  };
}

const SIMPLE_PATH = /^\$\$?(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** The first `.$` value that is not a plain path (`$`, `$.a.b`, `$$.Map.Item.Value.Key`), if any. */
function unsupportedPaths(template: unknown): string | undefined {
  if (typeof template !== 'object' || template === null) return undefined;
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$') && (typeof value !== 'string' || !SIMPLE_PATH.test(value)))
      return `"${key}": ${JSON.stringify(value)}`;
    const inner = unsupportedPaths(value);
    if (inner) return inner;
  }
  return undefined;
}

/** A Parameters-style template: fields ending in `.$` take the value at their path. */
export function resolveTemplate(template: unknown, roots: { $: unknown; $$: unknown }): unknown {
  if (Array.isArray(template)) return template.map((value) => resolveTemplate(value, roots));
  if (typeof template !== 'object' || template === null) return template;
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) resolved[key.slice(0, -2)] = valueAt(value as string, roots);
    else resolved[key] = resolveTemplate(value, roots);
  }
  return resolved;
}

function valueAt(path: string, roots: { $: unknown; $$: unknown }): unknown {
  const [root, ...fields] = path.split('.');
  let value: unknown = root === '$$' ? roots.$$ : roots.$;
  for (const field of fields) {
    if (typeof value !== 'object' || value === null || !(field in value)) {
      const error = new Error(`The JSONPath '${path}' could not be found in the input`);
      error.name = 'States.Runtime';
      throw error;
    }
    value = (value as Record<string, unknown>)[field];
  }
  return value;
}

function runtimeError(message: string): Error {
  const error = new Error(message);
  error.name = 'States.Runtime';
  return error;
}
