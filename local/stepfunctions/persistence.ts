/**
 * The optional file that lets executions (status, input, output, history) survive a restart of the
 * local cloud.
 *
 * Format (version 2): JSON Lines, append-only. The first line is a header (`{"format":…,"version":2}`),
 * then one line per write of an execution: its latest full record. On read, the last line for an
 * executionArn wins. Why a log rather than one JSON document: the file holds every execution ever run
 * (state persists across `npm start` runs), so rewriting all of it on every change made each write cost
 * O(all executions) and a long-lived cloud slower and slower; appending only the executions that
 * changed makes a write cost O(what changed).
 *
 * Crash tolerance: an append is not atomic, so a crash can leave a half-written last line; reading
 * ignores it and keeps everything before it. Nothing is ever appended after a torn line, because every
 * process starts by compacting the file (see below) before its first append.
 *
 * Compaction keeps the file bounded: when the log would exceed COMPACTION_FACTOR × the size of the live
 * records at the last compaction plus a slack, it is rewritten with one line per execution, atomically
 * (temporary file + rename, so a crash leaves the old log or the new one, never half a file). Between two
 * compactions at least the previous live size plus the slack was appended, at least half of what the
 * next compaction rewrites, so its cost is amortized over those appends: O(what changed) per write still. The file is also compacted once at start-up (which converts a
 * version 1 file and drops a torn last line).
 *
 * Version 1 (earlier versions of this project): one JSON document `{ version: 1, executions: [...] }`,
 * rewritten whole on every change. It is still read; the start-up compaction turns it into version 2.
 *
 * Writes are coalesced: changes are collected per execution (the latest state of each wins) and written
 * one batch at a time, at most one every WRITE_INTERVAL_MS, so a burst of history events for many
 * executions becomes one append. flush() (waitForIdle, close) waits for the last write.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExecutionRecord } from './executions';

const FORMAT = 'local-stepfunctions-executions';
const FORMAT_VERSION = 2;
const LEGACY_FORMAT_VERSION = 1;
const WRITE_INTERVAL_MS = 200;
/** The log may grow to this many times the live records' size (plus the slack) before compaction. */
const COMPACTION_FACTOR = 2;
const DEFAULT_COMPACTION_SLACK_BYTES = 8 * 1024 * 1024;

interface Header {
  readonly format: string;
  readonly version: number;
}

interface LegacyFile {
  readonly version: number;
  readonly executions: ExecutionRecord[];
}

/** The executions saved in `path` (either format); none when the file does not exist yet. */
export function readExecutions(path: string): ExecutionRecord[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return [];
  const unreadable = (what: string) =>
    new Error(`Step Functions executions file ${path} ${what}; delete it to start with no executions`);

  const lines = text.split('\n');
  let first: unknown;
  try {
    first = JSON.parse(lines[0]);
  } catch {
    // Not a version 2 header: perhaps a version 1 document with line breaks, or not JSON at all.
    try {
      first = JSON.parse(text);
    } catch (error) {
      throw unreadable(`is not valid JSON (${(error as Error).message})`);
    }
  }
  if (isLegacy(first)) {
    // Version 1 was replaced atomically (temporary file + rename): one whole document, never torn.
    return first.executions;
  }
  const header = first as Partial<Header> | null;
  if (header?.format !== FORMAT || header.version !== FORMAT_VERSION) {
    throw unreadable(
      `has format version ${(first as { version?: unknown } | null)?.version}, expected ${FORMAT_VERSION}`,
    );
  }

  const byArn = new Map<string, ExecutionRecord>();
  // Every append ends with '\n', so the lines before the last '\n' are whole, and what follows it is
  // either nothing or the torn end of an append a crash interrupted: ignored. (A torn line never has
  // lines after it: see the top.)
  for (let index = 1; index < lines.length - 1; index++) {
    const record = parseRecord(lines[index]);
    if (record instanceof Error) throw unreadable(`line ${index + 1} ${record.message}`);
    byArn.set(record.executionArn, record);
  }
  const trailing = lines[lines.length - 1];
  if (lines.length > 1 && trailing !== '') {
    // A write cut short just before its '\n' is still a whole record; any shorter prefix is not JSON.
    const record = parseRecord(trailing);
    if (record instanceof Error) {
      console.error(`[stepfunctions] ignoring the incomplete last line of ${path} (an interrupted write)`);
    } else {
      byArn.set(record.executionArn, record);
    }
  }
  return [...byArn.values()];
}

function isLegacy(value: unknown): value is LegacyFile {
  const file = value as Partial<LegacyFile> | null;
  return file?.version === LEGACY_FORMAT_VERSION && Array.isArray(file.executions);
}

function parseRecord(line: string): ExecutionRecord | Error {
  let record: Partial<ExecutionRecord> | null;
  try {
    record = JSON.parse(line) as Partial<ExecutionRecord> | null;
  } catch (error) {
    return new Error(`is not valid JSON (${(error as Error).message})`);
  }
  if (typeof record?.executionArn !== 'string' || !Array.isArray(record.events)) {
    return new Error('is not an execution record');
  }
  return record as ExecutionRecord;
}

export interface ExecutionsFileOptions {
  /** Growth allowed beyond COMPACTION_FACTOR × the live size before compacting. @default 8 MiB */
  readonly compactionSlackBytes?: number;
}

export class ExecutionsFile {
  /** Executions changed since the last write, by ARN: the latest state of each is what gets written. */
  private readonly dirty = new Map<string, ExecutionRecord>();
  /** The next write rewrites the file: at start (the file is not ours yet) and after a failed write. */
  private compactionDue = true;
  /** Bytes in the file, as this process wrote it (valid once compactionDue is false). */
  private size = 0;
  /** Compact rather than append once the file would grow past this. */
  private sizeLimit = 0;
  private writing?: Promise<void>;
  private readonly compactionSlackBytes: number;

  /** `snapshot` gives every live execution, for compaction. */
  constructor(
    private readonly path: string,
    private readonly snapshot: () => Iterable<ExecutionRecord>,
    options: ExecutionsFileOptions = {},
  ) {
    this.compactionSlackBytes = options.compactionSlackBytes ?? DEFAULT_COMPACTION_SLACK_BYTES;
  }

  /** This execution changed: write it soon. */
  markDirty(record: ExecutionRecord): void {
    this.dirty.set(record.executionArn, record);
    this.writing ??= this.drain();
  }

  /** Rewrite the file with every live execution soon (start-up: converts version 1, drops a torn line). */
  compact(): void {
    this.compactionDue = true;
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
      for (let first = true; this.dirty.size > 0 || this.compactionDue; first = false) {
        if (!first) await new Promise<void>((resolve) => setTimeout(resolve, WRITE_INTERVAL_MS));
        // Serialized now, synchronously: each line is one consistent state of its execution.
        const lines = [...this.dirty.values()].map(line).join('');
        this.dirty.clear();
        const bytes = Buffer.byteLength(lines);
        if (this.compactionDue || this.size + bytes > this.sizeLimit) {
          // Everything live, the executions just changed included.
          await this.rewrite();
        } else {
          await appendFile(this.path, lines);
          this.size += bytes;
        }
      }
    } catch (error) {
      // A lost write must not take the local cloud down. The file may now end with a partial append,
      // and the batch is lost: the next write rewrites the whole file instead of appending.
      this.compactionDue = true;
      console.error(`[stepfunctions] could not write ${this.path}: ${(error as Error).message}`);
    } finally {
      this.writing = undefined;
    }
  }

  private async rewrite(): Promise<void> {
    const header: Header = { format: FORMAT, version: FORMAT_VERSION };
    const records = [...this.snapshot()].map(line).join('');
    const text = `${JSON.stringify(header)}\n${records}`;
    const temporary = `${this.path}.${process.pid}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    await writeFile(temporary, text);
    await rename(temporary, this.path);
    this.compactionDue = false;
    this.size = Buffer.byteLength(text);
    this.sizeLimit = COMPACTION_FACTOR * this.size + this.compactionSlackBytes;
  }
}

function line(record: ExecutionRecord): string {
  return `${JSON.stringify(record)}\n`;
}
