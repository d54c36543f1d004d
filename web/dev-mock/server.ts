/**
 * Throwaway mock of the photo API and S3 for looking at the web app without the local cloud. Not part
 * of the app or its build. Run:  npx vite build web && npx tsx web/dev-mock/server.ts   (port 4700)
 * or with live reload:           npx tsx web/dev-mock/server.ts & WEB_API_PROXY=http://localhost:4700 npx vite web
 *
 * Outcomes by file name: *.tif/*.tiff → REJECTED; a name containing "fail" → FAILED in GenerateThumbnail;
 * "s3error" → S3 refuses the POST; anything else → READY with made-up labels after about 4 seconds.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PhotoDetail, PhotoSummary, TimelineStep } from '../../lambda/shared/api';
import type { CognitoConfig } from '../../lambda/shared/web-config';
import { WEB_CONFIG_FILE } from '../../lambda/shared/web-config';
import { STATES } from '../../lambda/shared/workflow';
import { synthesize } from '../../local/template';
import { localWebConfig } from '../../local/web-config';

const PORT = Number(process.env.MOCK_PORT ?? 4700);
/**
 * The local cloud's config.json, the state machine's graph included: synthesized from lib/ (a few
 * seconds at start) so the picture the mock shows is the real definition's, like the app's anywhere.
 */
const LOCAL_CONFIG = localWebConfig(synthesize().template, { apiUrl: '/api', user: 'local-user' });
const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const MAX_BYTES = 20 * 1024 * 1024;
/** MOCK_MODE=cognito: config.json in cognito mode, a fake token endpoint, and a bearer check on the API. */
const MODE = process.env.MOCK_MODE ?? 'local';
let lastTokenRequest: Record<string, string> = {};

function tokens(withRefresh: boolean): Record<string, unknown> {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const jwt = (claims: Record<string, unknown>) => `${part({ alg: 'none' })}.${part({ ...claims, exp })}.sig`;
  return {
    id_token: jwt({ sub: 'u-1', email: 'zoe@example.com', aud: 'mockclient' }),
    access_token: jwt({ sub: 'u-1', client_id: 'mockclient' }),
    ...(withRefresh ? { refresh_token: 'r1' } : {}),
    expires_in: 3600,
    token_type: 'Bearer',
  };
}

interface MockPhoto {
  id: string;
  fileName: string;
  uploadedAt: number;
  hue: number;
  outcome: 'ready' | 'rejected' | 'failed';
}
const photos = new Map<string, MockPhoto>();
const pending = new Map<string, MockPhoto>();

function svgUri(hue: number, w: number, h: number, text: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="hsl(${hue} 55% 62%)"/><circle cx="${w / 2}" cy="${h / 2}" r="${Math.min(w, h) / 4}" fill="hsl(${hue} 60% 35%)"/><text x="50%" y="90%" font-size="${w / 12}" text-anchor="middle" fill="white" font-family="sans-serif">${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

type Plan = [name: string, type: string, start: number, end: number, error?: string, cause?: string][];

const COMMON: Plan = [
  [STATES.extractImageMetadata, 'Task', 0, 600],
  [STATES.imageTypeCheck, 'Choice', 600, 620],
];
const PLANS: Record<MockPhoto['outcome'], Plan> = {
  ready: [
    ...COMMON,
    [STATES.storeImageMetadata, 'Task', 620, 920],
    [STATES.processImage, 'Parallel', 920, 3120],
    [STATES.detectLabels, 'Task', 920, 2920],
    [STATES.generateThumbnail, 'Task', 920, 1820],
    [STATES.recordReady, 'Task', 3120, 3370],
    [STATES.photoReady, 'Succeed', 3370, 3370],
  ],
  rejected: [
    ...COMMON,
    [STATES.recordRejection, 'Task', 620, 920],
    [
      STATES.notSupportedImageType,
      'Fail',
      920,
      920,
      STATES.notSupportedImageType,
      'Only JPEG, PNG images are processed',
    ],
  ],
  failed: [
    ...COMMON,
    [STATES.storeImageMetadata, 'Task', 620, 920],
    [STATES.processImage, 'Parallel', 920, 1820, 'ImageTooLarge', 'Image exceeds the pixel limit'],
    [STATES.detectLabels, 'Task', 920, 1820, '', 'The step was stopped before it finished.'],
    [STATES.generateThumbnail, 'Task', 920, 1820, 'ImageTooLarge', 'Image exceeds the pixel limit'],
    [STATES.recordFailure, 'Task', 1820, 2070],
    [STATES.imageProcessingFailed, 'Fail', 2070, 2070, 'ImageTooLarge', 'Image exceeds the pixel limit'],
  ],
};

function timelineOf(photo: MockPhoto, now: number): { steps: TimelineStep[]; done: boolean } {
  const elapsed = now - photo.uploadedAt - 300;
  const steps: TimelineStep[] = [];
  for (const [name, type, start, end, error, cause] of PLANS[photo.outcome]) {
    if (start > elapsed) continue;
    const running = end > elapsed;
    const failed = !running && (error !== undefined || type === 'Fail');
    steps.push({
      name,
      type,
      startedAt: new Date(photo.uploadedAt + 300 + start).toISOString(),
      endedAt: running ? null : new Date(photo.uploadedAt + 300 + end).toISOString(),
      durationMs: running ? null : end - start,
      outcome: running ? 'RUNNING' : failed ? 'FAILED' : 'SUCCEEDED',
      attempts: type === 'Task' ? (name === STATES.detectLabels ? 2 : 1) : 0,
      error: failed ? error || null : null,
      cause: failed ? (cause ?? null) : null,
    });
  }
  const last = PLANS[photo.outcome].at(-1)!;
  return { steps, done: elapsed >= last[3] };
}

function detailOf(photo: MockPhoto, now = Date.now()): PhotoDetail {
  const { steps, done } = timelineOf(photo, now);
  const has = (name: string) => steps.some((s) => s.name === name && s.outcome !== 'RUNNING');
  const status = !done
    ? has(STATES.recordReady)
      ? 'READY'
      : 'PROCESSING'
    : photo.outcome === 'ready'
      ? 'READY'
      : photo.outcome === 'rejected'
        ? 'REJECTED'
        : 'FAILED';
  const known = has(STATES.extractImageMetadata);
  const thumbnail = has(STATES.generateThumbnail) && photo.outcome === 'ready';
  return {
    photoId: photo.id,
    key: `Incoming/local-user/${photo.id}.jpg`,
    status,
    reason:
      status === 'REJECTED'
        ? 'Unsupported image type TIFF: this pipeline accepts JPEG and PNG'
        : status === 'FAILED'
          ? 'The image is too large to process (over 50000000 pixels).'
          : null,
    metadata: {
      format: known ? (photo.outcome === 'rejected' ? 'tiff' : 'jpeg') : null,
      width: known ? 600 : null,
      height: known ? 400 : null,
      orientation: known ? 6 : null,
      sizeBytes: known ? 245_760 : null,
      capturedAt: known ? '2008-05-30T15:56:01' : null,
      make: known ? 'Canon' : null,
      model: known ? 'Canon EOS 40D' : null,
      gps: known ? { latitude: 52.37403, longitude: 4.88969, altitude: 2.5 } : null,
    },
    labels:
      status === 'READY'
        ? [
            { name: 'Cup', confidence: 96.4 },
            { name: 'Dining table', confidence: 81.2 },
            { name: 'Spoon', confidence: 72.9 },
          ]
        : [],
    thumbnail: thumbnail
      ? { key: `Thumbnails/local-user/${photo.id}.jpg`, width: 250, height: 167, format: 'jpeg' }
      : null,
    // The mock's photos are JPEGs a browser shows: no display rendition.
    rendition: null,
    execution: {
      name: `exec-${photo.id}`,
      status: done ? (photo.outcome === 'ready' ? 'SUCCEEDED' : 'FAILED') : 'RUNNING',
      durationMs: null,
    },
    uploadedAt: new Date(photo.uploadedAt).toISOString(),
    urls: {
      thumbnail: thumbnail ? svgUri(photo.hue, 250, 167, photo.fileName) : null,
      rendition: null,
      original: svgUri(photo.hue, 600, 400, photo.fileName),
    },
    timeline: steps,
  };
}

function summaryOf(photo: MockPhoto): PhotoSummary {
  const { urls, timeline: _t, ...view } = detailOf(photo);
  return { ...view, thumbnailUrl: urls.thumbnail };
}

function send(res: ServerResponse, status: number, body?: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'access-control-allow-origin': '*' });
  res.end(
    body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', `http://localhost:${PORT}`);
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET,POST,DELETE',
      'access-control-allow-headers': '*',
    });
    return res.end();
  }
  if (url.pathname === `/${WEB_CONFIG_FILE}`) {
    if (MODE !== 'cognito') return send(res, 200, LOCAL_CONFIG);
    return send(res, 200, {
      mode: 'cognito',
      apiUrl: '/api',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_mock',
      clientId: 'mockclient',
      cognitoDomain: `http://localhost:${PORT}/mock-cognito`,
      redirectUri: `http://localhost:${PORT}/`,
      workflow: LOCAL_CONFIG.workflow,
    } satisfies CognitoConfig);
  }
  if (url.pathname === '/mock-cognito/oauth2/token' && method === 'POST') {
    const form = new URLSearchParams((await readBody(req)).toString());
    lastTokenRequest = Object.fromEntries(form);
    const grant = form.get('grant_type');
    if (grant === 'authorization_code' && form.get('code') === 'good' && form.get('code_verifier')) {
      return send(res, 200, tokens(true));
    }
    if (grant === 'refresh_token' && form.get('refresh_token') === 'r1') return send(res, 200, tokens(false));
    return send(res, 400, { error: 'invalid_grant' });
  }
  if (url.pathname === '/mock-cognito/last') return send(res, 200, lastTokenRequest);
  if (
    MODE === 'cognito' &&
    url.pathname.startsWith('/api/') &&
    !/^Bearer ey/.test(req.headers.authorization ?? '')
  ) {
    return send(res, 401, { message: 'Unauthorized' });
  }
  if (url.pathname === '/api/photos' && method === 'GET') {
    const label = url.searchParams.get('label')?.toLowerCase();
    const limit = Number(url.searchParams.get('limit') ?? 24);
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const all = [...photos.values()]
      .sort((a, b) => b.uploadedAt - a.uploadedAt)
      .map(summaryOf)
      .filter((p) => !label || p.labels.some((l) => l.name.toLowerCase() === label));
    const page = all.slice(start, start + limit);
    return send(res, 200, {
      photos: page,
      nextCursor: start + limit < all.length ? String(start + limit) : null,
    });
  }
  if (url.pathname === '/api/photos' && method === 'POST') {
    const body = JSON.parse((await readBody(req)).toString() || '{}') as {
      fileName?: string;
      contentType?: string;
      sizeBytes?: number;
    };
    if (!body.fileName || !body.contentType?.startsWith('image/'))
      return send(res, 400, { message: 'contentType must start with image/' });
    if ((body.sizeBytes ?? 0) > MAX_BYTES)
      return send(res, 413, { message: `The photo is over the ${MAX_BYTES / 1024 / 1024} MB limit.` });
    const id = randomUUID();
    const name = body.fileName.toLowerCase();
    pending.set(id, {
      id,
      fileName: body.fileName,
      uploadedAt: 0,
      hue: Math.floor(Math.random() * 360),
      outcome: /\.tiff?$/.test(name) ? 'rejected' : name.includes('fail') ? 'failed' : 'ready',
    });
    return send(res, 201, {
      photoId: id,
      key: `Incoming/local-user/${id}.jpg`,
      upload: {
        url: `http://localhost:${PORT}/mock-s3`,
        fields: { key: `Incoming/local-user/${id}.jpg`, 'Content-Type': body.contentType, Policy: 'mock' },
      },
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      maxBytes: MAX_BYTES,
    });
  }
  if (url.pathname === '/mock-s3' && method === 'POST') {
    const text = (await readBody(req)).toString('latin1');
    const id = /Incoming\/local-user\/([0-9a-f-]+)\.jpg/.exec(text)?.[1];
    const photo = id ? pending.get(id) : undefined;
    if (!photo)
      return send(
        res,
        400,
        '<Error><Code>InvalidArgument</Code><Message>No such upload</Message></Error>',
        'application/xml',
      );
    if (photo.fileName.toLowerCase().includes('s3error')) {
      return send(
        res,
        403,
        '<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>',
        'application/xml',
      );
    }
    pending.delete(photo.id);
    photo.uploadedAt = Date.now();
    setTimeout(() => photos.set(photo.id, photo), 700); // the S3 event reaches the pipeline a moment later
    return send(res, 204);
  }
  const match = /^\/api\/photos\/([^/]+)$/.exec(url.pathname);
  if (match) {
    const photo = photos.get(decodeURIComponent(match[1]));
    if (!photo) return send(res, 404, { message: 'No such photo' });
    if (method === 'DELETE') {
      photos.delete(photo.id);
      return send(res, 204);
    }
    return send(res, 200, detailOf(photo));
  }
  // The built app (npx vite build web).
  let file = join(DIST, normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory())
    file = join(DIST, 'index.html');
  if (!existsSync(file)) return send(res, 404, 'Build the app first: npx vite build web', 'text/plain');
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.map': 'application/json',
  };
  send(res, 200, readFileSync(file), types[extname(file)] ?? 'application/octet-stream');
}).listen(PORT, () => console.log(`Mock API and app on http://localhost:${PORT}/`));
