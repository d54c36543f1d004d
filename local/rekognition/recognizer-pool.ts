/**
 * The stand-in's recognizers in worker threads, one per core by default, so inference (WASM, one
 * thread each) runs off the local cloud's event loop and on every core. Requests wait in one FIFO
 * queue and go to the first free worker, so a burst from one caller cannot starve another's earlier
 * request. A worker that dies fails only its own request and is replaced by the next one.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ImageDecodeError } from './prepare';
import type { Recognition, Recognizer } from './recognizer';
import type { WorkerError, WorkerRequest, WorkerResponse } from './recognizer-worker';

const BOOT = new URL('./recognizer-worker-boot.mjs', import.meta.url);
const STOPPING = 'The local Rekognition stand-in is stopping';

export interface RecognizerPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  readonly size?: number;
  /** The worker's script, speaking recognizer-worker.ts' messages. @default recognizer-worker-boot.mjs (tests pass a fake) */
  readonly workerScript?: URL;
}

interface Job {
  readonly image: Uint8Array;
  resolve(recognition: Recognition): void;
  reject(error: Error): void;
}

interface PoolWorker {
  readonly worker: Worker;
  /** The worker's model load time in ms, once its models are in memory. */
  readonly loaded: Promise<number>;
  job?: { readonly id: number } & Job;
}

export class RecognizerPool implements Recognizer {
  public readonly concurrency: number;
  private readonly workerScript: URL;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1; // 0 is each worker's start-up answer
  private closed = false;

  constructor(options: RecognizerPoolOptions = {}) {
    this.concurrency = options.size ?? availableParallelism();
    this.workerScript = options.workerScript ?? BOOT;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError(`A recognizer pool needs a whole number of workers >= 1, got ${this.concurrency}`);
    }
  }

  /** Starts every worker (each loads its models at once); resolves to the slowest one's load time in ms. */
  async load(): Promise<number> {
    if (this.closed) throw new Error(STOPPING);
    this.spawnWorkers();
    return Math.max(...(await Promise.all(this.workers.map((entry) => entry.loaded))));
  }

  recognize(image: Buffer): Promise<Recognition> {
    return new Promise<Recognition>((resolve, reject) => {
      if (this.closed) return reject(new Error(STOPPING));
      // A copy the worker can own: the caller's buffer may be a view into a larger pooled one.
      this.queue.push({ image: new Uint8Array(image), resolve, reject });
      this.spawnWorkers();
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error(STOPPING));
    const workers = this.workers.splice(0);
    for (const entry of workers) entry.job?.reject(new Error(STOPPING));
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  private dispatch(): void {
    for (const entry of this.workers) {
      const job = entry.job ? undefined : this.queue.shift();
      if (!job) continue;
      entry.job = { ...job, id: this.nextId++ };
      entry.worker.ref(); // a request in progress keeps the process alive
      entry.worker.postMessage({ id: entry.job.id, image: job.image } satisfies WorkerRequest, [
        job.image.buffer as ArrayBuffer,
      ]);
    }
  }

  private spawnWorkers(): void {
    while (!this.closed && this.workers.length < this.concurrency) {
      // The boot file registers tsx itself; the parent's flags (`--eval`, `--input-type`) do not apply.
      const worker = new Worker(this.workerScript, { execArgv: [] });
      let started: (response: WorkerResponse) => void = () => {};
      const loaded = new Promise<number>((resolve, reject) => {
        started = (response) =>
          response.ok ? resolve(response.loadMs ?? 0) : reject(reviveError(response.error));
      });
      loaded.catch(() => undefined); // a failed load also fails every request; load() reports it
      const entry: PoolWorker = { worker, loaded };
      worker.on('message', (response: WorkerResponse) =>
        response.id === 0 ? started(response) : this.finish(entry, response),
      );
      worker.on('error', (error) => this.lose(entry, error, started));
      worker.on('exit', (code) => this.lose(entry, new Error(`it exited with code ${code}`), started));
      this.workers.push(entry);
    }
  }

  private finish(entry: PoolWorker, response: WorkerResponse): void {
    const job = entry.job;
    if (!job || job.id !== response.id) return;
    entry.job = undefined;
    entry.worker.unref(); // an idle pool does not keep the process alive
    if (response.ok) job.resolve(response.recognition as Recognition);
    else job.reject(reviveError(response.error));
    this.dispatch();
  }

  /** A worker that crashed or exited: its request fails; the next request starts a replacement. */
  private lose(entry: PoolWorker, cause: Error, started: (response: WorkerResponse) => void): void {
    const index = this.workers.indexOf(entry);
    if (index === -1) return; // already handled: 'error' is followed by 'exit'
    this.workers.splice(index, 1);
    const error = { name: 'Error', message: `A recognizer worker stopped: ${cause.message}` };
    started({ id: 0, ok: false, error });
    entry.job?.reject(reviveError(error));
    if (this.closed) return;
    if (this.queue.length > 0) this.spawnWorkers();
    this.dispatch();
  }
}

/** Errors cross the thread boundary as name and message; the server tells undecodable pixels apart. */
function reviveError({ name, message }: WorkerError): Error {
  const error = name === ImageDecodeError.name ? new ImageDecodeError('') : new Error('');
  error.name = name;
  error.message = message;
  return error;
}
