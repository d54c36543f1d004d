/**
 * `npm run bench:startup`: how long a person waits for the local tools, measured the way they run
 * them (`npm start`, `npm run pipeline`), against the floor every command pays (`node -e 0`) in the
 * same run: these machines are noisy, so compare the ratios between runs; the targets are in
 * seconds, so those are printed too.
 *
 *   npm start, cold   empty state folder: synthesis, the web build, every server, to the banner
 *   npm start, warm   the same folder again (the web build reused), to the banner
 *   pipeline --help   the CLI loading and exiting: what a command costs before it does anything
 *   pipeline 1 photo  one photo through the running cloud, upload to the printed table
 */
import '../local/node-notice';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../local/ports';
import { percentile } from './stats';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const PHOTO = join(REPO_ROOT, '..', 'shared', 'fixtures', 'photos', 'cat.jpg');
const TARGETS = { startWarmMs: 8_000, pipelineOneMs: 1_500 };

const { values: flags } = parseArgs({
  options: { tries: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (flags.help) {
  console.log(`Usage: npm run bench:startup [-- --tries <n>] [--json]

Times npm start (cold and warm) and npm run pipeline (--help, and one photo through the running
cloud), each against \`node -e 0\` measured in the same run; medians of --tries runs (default 5).`);
  process.exit(0);
}
const tries = Number(flags.tries ?? 5);
if (!Number.isInteger(tries) || tries < 1) {
  console.error(`--tries must be a whole number of at least 1, got "${flags.tries}"`);
  process.exit(2);
}

/** Runs a command to its end; resolves with the wall time, rejects with its output when it fails. */
function timed(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

/**
 * Starts `npm start` on `stateDir`; resolves once its banner is out, with the time, a wait for the
 * recognizer's models (loaded after the banner) and a stopper.
 */
async function startCloud(
  stateDir: string,
): Promise<{ readyMs: number; modelsLoaded: Promise<void>; stop: () => Promise<void> }> {
  const ports = await Promise.all(Array.from({ length: 5 }, () => freePort('127.0.0.1')));
  const portFlags = ['web', 's3', 'dynamodb', 'stepfunctions', 'rekognition'].flatMap((name, i) => [
    `--${name}-port`,
    String(ports[i]),
  ]);
  const started = performance.now();
  const child = spawn('npm', ['start', '-s', '--', '--state-dir', stateDir, ...portFlags], {
    cwd: REPO_ROOT,
    detached: true, // npm and the node process under it: stopped together, as Ctrl-C would
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  };
  let output = '';
  let modelsLoaded = (): void => {};
  const loaded = new Promise<void>((resolve) => {
    modelsLoaded = resolve;
  });
  const readyMs = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Local cloud running')) resolve(performance.now() - started);
      if (output.includes('Rekognition stand-in: models loaded')) modelsLoaded();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-2000)}`)));
  });
  return { readyMs, modelsLoaded: loaded, stop };
}

const median = (values: number[]) => percentile(values, 50);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const floor: number[] = [];
const startCold: number[] = [];
const startWarm: number[] = [];
const help: number[] = [];
const onePhoto: number[] = [];
for (let i = 0; i < tries; i++) {
  process.stderr.write(`try ${i + 1}/${tries}\n`);
  floor.push(await timed(process.execPath, ['-e', '0']));
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    const cold = await startCloud(stateDir);
    startCold.push(cold.readyMs);
    await cold.stop();
    const warm = await startCloud(stateDir);
    startWarm.push(warm.readyMs);
    try {
      // A photo's time, not the models' loading, which the banner does not wait for.
      await warm.modelsLoaded;
      await timed('npm', ['run', '-s', 'pipeline', '--', '--state-dir', stateDir, PHOTO]); // warm-up
      help.push(await timed('npm', ['run', '-s', 'pipeline', '--', '--help']));
      onePhoto.push(await timed('npm', ['run', '-s', 'pipeline', '--', '--state-dir', stateDir, PHOTO]));
    } finally {
      await warm.stop();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const floorMs = median(floor);
const rows = [
  { what: 'node -e 0 (the floor)', ms: floorMs, target: undefined },
  { what: 'npm start, cold', ms: median(startCold), target: undefined },
  { what: 'npm start, warm', ms: median(startWarm), target: TARGETS.startWarmMs },
  { what: 'npm run pipeline -- --help', ms: median(help), target: undefined },
  { what: 'npm run pipeline, 1 photo, cloud running', ms: median(onePhoto), target: TARGETS.pipelineOneMs },
].map((row) => ({
  ...row,
  ratio: row.ms / floorMs,
  met: row.target === undefined ? undefined : row.ms <= row.target,
}));

if (flags.json) {
  console.log(JSON.stringify({ tries, rows }));
} else {
  const width = Math.max(...rows.map((row) => row.what.length));
  console.log(`${'WHAT'.padEnd(width)}  MEDIAN    × FLOOR  TARGET`);
  for (const row of rows) {
    const target = row.target === undefined ? '' : `<= ${seconds(row.target)} ${row.met ? 'met' : 'MISSED'}`;
    console.log(
      `${row.what.padEnd(width)}  ${seconds(row.ms).padStart(7)}  ${row.ratio.toFixed(1).padStart(7)}  ${target}`,
    );
  }
}
