/**
 * Lambda's queue of asynchronous invocations, kept on disk. On AWS an event accepted by an async
 * invoke (an S3 notification, an EventBridge target) sits in Lambda's own durable queue until the
 * function succeeds or the event reaches its failure destination: stopping a consumer loses nothing.
 * Locally the process is the queue, so each accepted event is written here before its first attempt
 * and removed once it is settled; whatever the cloud was still delivering when it stopped is
 * delivered again at the next start (at least once, as S3 and Lambda promise; the handlers are
 * idempotent for that reason).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface QueuedInvocation {
  readonly functionArn: string;
  readonly event: unknown;
  /** Who sent it, for messages: "S3 notification", "An EventBridge rule". */
  readonly source: string;
}

export interface QueueEntry extends QueuedInvocation {
  readonly id: string;
}

export class AsyncInvocationQueue {
  private accepted = 0;

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
  }

  /** Accepts an event: written (synchronously) before the caller's first attempt. */
  add(invocation: QueuedInvocation): QueueEntry {
    // Time, then a count within this run, so a listing replays in the order events were accepted
    // (two in the same millisecond included); the UUID keeps ids unique across runs.
    const id = `${Date.now().toString().padStart(15, '0')}-${(this.accepted++).toString().padStart(9, '0')}-${randomUUID()}`;
    const entry = { id, ...invocation };
    // Written whole then renamed into place would survive a power cut; a process that stops
    // between two statements cannot tear one small synchronous write, which is what matters here.
    writeFileSync(this.fileOf(id), JSON.stringify(entry));
    return entry;
  }

  /** The event was handled, or handed to its failure destination: nothing left to deliver. */
  settle(entry: QueueEntry): void {
    rmSync(this.fileOf(entry.id), { force: true });
  }

  /** Events accepted but not settled, oldest first; unreadable files are skipped and left for a person. */
  pending(): QueueEntry[] {
    return readdirSync(this.directory)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .flatMap((name) => {
        try {
          const entry = JSON.parse(readFileSync(join(this.directory, name), 'utf8')) as QueueEntry;
          return typeof entry.functionArn === 'string' && entry.id === name.slice(0, -5) ? [entry] : [];
        } catch {
          return [];
        }
      });
  }

  private fileOf(id: string): string {
    return join(this.directory, `${id}.json`);
  }
}
