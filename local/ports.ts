import { createServer } from 'node:net';

/** s3rver accepts only these; the other local services accept anything. */
export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface PortSettings {
  /** The web app and API. */
  web: number;
  s3: number;
  dynamodb: number;
  stepfunctions: number;
  rekognition: number;
}

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
