/// <reference lib="dom" />
/**
 * Retry and duplicates in the web app, in headless Debian Chromium against the local cloud: a photo
 * that failed on a transient fault (its metadata step's environment crashed) is retried from its
 * photo view and ends READY after a second attempt; the same file uploaded again says whose labels it
 * reused and links to that photo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { buildWebApp } from '../../local/web-build';
import { fixturePath } from '../local/fixtures';
import { assertChromium, launchChromium } from './chromium';

const PHOTO = fixturePath('photos/coffee.png');

let cloud: LocalCloud;
let browser: Browser;
let page: Page;
let stateDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  assertChromium();
  stateDir = mkdtempSync(join(tmpdir(), 'browser-retry-'));
  const webRoot = await buildWebApp(join(stateDir, 'web'));
  cloud = await startLocalCloud({
    stateDir,
    webRoot: webRoot ?? undefined,
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('retries a failed photo from its view: READY after the second attempt', async () => {
    await page.goto(cloud.endpoints.web!);
    // extract-metadata only reads: a crash in the middle of generate-thumbnail's PutObject would leave
    // s3rver waiting for the rest of the body, and the local S3 would wait for it on close.
    const extractor = [...cloud.functions.values()].find((f) =>
      f.spec.entry.includes('/lambda/extract-metadata/'),
    );
    extractor!.crashNext(1);

    await page.getByTestId('file-input').setInputFiles([PHOTO]);
    const failed = page.locator('[data-testid=photo-card][data-status=failed]');
    await expect.poll(() => failed.count(), { timeout: 120_000, interval: 500 }).toBe(1);
    const photoId = await failed.getAttribute('data-photo-id');
    await failed.click();

    const view = page.getByTestId('photo-view');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    const retry = page.getByTestId('retry-photo');
    await expect(retry.isVisible()).resolves.toBe(true);
    await retry.click();

    await expect
      .poll(() => view.getAttribute('data-status'), { timeout: 120_000, interval: 500 })
      .toBe('ready');
    await expect(retry.isVisible()).resolves.toBe(false);
    await expect(page.locator('.facts').textContent()).resolves.toContain('Attempts2');
    await expect(page.getByTestId('photo-view-reason').isVisible()).resolves.toBe(false);
    // The cost receipt of the attempt that made it READY.
    await expect
      .poll(() => page.getByTestId('photo-cost').textContent(), { timeout: 30_000 })
      .toMatch(/^\$0\.\d+ \(estimate\)Step Functions \$[\d.]+: \d+ state transitions \(STANDARD\)/);
    // The gallery shows the new status too.
    await page.getByTestId('back').click();
    await expect
      .poll(
        () =>
          page.locator(`[data-testid=photo-card][data-photo-id="${photoId}"]`).getAttribute('data-status'),
        {
          timeout: 30_000,
        },
      )
      .toBe('ready');
  }, 240_000);

  it('shows that a re-upload of the same file reused the labels of the first, with a link to it', async () => {
    const first = await page
      .locator('[data-testid=photo-card][data-status=ready]')
      .getAttribute('data-photo-id');
    await page.getByTestId('file-input').setInputFiles([PHOTO]);
    const cards = page.locator('[data-testid=photo-card][data-status=ready]');
    await expect.poll(() => cards.count(), { timeout: 120_000, interval: 500 }).toBe(2);
    await page.locator(`[data-testid=photo-card][data-status=ready]:not([data-photo-id="${first}"])`).click();

    const duplicateOf = page.getByTestId('duplicate-of');
    await expect.poll(() => duplicateOf.textContent(), { timeout: 30_000 }).toContain(first!);
    await duplicateOf.locator('a').click();
    await expect.poll(() => page.url()).toContain(`#/photos/${first}`);
    await expect(page.getByTestId('duplicate-of').count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
