/**
 * `npm run pipeline -- [--json] <file or folder>...`: uploads each image to PhotoRepo under Incoming/,
 * waits for every photo to reach a terminal status, and prints what became of each.
 * Uses the running local cloud (`npm start`) if there is one, else starts one for the run.
 */
import './node-notice';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TERMINAL_STATUSES } from '../lambda/shared/photo-view';
import { connectCloud } from './cli/connect-cloud';
import { CLOUD_FLAGS, CLOUD_FLAGS_HELP, cloudOptionsFrom } from './cli-options';
import { type PipelineResult, pipelineClients, runPipeline } from './pipeline-run';

const USAGE = `Usage: npm run pipeline -- [--json] [--timeout <seconds>] <file or folder>...

Uploads each file (folders: every file inside, recursively) to PhotoRepo under Incoming/, waits
until every photo is READY, REJECTED or FAILED, and prints a table (--json: one JSON object a line).
Exit status 0 when every photo reached a terminal status.

${CLOUD_FLAGS_HELP}`;

const { values: flags, positionals } = parseArgs({
  options: { ...CLOUD_FLAGS, json: { type: 'boolean' }, timeout: { type: 'string' } },
  allowPositionals: true,
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length === 0) {
  console.error(`No files given.\n\n${USAGE}`);
  process.exit(2);
}
const timeoutSeconds = Number(flags.timeout ?? 300);
if (!(timeoutSeconds > 0)) {
  console.error(`--timeout must be a number of seconds above 0, got "${flags.timeout}"`);
  process.exit(2);
}

let files: string[];
try {
  files = positionals.flatMap((path) => expand(resolve(path)));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (files.length === 0) {
  console.error('The folders given hold no files.');
  process.exit(2);
}

const progressOut = process.stderr.isTTY ? process.stderr : null;
const running = await connectCloud(cloudOptionsFrom(flags), progressOut);

const clients = pipelineClients(running.env);
let results: PipelineResult[] = [];
try {
  results = await runPipeline(
    clients,
    { bucket: running.outputs.PhotoRepoBucketName, table: running.outputs.ImageMetadataTableName },
    files,
    {
      timeoutMs: timeoutSeconds * 1000,
      onProgress: ({ uploaded, finished, total }) =>
        progressOut?.write(
          `\r${bar(finished, total)} ${finished}/${total} done, ${uploaded}/${total} uploaded `,
        ),
    },
  );
  progressOut?.write('\n');
} finally {
  clients.destroy();
  await running.close();
}

if (flags.json) {
  for (const result of results) console.log(JSON.stringify(result));
} else {
  printTable(results);
}
const unfinished = results.filter((result) => !TERMINAL_STATUSES.includes(result.status));
if (unfinished.length > 0) {
  console.error(`${unfinished.length} photo(s) did not reach a terminal status within ${timeoutSeconds} s.`);
  process.exit(1);
}

function expand(path: string): string[] {
  if (!existsSync(path)) throw new Error(`No such file or folder: ${path}`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => expand(join(path, name)));
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function printTable(rows: PipelineResult[]): void {
  const cwd = process.cwd();
  const table = rows.map((row) => ({
    file: relative(cwd, row.file),
    status: row.status,
    size: row.metadata.width && row.metadata.height ? `${row.metadata.width}x${row.metadata.height}` : '-',
    labels:
      row.labels.length > 0
        ? row.labels
            .slice(0, 3)
            .map((l) => `${l.name} ${Math.round(l.confidence)}%`)
            .join(', ')
        : '-',
    time: row.execution.durationMs === null ? '-' : `${(row.execution.durationMs / 1000).toFixed(1)}s`,
    reason: row.reason ?? '',
  }));
  const columns = ['file', 'status', 'size', 'labels', 'time', 'reason'] as const;
  const widths = columns.map((column) => Math.max(column.length, ...table.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(columns.map((c) => c.toUpperCase())));
  for (const row of table) console.log(line(columns.map((c) => row[c])));
  const counts = TERMINAL_STATUSES.map(
    (status) => `${rows.filter((r) => r.status === status).length} ${status}`,
  ).join(', ');
  console.log(`\n${rows.length} photo(s): ${counts}`);
}
