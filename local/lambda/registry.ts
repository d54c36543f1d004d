/**
 * The template's functions as their callers reach them: by ARN (a function's own, or one of its
 * aliases' or versions'), with one answer for an ARN that is none of them, and invoked the two ways
 * Lambda offers. A synchronous invoke (API routes, Task states) returns the function's result; an
 * asynchronous one (S3 notifications, EventBridge targets) is queued durably, retried as the invoked
 * qualifier's EventInvokeConfig says, and kept as a dead letter when its retries are spent.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCAL_ENTRY_METADATA } from '../../lib/pipeline-function';
import { type CfnTemplate, type LocalNames, resourcesOfType } from '../template';
import { AsyncInvocationQueue, type QueueEntry } from './async-queue';
import { LambdaQualifiers } from './qualifiers';
import { FunctionError, type InvokeResult, LocalFunction, type LocalFunctionSpec } from './runtime';

/** The repository the template's entry paths (LOCAL_ENTRY_METADATA) are relative to. */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface FunctionRegistrySettings {
  /** Logs go to `<stateDir>/logs`, the async queue and the dead letters beside them. */
  readonly stateDir: string;
  /** What every function's environment adds to the process's basics: endpoints, credentials, region. */
  readonly clientEnvironment: Record<string, string>;
  /** Execution environments per function. */
  readonly concurrency: number;
  /** Delay before Lambda's first async retry. */
  readonly asyncRetryDelayMs: number;
  readonly log: (line: string) => void;
}

export class FunctionRegistry {
  /** The template's functions by logical id (CDK's deploy-time helpers left out). */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  private readonly byArn: ReadonlyMap<string, LocalFunction>;
  private readonly queue: AsyncInvocationQueue;
  private readonly deadLetterDir: string;
  /** Async deliveries not yet settled: what drain() waits for. */
  private readonly deliveries = new Set<Promise<void>>();

  /** `qualifiers`: read from the template beforehand, so a wrong alias stops the start before any server does. */
  constructor(
    private readonly template: CfnTemplate,
    private readonly names: LocalNames,
    private readonly qualifiers: LambdaQualifiers,
    private readonly settings: FunctionRegistrySettings,
  ) {
    const logDir = join(settings.stateDir, 'logs');
    this.functions = new Map(
      functionSpecsFrom(template, names, settings).map((spec) => [
        spec.logicalId,
        new LocalFunction(spec, logDir),
      ]),
    );
    this.byArn = new Map([...this.functions.values()].map((fn) => [fn.spec.arn, fn]));
    this.queue = new AsyncInvocationQueue(join(settings.stateDir, 'lambda-async-queue'));
    this.deadLetterDir = join(settings.stateDir, 'dead-letters');
  }

  /** How many aliases and versions the template defines, each running its function. */
  get qualifierCount(): number {
    return this.qualifiers.size;
  }

  /** The function an ARN invokes (its own, an alias's or a version's), or undefined. */
  find(arn: string): LocalFunction | undefined {
    const functionArn = this.qualifiers.functionArnOf(arn, (candidate) => this.byArn.has(candidate));
    return functionArn === undefined ? undefined : this.byArn.get(functionArn);
  }

  /** The function an ARN invokes; `caller` (e.g. "An API route targets") starts the error otherwise. */
  get(arn: string, caller: string): LocalFunction {
    const fn = this.find(arn);
    if (!fn) throw new Error(`${caller} ${arn}, which is not a function, alias or version of this template`);
    return fn;
  }

  /** Lambda's synchronous Invoke: the function's result or its error, as Lambda reports them. */
  invoke(arn: string, event: unknown, caller: string): Promise<InvokeResult> {
    return this.get(arn, caller).invoke(event);
  }

  /**
   * Lambda's Invoke as Step Functions' Lambda integration sees it: the result, or the function's
   * error thrown; an ARN of no function is Lambda's own ResourceNotFoundException.
   */
  invokeOrThrow(arn: string, event: unknown): Promise<unknown> {
    const fn = this.find(arn);
    if (!fn) throw new FunctionError('Lambda.ResourceNotFoundException', `Function not found: ${arn}`);
    return fn.invokeOrThrow(event);
  }

  /**
   * Lambda's asynchronous Invoke: the event is queued durably, then tried with its retries, then kept
   * as a dead letter. Resolves once it is settled; an event the shutdown interrupts stays queued for
   * the next start. `source` (e.g. "S3 notification") names the sender in messages. An unknown ARN
   * rejects (never throws: S3 and EventBridge call this from event listeners).
   */
  async invokeAsync(arn: string, event: unknown, source: string): Promise<void> {
    const fn = this.get(arn, `${source} targets`);
    await this.deliver(fn, this.queue.add({ functionArn: arn, event, source }));
  }

  /**
   * Delivers again the events accepted before the last stop and not settled then, as Lambda's own
   * queue would have kept delivering them; those for a function the template no longer has are
   * dropped. Returns how many are delivered again.
   */
  replayPending(): number {
    let replayed = 0;
    for (const entry of this.queue.pending()) {
      const fn = this.find(entry.functionArn);
      if (!fn) {
        this.settings.log(
          `${entry.source} for ${entry.functionArn} dropped: not a function of this template any more`,
        );
        this.queue.settle(entry);
        continue;
      }
      this.deliver(fn, entry).catch((error: unknown) =>
        this.settings.log(
          `${entry.source} for ${entry.functionArn} not delivered again: ${(error as Error).message}`,
        ),
      );
      replayed += 1;
    }
    return replayed;
  }

  /** Async deliveries still running. */
  get pendingDeliveries(): number {
    return this.deliveries.size;
  }

  /** Resolves when the async deliveries running now are settled. */
  async drain(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.functions.values()].map((fn) => fn.close()));
  }

  private deliver(fn: LocalFunction, entry: QueueEntry): Promise<void> {
    const delivery = fn
      .invokeAsync(entry.event, {
        retries: this.asyncRetriesOf(fn.spec.logicalId, LambdaQualifiers.qualifierOf(entry.functionArn)),
        retryDelayMs: this.settings.asyncRetryDelayMs,
        onFailure: (failedEvent, error) => this.keepDeadLetter(fn, failedEvent, error),
      })
      .then((outcome) => {
        if (outcome === 'settled') this.queue.settle(entry);
      });
    const tracked = delivery.catch(() => {}).finally(() => this.deliveries.delete(tracked));
    this.deliveries.add(tracked);
    return delivery;
  }

  /** One `{ event, error }` line in `<dead-letters>/<logical id>.jsonl`: what local/dead-letters.ts reads. */
  private keepDeadLetter(fn: LocalFunction, event: unknown, error: Extract<InvokeResult, { ok: false }>) {
    mkdirSync(this.deadLetterDir, { recursive: true });
    appendFileSync(
      join(this.deadLetterDir, `${fn.spec.logicalId}.jsonl`),
      `${JSON.stringify({ event, error })}\n`,
    );
    this.settings.log(
      `${fn.spec.logicalId} failed after its retries (${error.errorType}: ${error.errorMessage}); event kept in ${this.deadLetterDir}`,
    );
  }

  /** The retries of the EventInvokeConfig for the invoked qualifier (each applies to one); Lambda's default is 2. */
  private asyncRetriesOf(functionLogicalId: string, qualifier: string): number {
    const config = resourcesOfType(this.template, 'AWS::Lambda::EventInvokeConfig').find(
      ([, r]) =>
        (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === functionLogicalId &&
        this.names.resolve<string>(r.Properties?.Qualifier ?? '$LATEST') === qualifier,
    );
    return (config?.[1].Properties?.MaximumRetryAttempts as number | undefined) ?? 2;
  }
}

/**
 * Each function the template builds from this repository's source (CDK's deploy-time helpers, such as
 * the bucket-notification handler, have no entry: their effect is applied by the local services),
 * with the environment Lambda would give it, references resolved to the local resources.
 */
function functionSpecsFrom(
  template: CfnTemplate,
  names: LocalNames,
  settings: FunctionRegistrySettings,
): LocalFunctionSpec[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([logicalId, resource]) => {
    const entry = resource.Metadata?.[LOCAL_ENTRY_METADATA] as string | undefined;
    if (!entry) return [];
    const props = resource.Properties as {
      Handler: string;
      MemorySize?: number;
      Timeout?: number;
      Environment?: { Variables?: Record<string, unknown> };
    };
    const name = names.functionName(logicalId);
    const memoryMb = props.MemorySize ?? 128;
    return [
      {
        logicalId,
        name,
        arn: names.functionArn(logicalId),
        entry: join(REPO_ROOT, entry),
        handlerExport: props.Handler.split('.').pop()!,
        timeoutSeconds: props.Timeout ?? 3,
        memoryMb,
        concurrency: settings.concurrency,
        environment: {
          ...baseProcessEnvironment(),
          ...settings.clientEnvironment,
          AWS_LAMBDA_FUNCTION_NAME: name,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
          TZ: 'UTC',
          ...names.resolve<Record<string, string>>(props.Environment?.Variables ?? {}),
        },
      },
    ];
  });
}

/**
 * PATH and friends, so child processes and native modules behave; nothing AWS-related leaks in but
 * the SDK's switch for its Node-version notice (local/node-notice.ts), which would otherwise open
 * every function's log.
 */
function baseProcessEnvironment(): Record<string, string> {
  const keep = [
    'PATH',
    'HOME',
    'TMPDIR',
    'LANG',
    'NODE_PATH',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ];
  return Object.fromEntries(
    keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!]),
  );
}
