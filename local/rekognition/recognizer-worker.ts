/**
 * One recognizer thread: loads the models once and answers the pool's requests one at a time.
 * Started by recognizer-pool.ts through recognizer-worker-boot.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { ModelRecognizer } from './recognizer';

export interface WorkerRequest {
  readonly id: number;
  readonly image: Uint8Array;
}

export interface WorkerError {
  readonly name: string;
  readonly message: string;
}

/** `id` 0 answers the start: the models loaded (or failed to). Every request gets its own id. */
export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly loadMs?: number; readonly recognition?: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WorkerError };

if (!parentPort) throw new Error('recognizer-worker.ts runs in a worker thread started by RecognizerPool');
const port = parentPort;
const recognizer = new ModelRecognizer();

function answer(id: number, work: Promise<{ loadMs?: number; recognition?: unknown }>): void {
  work.then(
    (result) => port.postMessage({ id, ok: true, ...result } satisfies WorkerResponse),
    (error: unknown) => {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      port.postMessage({ id, ok: false, error: { name, message } } satisfies WorkerResponse);
    },
  );
}

// Load at once, so a pool's workers load in parallel; requests that arrive meanwhile wait for it.
answer(
  0,
  recognizer.load().then((loadMs) => ({ loadMs })),
);
port.on('message', ({ id, image }: WorkerRequest) => {
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  answer(
    id,
    recognizer.recognize(bytes).then((recognition) => ({ recognition })),
  );
});
