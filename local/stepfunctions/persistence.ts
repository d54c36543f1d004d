/**
 * The optional JSON file that lets executions (status, input, output, history) survive a restart of
 * the local cloud. Written after changes, coalesced (one write at a time, at most one every
 * WRITE_INTERVAL_MS, the latest state wins: the whole file is rewritten, so a batch of uploads must
 * not rewrite it back to back), atomically (temporary file + rename) so a crash never leaves half a
 * file. flush() (waitForIdle, close) waits for the last write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExecutionRecord } from './executions';

const FORMAT_VERSION = 1;
const WRITE_INTERVAL_MS = 200;

interface PersistedFile {
  readonly version: number;
  readonly executions: ExecutionRecord[];
}

/** The executions saved in `path`; none when the file does not exist yet. */
export function readExecutions(path: string): ExecutionRecord[] {
  if (!existsSync(path)) return [];
  let parsed: PersistedFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as PersistedFile;
  } catch (error) {
    throw new Error(
      `Step Functions executions file ${path} is not valid JSON (${(error as Error).message}); delete it to start with no executions`,
    );
  }
  if (parsed?.version !== FORMAT_VERSION || !Array.isArray(parsed.executions)) {
    throw new Error(
      `Step Functions executions file ${path} has format version ${parsed?.version}, expected ${FORMAT_VERSION}; delete it to start with no executions`,
    );
  }
  return parsed.executions;
}

export class ExecutionsFile {
  private dirty = false;
  private writing?: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => readonly ExecutionRecord[],
  ) {}

  /** Something changed: write the file soon. */
  markDirty(): void {
    this.dirty = true;
    this.writing ??= this.drain();
  }

  /** Resolves once the file holds every change made so far. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      // Let the rest of this turn's events land first: one write for a burst of history events.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (let first = true; this.dirty; first = false) {
        if (!first) await new Promise<void>((resolve) => setTimeout(resolve, WRITE_INTERVAL_MS));
        this.dirty = false;
        const body: PersistedFile = { version: FORMAT_VERSION, executions: [...this.snapshot()] };
        const temporary = `${this.path}.${process.pid}.tmp`;
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(temporary, JSON.stringify(body));
        await rename(temporary, this.path);
      }
    } catch (error) {
      // A lost write must not take the local cloud down; the next change writes everything again.
      console.error(`[stepfunctions] could not write ${this.path}: ${(error as Error).message}`);
    } finally {
      this.writing = undefined;
    }
  }
}
