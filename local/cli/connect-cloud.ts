/**
 * How `npm run pipeline` and `npm run reprocess` reach a local cloud: the running one (`npm start`,
 * found through running.json in the state directory), else a private one on free ports for the run.
 */
import { resolve } from 'node:path';
import type { LocalCloud, LocalCloudOptions } from '../cloud';
import { DEFAULT_STATE_DIR } from '../ports';
import { readRunningCloud } from '../running-cloud';
import { importTypeScript } from './import-typescript';

export interface ConnectedCloud {
  /** The environment SDK clients need, and the template's outputs resolved to local names. */
  readonly env: Record<string, string>;
  readonly outputs: Record<string, string>;
  readonly stateDir: string;
  /** Stops the private cloud, if one was started; nothing for a running one. */
  close(): Promise<void>;
}

export async function connectCloud(
  options: LocalCloudOptions,
  progressOut: NodeJS.WritableStream | null,
): Promise<ConnectedCloud> {
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const running = readRunningCloud(stateDir);
  if (running) return { env: running.env, outputs: running.outputs, stateDir, close: async () => {} };
  progressOut?.write('No local cloud is running (npm start); starting one for this run...\n');
  // Loaded only now: the emulator (the CDK app, every server) takes seconds to load, the client a fraction.
  const { startLocalCloud } = await importTypeScript<typeof import('../cloud')>(
    new URL('../cloud.ts', import.meta.url),
  );
  // Any free ports: this cloud is private to the run.
  const cloud: LocalCloud = await startLocalCloud({
    ...options,
    ports: { s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0, web: 0 },
  });
  return { env: cloud.clientEnvironment(), outputs: cloud.outputs, stateDir, close: () => cloud.close() };
}
