import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { ExecutionRecord } from '../../local/stepfunctions/executions';
import { ExecutionsFile, readExecutions } from '../../local/stepfunctions/persistence';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Persisted';

function execution(seq: number, status: ExecutionRecord['status'] = 'SUCCEEDED'): ExecutionRecord {
  const name = `run-${seq}`;
  return {
    executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: MACHINE,
    name,
    type: 'STANDARD',
    status,
    startDate: 1_700_000_000_000 + seq,
    input: JSON.stringify({ key: `photos/${name}.jpg` }),
    seq,
    events: [{ id: 1, previousEventId: 0, timestamp: 1_700_000_000_000 + seq, type: 'ExecutionStarted' }],
  };
}

/** Adds a history event, as the recorder does while an execution runs. */
function addEvent(record: ExecutionRecord): void {
  const id = record.events.length + 1;
  record.events.push({
    id,
    previousEventId: id - 1,
    timestamp: record.startDate + id,
    type: 'PassStateEntered',
  });
}

/** An ExecutionsFile over a map of live executions, as StepFunctionsService holds them. */
function open(path: string, records: ExecutionRecord[] = [], compactionSlackBytes?: number) {
  const live = new Map(records.map((r) => [r.executionArn, r]));
  const file = new ExecutionsFile(path, () => live.values(), { compactionSlackBytes });
  const change = (record: ExecutionRecord) => {
    live.set(record.executionArn, record);
    file.markDirty(record);
  };
  return { file, live, change };
}

const sizeOf = (path: string) => statSync(path).size;
const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').length - 1;
const sorted = (records: ExecutionRecord[]) => [...records].sort((a, b) => a.seq - b.seq);

describe('ExecutionsFile and readExecutions', () => {
  let directory: string;
  let path: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'sfn-persistence-'));
    path = join(directory, 'state', 'stepfunctions.json');
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  test('reads back what was written, the latest state of each execution', async () => {
    // Prepare
    const { file, change } = open(path);
    const records = [execution(0), execution(1, 'RUNNING'), execution(2, 'FAILED')];

    // Act
    for (const record of records) change(record);
    await file.flush();
    addEvent(records[1]);
    Object.assign(records[1], { status: 'SUCCEEDED', stopDate: 1_800_000_000_000, output: '{"ok":true}' });
    change(records[1]);
    await file.flush();

    // Assess
    expect(sorted(readExecutions(path))).toEqual(records);
  });

  test('reads no executions when the file does not exist', () => {
    // Assess
    expect(readExecutions(path)).toEqual([]);
  });

  test('appends only the executions that changed: one line after 100 executions, not 101 records', async () => {
    // Prepare
    const records = Array.from({ length: 100 }, (_, i) => execution(i));
    const { file, change } = open(path, records);
    file.compact();
    await file.flush();
    const sizeBefore = sizeOf(path);
    const linesBefore = lineCount(path);

    // Act
    const added = execution(100, 'RUNNING');
    change(added);
    await file.flush();

    // Assess
    expect(linesBefore).toBe(101);
    expect(lineCount(path)).toBe(102);
    expect(sizeOf(path) - sizeBefore).toBe(Buffer.byteLength(`${JSON.stringify(added)}\n`));
    expect(sorted(readExecutions(path))).toEqual([...records, added]);
  });

  test('coalesces a burst: many events for a few executions become one line each, the latest state', async () => {
    // Prepare
    const records = Array.from({ length: 50 }, (_, i) => execution(i, 'RUNNING'));
    const { file, change } = open(path, records);
    file.compact();
    await file.flush();
    const linesBefore = lineCount(path);

    // Act
    for (let round = 0; round < 10; round++) {
      for (const record of records.slice(0, 3)) {
        addEvent(record);
        change(record);
      }
    }
    await file.flush();

    // Assess
    expect(lineCount(path) - linesBefore).toBe(3);
    const read = sorted(readExecutions(path));
    expect(read.slice(0, 3).map((r) => r.events.length)).toEqual([11, 11, 11]);
    expect(read).toEqual(records);
  });

  test('ignores a torn last line and keeps everything before it; the next start drops it', async () => {
    // Prepare: a crash in the middle of an append.
    const records = [execution(0), execution(1)];
    const { file } = open(path, records);
    file.compact();
    await file.flush();
    const changed = { ...execution(1), status: 'FAILED' as const };
    const torn = JSON.stringify(changed);
    appendFileSync(path, torn.slice(0, torn.length / 2));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});

    // Act
    const read = readExecutions(path);
    const restarted = open(path, read);
    restarted.file.compact();
    await restarted.file.flush();
    const added = execution(2);
    restarted.change(added);
    await restarted.file.flush();

    // Assess
    expect(sorted(read)).toEqual(records);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('ignoring the incomplete last line'));
    expect(sorted(readExecutions(path))).toEqual([...records, added]);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  test('keeps a last line that lost only its line break', async () => {
    // Prepare
    const { file } = open(path, [execution(0)]);
    file.compact();
    await file.flush();
    const changed = { ...execution(0), status: 'FAILED' as const };
    appendFileSync(path, JSON.stringify(changed));

    // Act
    const read = readExecutions(path);

    // Assess
    expect(read).toEqual([changed]);
  });

  test('reads a version 1 file; the start-up compaction converts it to JSON Lines', async () => {
    // Prepare: the single JSON document earlier versions wrote.
    const records = [execution(0), execution(1, 'RUNNING')];
    mkdirSync(join(directory, 'state'));
    writeFileSync(path, JSON.stringify({ version: 1, executions: records }));

    // Act
    const read = readExecutions(path);
    const { file } = open(path, read);
    file.compact();
    await file.flush();

    // Assess
    expect(read).toEqual(records);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ version: 2 });
    expect(lines).toHaveLength(4);
    expect(sorted(readExecutions(path))).toEqual(records);
  });

  test('compaction keeps the file within twice the live size plus the slack', async () => {
    // Prepare
    const slack = 4_000;
    const records = Array.from({ length: 10 }, (_, i) => execution(i, 'RUNNING'));
    const { file, change } = open(path, records, slack);
    file.compact();
    await file.flush();
    let largest = 0;
    let appended = 0;

    // Act: 300 separate writes of one execution whose history keeps growing.
    for (let i = 0; i < 300; i++) {
      addEvent(records[i % 10]);
      change(records[i % 10]);
      appended += Buffer.byteLength(`${JSON.stringify(records[i % 10])}\n`);
      await file.flush();
      largest = Math.max(largest, sizeOf(path));
    }

    // Assess
    const live = Buffer.byteLength(records.map((r) => `${JSON.stringify(r)}\n`).join('')) + 100;
    expect(appended).toBeGreaterThan(2 * live + slack);
    expect(largest).toBeLessThanOrEqual(2 * live + slack);
    expect(sorted(readExecutions(path))).toEqual(records);
  });

  test('flush() waits for the last write, changes made while a write is under way included', async () => {
    // Prepare
    const { file, change } = open(path);
    const first = execution(0);
    const second = execution(1);

    // Act
    change(first);
    const writtenBefore = readExecutions(path);
    const flushed = file.flush();
    await new Promise<void>((resolve) => setImmediate(resolve));
    change(second);
    await flushed;

    // Assess
    expect(writtenBefore).toEqual([]);
    expect(sorted(readExecutions(path))).toEqual([first, second]);
  });

  test('after a failed write, the next write rewrites the whole file', async () => {
    // Prepare
    const records = [execution(0), execution(1)];
    const { file, change } = open(path, records);
    file.compact();
    await file.flush();
    rmSync(join(directory, 'state'), { recursive: true });
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});

    // Act
    addEvent(records[0]);
    change(records[0]);
    await file.flush();
    addEvent(records[1]);
    change(records[1]);
    await file.flush();

    // Assess
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('could not write'));
    expect(sorted(readExecutions(path))).toEqual(records);
  });

  test('fails when a line before the last is not valid JSON', async () => {
    // Prepare
    const { file } = open(path, [execution(0), execution(1)]);
    file.compact();
    await file.flush();
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[1] = lines[1].slice(0, 20);
    writeFileSync(path, lines.join('\n'));

    // Act & Assess
    expect(() => readExecutions(path)).toThrow(
      /line 2 is not valid JSON.*delete it to start with no executions/,
    );
  });

  test('fails when the file is not JSON at all', () => {
    // Prepare
    mkdirSync(join(directory, 'state'));
    writeFileSync(path, 'not json\nat all');

    // Act & Assess
    expect(() => readExecutions(path)).toThrow(/is not valid JSON.*delete it to start with no executions/);
  });

  test('fails when the format version is unknown', () => {
    // Prepare
    mkdirSync(join(directory, 'state'));
    writeFileSync(path, `${JSON.stringify({ format: 'local-stepfunctions-executions', version: 3 })}\n`);

    // Act & Assess
    expect(() => readExecutions(path)).toThrow(
      /has format version 3, expected 2; delete it to start with no executions/,
    );
  });
});
