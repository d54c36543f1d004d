/**
 * The photo API as the web app calls it, for end-to-end tests: JSON requests to the local API Gateway
 * as a named local user (`X-Local-User`), uploads through the presigned POST it hands out.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { CreateUploadResponse, PhotoDetail } from '../../lambda/shared/api';
import { TERMINAL_STATUSES } from '../../lambda/shared/photo-view';
import { sleep } from './e2e-helpers';
import { fixturePath } from './fixtures';

export interface Reply<T> {
  status: number;
  text: string;
  body: T;
}

export class ApiClient {
  constructor(private readonly api: string) {}

  async call<T = unknown>(user: string, method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const response = await fetch(`${this.api}${path}`, {
      method,
      headers: { 'X-Local-User': user, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed as T };
  }

  /** POST /photos, then the multipart POST to S3 with every field and `file` last, as the web app does. */
  async upload(user: string, fixture: string, contentType: string): Promise<CreateUploadResponse> {
    const bytes = readFileSync(fixturePath(fixture));
    const fileName = fixture.split('/').pop()!;
    const reply = await this.call<CreateUploadResponse>(user, 'POST', '/photos', {
      fileName,
      contentType,
      sizeBytes: bytes.length,
    });
    expect(reply.status, reply.text).toBe(201);
    const form = new FormData();
    for (const [name, value] of Object.entries(reply.body.upload.fields)) form.append(name, value);
    form.append('file', new Blob([bytes], { type: contentType }), fileName);
    const s3Reply = await fetch(reply.body.upload.url, { method: 'POST', body: form });
    expect(s3Reply.status, await s3Reply.text()).toBeLessThan(300);
    return reply.body;
  }

  /** GET /photos/{photoId} until the photo is READY, REJECTED or FAILED. */
  async waitForPhoto(user: string, photoId: string, timeoutMs = 180_000): Promise<PhotoDetail> {
    const deadline = Date.now() + timeoutMs;
    let last: Reply<PhotoDetail> | undefined;
    while (Date.now() < deadline) {
      // 404 until the upload event has been handled and the PROCESSING record written.
      last = await this.call<PhotoDetail>(user, 'GET', `/photos/${photoId}`);
      if (last.status !== 404) {
        expect(last.status, last.text).toBe(200);
        if (TERMINAL_STATUSES.includes(last.body.status)) return last.body;
      }
      await sleep(250);
    }
    throw new Error(`${photoId} did not finish within ${timeoutMs} ms; last answer: ${last?.text}`);
  }
}
