/// <reference lib="dom" />
/**
 * The web app in headless Debian Chromium (driven by playwright-core), against the local cloud: what a
 * person does, through the same upload path (API, presigned POST to S3, the pipeline).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { buildWebApp } from '../../local/web-build';
import { fixturePath } from '../local/fixtures';
import { assertChromium, launchChromium } from './chromium';

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

let cloud: LocalCloud;
let browser: Browser;
let page: Page;
let stateDir: string;
let files: { photo: string; rotated: string; heic: string; notImage: string };

beforeAll(async () => {
  assertChromium();
  stateDir = mkdtempSync(join(tmpdir(), 'browser-test-'));
  const webRoot = await buildWebApp(join(stateDir, 'web'));
  cloud = await startLocalCloud({
    stateDir,
    webRoot: webRoot ?? undefined,
    ports: { web: 0, s3: 0, dynamodb: 0, stepfunctions: 0, rekognition: 0 },
  });
  files = {
    photo: fixturePath('photos/astronaut.png'),
    rotated: join(stateDir, 'coffee-rotated.jpg'),
    // An iPhone's HEIC (HEVC, which browsers other than Safari cannot show), and a CSV named .heic.
    heic: fixturePath('formats/iphone-13-pro-max.heic'),
    notImage: fixturePath('not-images/spreadsheet-named.heic'),
  };
  // A landscape photo stored sideways with EXIF orientation 6, as phones write them: it displays (and
  // must be thumbnailed) upright, 600x400.
  writeFileSync(
    files.rotated,
    await sharp(fixturePath('photos/coffee.png'))
      .rotate(-90)
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: 6 })
      .toBuffer(),
  );
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  (globalThis as { pageErrors?: string[] }).pageErrors = errors;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('uploads four files and shows what became of each', async () => {
    const app = await page.goto(cloud.endpoints.web!);
    // The deployed app's Content-Security-Policy, with the local origins: everything below runs under it
    // (a violation is a console error, and the last test requires none).
    const csp = app?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ${new URL(cloud.endpoints.s3).origin};`);
    expect(csp).toContain("frame-ancestors 'none'");
    await expect(page.getByTestId('current-user').textContent()).resolves.toContain('local-user');

    await page
      .getByTestId('file-input')
      .setInputFiles([files.photo, files.rotated, files.heic, files.notImage]);

    await expect.poll(() => page.getByTestId('upload-row').count(), { timeout: 30_000 }).toBe(4);
    const cards = page.getByTestId('photo-card');
    await expect.poll(() => cards.count(), { timeout: 60_000 }).toBe(4);
    // Three READY (the HEIC too) and the CSV named .heic REJECTED, shown without reloading the page.
    await expect
      .poll(
        async () =>
          (await cards.evaluateAll((els) => els.map((el) => el.getAttribute('data-status')))).sort(),
        {
          timeout: 120_000,
          interval: 500,
        },
      )
      .toEqual(['ready', 'ready', 'ready', 'rejected']);

    const rejected = page.locator('[data-testid=photo-card][data-status=rejected]');
    await expect(rejected.getByTestId('photo-reason').textContent()).resolves.toMatch(/Not an image/);

    // Thumbnails are upright: the EXIF-rotated coffee photo displays wider than tall, the iPhone's
    // HEIC (irot applied once, its EXIF Orientation 6 not again) taller than wide.
    await expect
      .poll(
        () => page.locator('[data-testid=photo-card][data-status=ready][data-thumbnail=loaded]').count(),
        { timeout: 30_000 },
      )
      .toBe(3);
    const thumbnailShapes = await page
      .locator('[data-testid=photo-card][data-status=ready] img')
      .evaluateAll((images) =>
        (images as HTMLImageElement[]).map((img) => ({ w: img.naturalWidth, h: img.naturalHeight })),
      );
    expect(thumbnailShapes).toHaveLength(3);
    expect(thumbnailShapes).toContainEqual({ w: 250, h: 167 });
    expect(thumbnailShapes).toContainEqual({ w: 250, h: 250 });
    expect(thumbnailShapes).toContainEqual({ w: 188, h: 250 });

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'gallery.png'), fullPage: true });
  }, 180_000);

  it('opens a photo view with labels, EXIF and the path through the state machine', async () => {
    const ready = await page.locator('[data-testid=photo-card][data-status=ready]').all();
    // Open the coffee photo: the one whose thumbnail is landscape.
    let opened = false;
    for (const candidate of ready) {
      const { w, h } = await candidate.locator('img').evaluate((img) => ({
        w: (img as HTMLImageElement).naturalWidth,
        h: (img as HTMLImageElement).naturalHeight,
      }));
      if (w > h) {
        await candidate.click();
        opened = true;
        break;
      }
    }
    expect(opened).toBe(true);

    const view = page.getByTestId('photo-view');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('ready');
    await expect
      .poll(() => page.getByTestId('photo-labels').textContent(), { timeout: 30_000 })
      .toMatch(/Cup/);
    // The original, shown in an <img> although its URL makes S3 serve it as an attachment.
    const original = view.locator('figure img');
    await expect
      .poll(() => original.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 30_000 })
      .toBe(600);
    const originalUrl = new URL((await original.getAttribute('src')) ?? '');
    expect(originalUrl.pathname).toMatch(/^\/[^/]+\/Incoming\//);
    expect(originalUrl.searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="/);
    const exif = await page.getByTestId('photo-exif').textContent();
    expect(exif).toMatch(/600\s*[×x]\s*400/);
    expect(exif).toMatch(/JPEG/i);

    const machine = page.getByTestId('state-machine');
    const outcome = (state: string) => machine.locator(`[data-state=${state}]`).getAttribute('data-outcome');
    for (const state of [
      'ExtractImageMetadata',
      'ImageTypeCheck',
      'StoreImageMetadata',
      'GenerateRendition',
      'DetectLabels',
      'GenerateThumbnail',
      'RecordReady',
    ]) {
      await expect(outcome(state), state).resolves.toBe('succeeded');
    }
    await expect(outcome('RecordRejection')).resolves.toBe('skipped');
    await expect(outcome('RecordFailure')).resolves.toBe('skipped');
    await expect(page.getByTestId('timeline').locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(7);

    await page.screenshot({ path: join(SCREENSHOTS, 'photo-view.png'), fullPage: true });
  });

  it("opens a HEIC photo's view: its upright display rendition, its EXIF and GenerateRendition", async () => {
    await page.goBack();
    // The HEIC: the card whose thumbnail is portrait.
    let opened = false;
    for (const candidate of await page.locator('[data-testid=photo-card][data-status=ready]').all()) {
      const { w, h } = await candidate.locator('img').evaluate((img) => ({
        w: (img as HTMLImageElement).naturalWidth,
        h: (img as HTMLImageElement).naturalHeight,
      }));
      if (h > w) {
        await candidate.click();
        opened = true;
        break;
      }
    }
    expect(opened).toBe(true);

    const view = page.getByTestId('photo-view');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('ready');
    const shown = view.locator('figure img[data-source=rendition]');
    await expect
      .poll(
        () =>
          shown.evaluate((img) => ({
            w: (img as HTMLImageElement).naturalWidth,
            h: (img as HTMLImageElement).naturalHeight,
          })),
        { timeout: 30_000 },
      )
      .toEqual({ w: 1536, h: 2048 });
    expect(new URL((await shown.getAttribute('src')) ?? '').pathname).toMatch(/^\/[^/]+\/Renditions\//);
    await expect(page.getByTestId('rendition-caption').textContent()).resolves.toMatch(
      /Display copy, 1536 × 2048 px JPEG.*HEIF\/HEIC: most browsers cannot show it/,
    );
    const exif = await page.getByTestId('photo-exif').textContent();
    expect(exif).toMatch(/iPhone 13 Pro Max/);
    expect(exif).toMatch(/3024\s*[×x]\s*4032/);
    expect(exif).toMatch(/HEIF/);
    await expect(
      page
        .getByTestId('state-machine')
        .locator('[data-state=GenerateRendition]')
        .getAttribute('data-outcome'),
    ).resolves.toBe('succeeded');
    await page.screenshot({ path: join(SCREENSHOTS, 'photo-view-heic.png'), fullPage: true });
  });

  it('shows where a rejected photo stopped', async () => {
    await page.goBack();
    await page.locator('[data-testid=photo-card][data-status=rejected]').click();
    const machine = page.getByTestId('state-machine');
    await expect
      .poll(() => machine.locator('[data-state=NotSupportedImageType]').getAttribute('data-outcome'), {
        timeout: 30_000,
      })
      .toBe('failed');
    await expect(
      machine.locator('[data-state=StoreImageMetadata]').getAttribute('data-outcome'),
    ).resolves.toBe('skipped');
  });

  it('can be used with the keyboard alone', async () => {
    // A fresh load of the gallery: focus starts at the top of the page.
    await page.goto(cloud.endpoints.web!);
    // The pointer off the cards: a hover shadow must not pass for a focus ring.
    await page.mouse.move(0, 0);
    const cards = page.getByTestId('photo-card');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(4);

    // Tab reaches "Choose photos…", which shows where the focus is.
    const choose = page.getByRole('button', { name: /Choose photos/ });
    await expect(tabUntil(choose, 10)).resolves.toBe(true);
    expect(await focusRing(choose)).toMatchObject({ focused: true, visible: true });

    // Further on, a photo card; Enter opens its view.
    const card = page.locator('[data-testid=photo-card]:focus');
    await expect(tabUntil(card, 15)).resolves.toBe(true);
    expect(await focusRing(card)).toMatchObject({ focused: true, visible: true });
    const photoId = await card.getAttribute('data-photo-id');
    expect(photoId).toBeTruthy();
    await page.keyboard.press('Enter');
    const view = page.getByTestId('photo-view');
    await expect.poll(() => view.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(new URL(page.url()).hash).toBe(`#/photos/${photoId}`);
    await expect.poll(() => page.locator('#photo-title').textContent(), { timeout: 30_000 }).not.toBe('');
    // Focus moved into the view, so the next Tab is inside it.
    await expect(view.evaluate((el) => el.contains(document.activeElement))).resolves.toBe(true);

    // Escape: back to the gallery, focus on the card that was opened.
    await page.keyboard.press('Escape');
    await expect.poll(() => view.isHidden(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => cards.first().isVisible()).toBe(true);
    expect(new URL(page.url()).hash).not.toMatch(/^#\/photos\//);
    await expect
      .poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.photoId))
      .toBe(photoId);

    // Leave the rejected photo open for the delete test below, again with the keyboard.
    await page.locator('[data-testid=photo-card][data-status=rejected]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('rejected');
  });

  it('fits a phone: the gallery in two columns, the photo view without sideways scrolling', async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const errors: string[] = [];
    phone.on('pageerror', (error) => errors.push(error.message));
    phone.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await phone.goto(cloud.endpoints.web!);
      const cards = phone.getByTestId('photo-card');
      await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(4);
      await expect
        .poll(
          () => phone.locator('[data-testid=photo-card][data-status=ready][data-thumbnail=loaded]').count(),
          { timeout: 30_000 },
        )
        .toBe(3);

      // Two columns: the first two cards side by side, the third on the next row.
      const boxes = await cards.evaluateAll((els) =>
        (els as HTMLElement[]).map((el) => ({
          top: el.offsetTop,
          left: el.offsetLeft,
          width: el.offsetWidth,
        })),
      );
      expect(boxes[0].top).toBe(boxes[1].top);
      expect(boxes[1].left).toBeGreaterThan(boxes[0].left);
      expect(boxes[2].top).toBeGreaterThan(boxes[0].top);
      expect(boxes[2].left).toBe(boxes[0].left);
      expect(await horizontalOverflow(phone)).toEqual({
        overflows: false,
        scrollWidth: 390,
        innerWidth: 390,
      });
      await phone.screenshot({ path: join(SCREENSHOTS, 'phone-gallery.png'), fullPage: true });

      // The photo view, with the state machine and the timeline, fits the width too.
      await phone.locator('[data-testid=photo-card][data-status=ready]').first().tap();
      const view = phone.getByTestId('photo-view');
      await expect.poll(() => view.getAttribute('data-status'), { timeout: 30_000 }).toBe('ready');
      await expect
        .poll(() => phone.getByTestId('timeline').locator('tbody tr').count(), { timeout: 30_000 })
        .toBeGreaterThanOrEqual(7);
      await expect(phone.getByTestId('state-machine').isVisible()).resolves.toBe(true);
      expect(await horizontalOverflow(phone)).toMatchObject({ overflows: false, innerWidth: 390 });
      expect(errors).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('deletes a photo', async () => {
    await page.getByTestId('delete-photo').click();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => page.getByTestId('photo-card').count(), { timeout: 30_000 }).toBe(3);
    expect((globalThis as { pageErrors?: string[] }).pageErrors).toEqual([]);
  });
});

/** Presses Tab until `target` has the focus; false when it did not get it within `maxPresses`. */
async function tabUntil(target: Locator, maxPresses: number): Promise<boolean> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press('Tab');
    if ((await target.count()) === 1 && (await target.evaluate((el) => el === document.activeElement)))
      return true;
  }
  return false;
}

/** Whether the element has the focus and shows it: an outline or a box shadow. */
function focusRing(target: Locator): Promise<{ focused: boolean; visible: boolean; style: string }> {
  return target.evaluate((el) => {
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    return {
      focused: el === document.activeElement,
      visible: outline || style.boxShadow !== 'none',
      style: `outline: ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}; box-shadow: ${style.boxShadow}`,
    };
  });
}

function horizontalOverflow(target: Page) {
  return target.evaluate(() => ({
    overflows: document.documentElement.scrollWidth > window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}
