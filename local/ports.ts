import { createServer, isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The only address the local cloud listens on. Its services have no authentication worth the name
 * (fixed credentials, a signed-in local user), so nothing may be reachable from another machine.
 */
export const LOOPBACK_HOST = '127.0.0.1';

/** Whether a listen address is loopback only: 127.0.0.0/8, ::1 or `localhost` (not 0.0.0.0, not ::). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) return bare === '::1' || /^::ffff:127\./i.test(bare);
  return false;
}

/** Refuses to start a local service on anything but a loopback address. */
export function assertLoopbackHost(host: string, service: string): void {
  if (!isLoopbackHost(host)) {
    throw new Error(
      `${service} listens on loopback only (e.g. ${LOOPBACK_HOST}), not on "${host}": the local cloud is not safe to expose to the network`,
    );
  }
}

/** s3rver accepts only these; the other local services accept anything. */
/** The owner photos uploaded from this machine belong to; the local web app signs in as this user. */
export const LOCAL_OWNER = 'local-user';

export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface PortSettings {
  /** The web app and API. */
  web: number;
  s3: number;
  dynamodb: number;
  stepfunctions: number;
  rekognition: number;
}

/** Where the local cloud keeps its state unless told otherwise (git-ignored). */
export const DEFAULT_STATE_DIR = fileURLToPath(new URL('../.local-cloud', import.meta.url));

export const DEFAULT_PORTS: PortSettings = {
  web: 4600,
  s3: 4601,
  dynamodb: 4602,
  stepfunctions: 4603,
  rekognition: 4604,
};

/** Fails with a message that names the service and what to do when a port is taken. */
export async function assertPortFree(
  host: string,
  port: number,
  service: string,
  flag: string,
): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Port ${port} (${service}) on ${host} is already in use. Stop whatever uses it (another "npm start"?) or choose another port with ${flag} <port>.`
            : `Cannot listen on ${host}:${port} for ${service}: ${error.message}`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Fails with a message naming the service and the flag when one of the cloud's ports is taken. */
export async function assertPortsFree(options: { readonly ports?: Partial<PortSettings> }): Promise<void> {
  const host = LOOPBACK_HOST;
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  await assertPortFree(host, ports.s3, 'S3', '--s3-port');
  await assertPortFree(host, ports.dynamodb, 'DynamoDB', '--dynamodb-port');
  await assertPortFree(host, ports.stepfunctions, 'Step Functions', '--stepfunctions-port');
  await assertPortFree(host, ports.rekognition, 'Rekognition', '--rekognition-port');
  await assertPortFree(host, ports.web, 'web app and API', '--web-port');
}

/** A free port on the host, for tests and for services that need a fixed port up front. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
