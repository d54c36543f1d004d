/// <reference lib="dom" />
/**
 * A web page on another origin, in headless Chromium, while the local cloud runs: it tries to read the
 * local API (as the signed-in local user, or as anyone via X-Local-User), to make it act (a form-like
 * POST a browser sends without asking), and to list and download from the local S3. It must read
 * nothing and change nothing. A page whose name resolves to 127.0.0.1 (DNS rebinding) is refused too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { type PipelineClients, pipelineClients } from '../../local/pipeline-run';
import { assertChromium, launchChromium } from './chromium';

/** A name the browser resolves to 127.0.0.1, as an attacker's DNS does after rebinding. */
const REBOUND_NAME = 'rebound.attacker.test';
const SECRET_KEY = 'Incoming/local-user/secret-photo.jpg';
const SECRET_CONTENT = 'GPS 48.8584 2.2945: the secret original';

let cloud: LocalCloud;
let clients: PipelineClients;
let browser: Browser;
let stateDir: string;
let attacker: Server;
let attackerUrl: string;

interface Attempt {
  name: string;
  /** The page got the data it was after. */
  read: boolean;
  status?: number;
  error?: string;
}

/** The attacker's page: every attempt's outcome, as the page itself saw it, written into the DOM. */
function attackerPage(target: {
  web: string;
  s3: string;
  bucket: string;
  key: string;
  secret: string;
}): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Totally unrelated site</title></head>
<body><pre id="results"></pre>
<script>
const target = ${JSON.stringify(target)};
async function attempt(name, url, init, wanted) {
  try {
    const response = await fetch(url, init);
    if (response.type === 'opaque') return { name, read: false, error: 'opaque response' };
    const text = await response.text();
    return { name, read: response.ok && wanted(text), status: response.status };
  } catch (error) {
    return { name, read: false, error: String(error) };
  }
}
const photos = (text) => text.includes('photos') || text.includes('items') || text.startsWith('[');
(async () => {
  const api = target.web + '/api/photos';
  const object = target.s3 + '/' + target.bucket + '/' + target.key;
  const list = target.s3 + '/' + target.bucket + '?list-type=2';
  const results = [
    // The control: the page reads its own origin, so a false below is the target's refusal.
    await attempt('control: own origin', location.href, {}, (text) => text.includes('Totally unrelated site')),
    await attempt('API: list photos', api, {}, photos),
    await attempt('API: list photos with credentials', api, { credentials: 'include' }, photos),
    await attempt('API: list photos as another user', api, { headers: { 'X-Local-User': 'victim' } }, photos),
    await attempt('API: create an upload (no-cors POST)', api, {
      method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ fileName: 'planted.jpg', contentType: 'image/jpeg', size: 1000 }),
    }, () => true),
    await attempt('S3: list the bucket', list, {}, (text) => text.includes(target.key)),
    await attempt('S3: list the bucket with credentials', list, { credentials: 'include' }, (text) => text.includes(target.key)),
    await attempt('S3: get an original', object, {}, (text) => text.includes(target.secret)),
    await attempt('S3: get an original with credentials', object, { credentials: 'include' }, (text) => text.includes(target.secret)),
  ];
  document.getElementById('results').textContent = JSON.stringify(results);
  document.body.dataset.done = 'yes';
})();
</script></body></html>`;
}

beforeAll(async () => {
  assertChromium();
  stateDir = mkdtempSync(join(tmpdir(), 'cross-origin-test-'));
  cloud = await startLocalCloud({
    stateDir,
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  });
  clients = pipelineClients(cloud.clientEnvironment());
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: cloud.outputs.PhotoRepoBucketName,
      Key: SECRET_KEY,
      Body: SECRET_CONTENT,
      ContentType: 'image/jpeg',
    }),
  );
  const html = attackerPage({
    web: cloud.endpoints.web!,
    s3: cloud.endpoints.s3,
    bucket: cloud.outputs.PhotoRepoBucketName,
    key: SECRET_KEY,
    secret: SECRET_CONTENT,
  });
  attacker = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
  browser = await launchChromium([`--host-resolver-rules=MAP ${REBOUND_NAME} 127.0.0.1`]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  clients?.destroy();
  await cloud?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('a page on another origin', () => {
  it('cannot read or drive the local API', async () => {
    const page = await browser.newPage();
    // What reached the gateway's /api, and what it answered (the page itself cannot see this).
    const apiAnswers: { method: string; url: string; status: number }[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${cloud.endpoints.web}/api`))
        apiAnswers.push({
          method: response.request().method(),
          url: response.url(),
          status: response.status(),
        });
    });
    await page.goto(attackerUrl);
    await page.waitForSelector('body[data-done=yes]', { timeout: 60_000 });
    const results = JSON.parse((await page.locator('#results').textContent()) ?? '[]') as Attempt[];
    await page.close();

    expect(results.find((r) => r.name.startsWith('control'))).toMatchObject({ read: true, status: 200 });
    const api = results.filter((r) => r.name.startsWith('API'));
    expect(api).toHaveLength(4);
    for (const attempt of api) expect(attempt, attempt.name).toMatchObject({ read: false });
    // The gateway refused whatever the browser did send (the no-cors POST at least): nothing ran.
    expect(apiAnswers.length).toBeGreaterThan(0);
    for (const answer of apiAnswers) expect(answer, answer.url).toMatchObject({ status: 403 });
    const uploads = await fetch(`${cloud.endpoints.web}/api/photos`).then((r) => r.text());
    expect(uploads).not.toContain('planted.jpg');
  });

  // Needs the local S3 to require signatures and grant CORS to the web app's origin only; with
  // s3rver's anonymous access and `Access-Control-Allow-Origin: *`, the page reads the bucket.
  it('cannot list the local S3 bucket or download an original', async () => {
    const page = await browser.newPage();
    await page.goto(attackerUrl);
    await page.waitForSelector('body[data-done=yes]', { timeout: 60_000 });
    const results = JSON.parse((await page.locator('#results').textContent()) ?? '[]') as Attempt[];
    await page.close();

    expect(results.find((r) => r.name.startsWith('control'))).toMatchObject({ read: true, status: 200 });
    const s3 = results.filter((r) => r.name.startsWith('S3'));
    expect(s3).toHaveLength(4);
    for (const attempt of s3) expect(attempt, attempt.name).toMatchObject({ read: false });
  });

  it('cannot reach the web app or the API under a name that resolves to 127.0.0.1 (DNS rebinding)', async () => {
    const page = await browser.newPage();
    const port = new URL(cloud.endpoints.web!).port;
    for (const path of ['/', '/config.json', '/api/photos']) {
      const response = await page.goto(`http://${REBOUND_NAME}:${port}${path}`);
      expect(response?.status(), path).toBe(403);
      await expect(page.locator('body').textContent()).resolves.toMatch(/^Forbidden: Host/);
    }
    await page.close();
  });
});
