/**
 * How the command-line tools find a running local cloud: `npm start` writes `running.json` into its
 * state directory (its pid, the environment an AWS SDK client needs, and the template's outputs) and
 * removes it on stop; `npm run pipeline`, `npm run redrive` and the benchmark read it. Kept free of
 * the emulator's imports, so a tool that only talks to a running cloud starts in a fraction of a
 * second instead of loading the CDK app and every server.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunningCloud {
  readonly pid: number;
  /** AWS_REGION, credentials and AWS_ENDPOINT_URL_* for every service. */
  readonly env: Record<string, string>;
  /** The template's outputs, resolved to local names (PhotoRepoBucketName, ...). */
  readonly outputs: Record<string, string>;
}

const fileIn = (stateDir: string) => join(stateDir, 'running.json');

export function writeRunningCloud(stateDir: string, cloud: RunningCloud): void {
  writeFileSync(fileIn(stateDir), JSON.stringify(cloud, null, 2));
}

export function removeRunningCloud(stateDir: string): void {
  rmSync(fileIn(stateDir), { force: true });
}

/** The cloud running on `stateDir`, or null when none is (no file, or one left by a process that died). */
export function readRunningCloud(stateDir: string): RunningCloud | null {
  const file = fileIn(stateDir);
  if (!existsSync(file)) return null;
  let running: RunningCloud;
  try {
    running = JSON.parse(readFileSync(file, 'utf8')) as RunningCloud;
  } catch {
    return null; // Torn by a crash mid-write: no cloud is listening behind it either.
  }
  try {
    process.kill(running.pid, 0);
    return running;
  } catch {
    return null; // Left behind by a cloud that did not stop cleanly.
  }
}
