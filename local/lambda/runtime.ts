/**
 * Runs a function's handler source in worker threads of this process, each worker an execution
 * environment with the function's own environment variables, memory limit and timeout.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerData, WorkerRequest, WorkerResponse } from './worker';

export interface LocalFunctionSpec {
  logicalId: string;
  name: string;
  arn: string;
  /** Absolute path of the handler's TypeScript source. */
  entry: string;
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Execution environments that may run at once. */
  concurrency: number;
}

export type InvokeResult =
  | { ok: true; result: unknown }
  | { ok: false; errorType: string; errorMessage: string; trace: string[] };

export interface AsyncPolicy {
  /** MaximumRetryAttempts of the function's EventInvokeConfig (Lambda's default is 2). */
  retries: number;
  /** Delay before the first retry; the second waits twice as long. */
  retryDelayMs: number;
  /** The OnFailure destination. */
  onFailure: (event: unknown, error: Extract<InvokeResult, { ok: false }>) => void;
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
}

/** Error a handler throws inside Step Functions: its name is the Error that Retry and Catch match. */
export class FunctionError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

export class LocalFunction {
  private readonly environments: Environment[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly log: WriteStream;
  private nextId = 0;
  private closed = false;
  /** Fault injection (tests): how many of the next invocations crash their environment mid-run. */
  private crashRemaining = 0;
  public invocations = 0;

  constructor(
    public readonly spec: LocalFunctionSpec,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(join(logDir, `${spec.logicalId}.log`), { flags: 'a' });
  }

  /** Invokes the function and resolves with its result or its error, as Lambda's Invoke would report them. */
  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.closed)
      return {
        ok: false,
        errorType: 'Lambda.ServiceException',
        errorMessage: 'The local cloud is stopping',
        trace: [],
      };
    this.invocations += 1;
    const environment = await this.acquire();
    try {
      await environment.ready;
      return checkResponseSize(await this.run(environment, event));
    } catch (error) {
      // The environment died (crash, out of memory, timeout): drop it, as Lambda would.
      this.discard(environment);
      return {
        ok: false,
        errorType: (error as Error).name,
        errorMessage: (error as Error).message,
        trace: [],
      };
    } finally {
      environment.busy = false;
      this.waiting.shift()?.();
    }
  }

  /** Invokes and throws the handler's error by name, the way a Step Functions Task sees it. */
  async invokeOrThrow(event: unknown): Promise<unknown> {
    const outcome = await this.invoke(event);
    if (outcome.ok) return outcome.result;
    throw new FunctionError(outcome.errorType, outcome.errorMessage);
  }

  /**
   * Lambda's asynchronous invocation: the first attempt, then `retries` more after the delays (AWS
   * waits about one and two minutes; the local cloud, seconds). An event that still fails goes to the
   * failure destination. 'interrupted' when the function was closed before the event was settled.
   */
  async invokeAsync(event: unknown, policy: AsyncPolicy): Promise<'settled' | 'interrupted'> {
    let last: InvokeResult | undefined;
    for (let attempt = 0; attempt <= policy.retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, policy.retryDelayMs * attempt));
      if (this.closed) return 'interrupted';
      last = await this.invoke(event);
      if (last.ok) return 'settled';
      // An attempt cut short by the shutdown is not the function's failure: the event stays queued.
      if (this.closed) return 'interrupted';
    }
    if (last && !last.ok) policy.onFailure(event, last);
    return 'settled';
  }

  /**
   * Fault injection for tests: the next `count` invocations crash mid-run, as a real environment
   * crash would (the worker thread is terminated once the event is handed to the handler). Each fails
   * with Runtime.ExitError and a fresh environment replaces the dead one. Replaces any pending count;
   * 0 (the default) changes nothing.
   */
  crashNext(count: number): void {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`crashNext needs a whole number of invocations >= 0, got ${count}`);
    this.crashRemaining = count;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.environments.splice(0).map((environment) => environment.worker.terminate()));
    await new Promise((resolve) => this.log.end(resolve));
  }

  private async acquire(): Promise<Environment> {
    for (;;) {
      const idle = this.environments.find((environment) => !environment.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.environments.length < this.spec.concurrency) {
        const environment = this.spawn();
        environment.busy = true;
        this.environments.push(environment);
        return environment;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private spawn(): Environment {
    const { spec } = this;
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      env: spec.environment,
      workerData: {
        entry: spec.entry,
        handlerExport: spec.handlerExport,
        functionName: spec.name,
        functionArn: spec.arn,
        memoryMb: spec.memoryMb,
        timeoutSeconds: spec.timeoutSeconds,
      } satisfies WorkerData,
      // Lambda's memory setting bounds the heap; native memory (sharp's pixels) is not counted.
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
      stdout: true,
      stderr: true,
    });
    worker.stdout.pipe(this.log, { end: false });
    worker.stderr.pipe(this.log, { end: false });
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    ready.catch(() => {}); // Reported through run(); avoid an unhandled rejection meanwhile.
    return { worker, ready, busy: false };
  }

  private run(environment: Environment, event: unknown): Promise<InvokeResult> {
    const id = ++this.nextId;
    const { worker } = environment;
    return new Promise<InvokeResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          named('Sandbox.Timedout', `Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`),
        );
      }, this.spec.timeoutSeconds * 1000);
      const onMessage = (message: WorkerResponse) => {
        if (message.id !== id) return;
        cleanup();
        resolve(message.ok ? { ok: true, result: message.result } : message);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(named('Runtime.ExitError', `The function's environment crashed: ${error.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(named('Runtime.ExitError', `The function's environment exited with code ${code}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, event } satisfies WorkerRequest);
      if (this.crashRemaining > 0) {
        this.crashRemaining--;
        void worker.terminate(); // exit → onExit: Runtime.ExitError, and invoke() discards it
      }
    });
  }

  private discard(environment: Environment): void {
    const index = this.environments.indexOf(environment);
    if (index >= 0) this.environments.splice(index, 1);
    void environment.worker.terminate();
  }
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * Lambda's limit on a synchronous invocation's response (its quota: 6 MB, 6,291,456 bytes, of JSON).
 * AWS runs the handler to the end and then fails the invoke with Function.ResponseSizeTooLarge ("Response
 * payload size exceeded maximum allowed payload size"); a Step Functions Task sees that error name.
 */
export const MAX_SYNC_RESPONSE_BYTES = 6 * 1024 * 1024;

/** The result as Lambda would return it, or the error it gives for a result over MAX_SYNC_RESPONSE_BYTES. */
export function checkResponseSize(outcome: InvokeResult, limit = MAX_SYNC_RESPONSE_BYTES): InvokeResult {
  if (!outcome.ok) return outcome;
  const bytes = Buffer.byteLength(JSON.stringify(outcome.result ?? null) ?? 'null', 'utf8');
  if (bytes <= limit) return outcome;
  return {
    ok: false,
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${limit} bytes).`,
    trace: [],
  };
}
