/**
 * The local S3 is safe to run on a laptop: in a running local cloud, anonymous requests are refused,
 * signed ones (the SDK, presigned URLs) work, keys cannot climb out of the bucket's folder, and only
 * the web app's origin gets CORS grants.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObjectBytes, startTestCloud, type TestCloud } from './e2e-helpers';

const EVIL = 'http://evil.example';
let env: TestCloud;
let s3: string;
let bucket: string;
const KEY = 'Incoming/local-user/secret.jpg';

beforeAll(async () => {
  env = await startTestCloud();
  s3 = env.cloud.endpoints.s3;
  bucket = env.target.bucket;
  await env.clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: KEY,
      Body: Buffer.from('GPS 48.85 2.29'),
      ContentType: 'image/jpeg',
    }),
  );
});

afterAll(async () => {
  await env?.close();
});

/** A raw HTTP request with the target exactly as given (fetch would resolve `..` segments). */
function raw(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(s3);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path: target, headers },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local S3', () => {
  it('refuses anonymous GET, PUT and ListObjects with S3 AccessDenied saying how to sign', async () => {
    const answers = [
      await fetch(`${s3}/${bucket}/${KEY}`),
      await fetch(`${s3}/${bucket}/Incoming/someone/planted.jpg`, { method: 'PUT', body: 'x' }),
      await fetch(`${s3}/${bucket}?list-type=2`),
      await fetch(`${s3}/${bucket}`),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      const text = await answer.text();
      expect(text).toContain('<Code>AccessDenied</Code>');
      expect(text).toMatch(/signed .*with the local cloud's credentials/);
      expect(text).not.toContain('GPS');
    }
    await expect(getObjectBytes(env.clients, bucket, 'Incoming/someone/planted.jpg')).rejects.toThrow(
      /NoSuchKey|not exist/i,
    );
  });

  it('refuses a request signed with another secret', async () => {
    const { pipelineClients } = await import('../../local/pipeline-run');
    const other = pipelineClients({ ...env.cloud.clientEnvironment(), AWS_SECRET_ACCESS_KEY: 'guess' });
    try {
      await expect(other.s3.send(new GetObjectCommand({ Bucket: bucket, Key: KEY }))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      });
    } finally {
      other.destroy();
    }
  });

  it('serves the SDK (signed requests) and presigned GETs', async () => {
    await expect(getObjectBytes(env.clients, bucket, KEY)).resolves.toEqual(Buffer.from('GPS 48.85 2.29'));
    const url = await getSignedUrl(env.clients.s3, new GetObjectCommand({ Bucket: bucket, Key: KEY }), {
      expiresIn: 60,
    });
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('GPS 48.85 2.29');
    // The same URL with another key is a forgery.
    expect((await fetch(url.replace('secret.jpg', 'other.jpg'))).status).toBe(403);
  });

  it('refuses keys that would leave the bucket folder, and writes nothing outside it', async () => {
    for (const target of [
      `/${bucket}/Incoming/..%2F..%2Fx`,
      `/${bucket}/Incoming/../../x`,
      `/${bucket}/Incoming/%2E%2E%5Cx`,
    ]) {
      const answer = await raw('PUT', target, { 'content-type': 'text/plain' }, 'escaped');
      expect(answer.status, target).toBe(400);
      expect(answer.body).toContain('<Code>InvalidArgument</Code>');
    }
    // Signed by the SDK, too.
    await expect(
      env.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'Incoming/../../y', Body: 'escaped' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
    const s3Dir = path.join(env.stateDir, 's3');
    expect(existsSync(path.join(env.stateDir, 'x'))).toBe(false);
    expect(existsSync(path.join(s3Dir, 'x'))).toBe(false);
    expect(existsSync(path.join(s3Dir, 'y'))).toBe(false);
  });

  it("grants CORS to the web app's origin only", async () => {
    const web = env.cloud.endpoints.web!;
    const url = await getSignedUrl(env.clients.s3, new GetObjectCommand({ Bucket: bucket, Key: KEY }), {
      expiresIn: 60,
    });

    const fromWeb = await fetch(url, { headers: { origin: web } });
    expect(fromWeb.status).toBe(200);
    expect(fromWeb.headers.get('access-control-allow-origin')).toBe(web);

    const fromEvil = await fetch(url, { headers: { origin: EVIL } });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    expect(fromEvil.status).toBe(403);

    const preflight = (origin: string) =>
      fetch(`${s3}/${bucket}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const webPreflight = await preflight(web);
    expect(webPreflight.status).toBe(200);
    expect(webPreflight.headers.get('access-control-allow-origin')).toBe(web);
    const evilPreflight = await preflight(EVIL);
    expect(evilPreflight.status).toBe(403);
    expect(evilPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers only loopback names as Host (no DNS rebinding)', async () => {
    const answer = await raw('GET', `/${bucket}?list-type=2`, {
      host: `rebound.attacker.test:${new URL(s3).port}`,
    });
    expect(answer.status).toBe(403);
    expect(new URL(s3).hostname).toBe('127.0.0.1');
  });
});

describe('an upload cut off midway (a function crashed during PutObject)', () => {
  it('leaves no request open: the cloud still closes', async () => {
    const own = await startTestCloud();
    try {
      const url = new URL(
        await getSignedUrl(
          own.clients.s3,
          new PutObjectCommand({ Bucket: own.target.bucket, Key: 'Incoming/local-user/cut.jpg' }),
          { expiresIn: 60 },
        ),
      );
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: `${url.pathname}${url.search}`,
        headers: { 'Content-Length': String(1024 * 1024) },
      });
      req.on('error', () => {}); // destroyed on purpose below
      req.write(Buffer.alloc(1024));
      await new Promise((resolve) => setTimeout(resolve, 300)); // forwarded to s3rver by now
      req.destroy();
    } finally {
      // Before the fix, s3rver waited for the rest of the body for ever and close() never returned.
      await own.close();
    }
  }, 60_000);
});
