import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATES } from '../../lambda/shared/workflow';
import { assigned, FakeElement, FakeEvent, fakeDocument, fakeLocation, installFakeDom } from './fake-dom';

const PORT = 4712;
let server: ChildProcess;
const doc = fakeDocument;
const $ = (selector: string) => doc.documentElement.querySelector(selector);
const $$ = (selector: string) => doc.documentElement.querySelectorAll(selector);

async function until<T>(fn: () => T | null | undefined | false, what: string, timeout = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() - start > timeout) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // node itself (not npx) so that kill() stops the server.
  server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('server.ts', import.meta.url))],
    {
      env: { ...process.env, MOCK_PORT: String(PORT) },
      stdio: 'pipe',
    },
  );
  await new Promise<void>((resolve) => server.stdout?.on('data', () => resolve()));
  installFakeDom(`http://localhost:${PORT}/`);
  const body = doc.body;
  const mk = (tag: string, id: string) => {
    const el = new FakeElement(tag);
    el.setAttribute('id', id);
    return el;
  };
  const main = mk('main', 'main');
  main.append(mk('div', 'app'));
  body.append(mk('a', 'skip-link'), mk('div', 'session'), main, mk('div', 'announcer'));
  await import('../src/main');
}, 60_000); // The mock synthesizes the app for config.json's workflow graph before it listens.

afterAll(() => {
  server?.kill();
});

const file = (name: string, type: string) => new File([new Uint8Array(1000)], name, { type });

it('signs in as the local user, uploads and follows each photo', async () => {
  const user = await until(() => $('[data-testid=current-user]'), 'current user');
  expect(user.textContent).toBe('Signed in as local-user (local cloud)');
  await until(() => $('.gallery-summary')?.textContent?.includes('No photos yet'), 'empty gallery');

  const input = $('[data-testid=file-input]')!;
  input.files = [
    file('cat.jpg', 'image/jpeg'),
    file('scan.tiff', 'image/tiff'),
    file('fail.jpg', 'image/jpeg'),
    file('s3error.jpg', 'image/jpeg'),
    file('notes.txt', 'text/plain'),
  ];
  input.dispatchEvent(new FakeEvent('change'));
  expect($$('[data-testid=upload-row]').length).toBe(5);

  const statuses = () =>
    $$('[data-testid=photo-card]')
      .map((c) => c.getAttribute('data-status'))
      .sort()
      .join(',');
  await until(() => statuses() === 'failed,ready,rejected', `final statuses (now ${statuses()})`);
  const rows = $$('[data-testid=upload-row]');
  const row = (name: string) => rows.find((r) => r.getAttribute('data-file-name') === name)!;
  expect(row('s3error.jpg').getAttribute('data-state')).toBe('error');
  expect(row('s3error.jpg').visibleText).toContain('Policy expired');
  expect(row('notes.txt').visibleText).toContain('not an image');
  expect(row('cat.jpg').getAttribute('data-photo-status')).toBe('ready');
  expect(row('cat.jpg').querySelector('progress')!.value).toBe(100);

  const rejected = $('[data-testid=photo-card][data-status=rejected]')!;
  expect(rejected.querySelector('[data-testid=photo-reason]')!.textContent).toMatch(/TIFF/);
  expect($('[data-testid=photo-card][data-status=ready] [data-testid=photo-reason]')).toBeNull();
  expect($('[data-testid=photo-card][data-status=ready] img')!.getAttribute('src')).toMatch(
    /^data:image\/svg/,
  );
  expect($('[data-testid=photo-card][data-status=rejected] img')).toBeNull();
  expect($('#announcer')!.textContent).not.toBe('');
});

it('opens the photo view with labels, EXIF, the state machine and the timeline', async () => {
  const card = $('[data-testid=photo-card][data-status=ready]')!;
  card.click();
  await until(() => $('[data-testid=photo-view][data-status=ready]'), 'photo view');
  expect($('.gallery-view')!.hasAttribute('hidden')).toBe(true);
  expect($('[data-testid=photo-labels]')!.visibleText).toContain('Cup96.4%');
  const exif = $('[data-testid=photo-exif]')!.visibleText;
  expect(exif).toContain('600 × 400 px');
  expect(exif).toContain('JPEG');
  expect(exif).toContain('52.374030, 4.889690');
  expect(exif).toContain('https://www.openstreetmap.org/?mlat=52.374030');
  expect(exif).toContain('CameraCanon EOS 40D');
  expect(exif).toContain('240 KB');
  const outcome = (state: string) =>
    $(`[data-testid=state-machine] [data-state=${state}]`)!.getAttribute('data-outcome');
  for (const s of [
    STATES.extractImageMetadata,
    STATES.imageTypeCheck,
    STATES.storeImageMetadata,
    STATES.processImage,
    STATES.detectLabels,
    STATES.generateThumbnail,
    STATES.recordReady,
    STATES.photoReady,
  ]) {
    expect(outcome(s), s).toBe('succeeded');
  }
  expect(outcome(STATES.recordRejection)).toBe('skipped');
  expect($('[data-testid=state-machine] [data-state=PhotoReady]')!.getAttribute('data-stopped')).toBe('true');
  expect($$('[data-testid=timeline] tbody tr').length).toBe(8);

  // Escape returns to the gallery.
  fakeDocument.fire(new FakeEvent('keydown', { key: 'Escape' }));
  await until(() => !$('.gallery-view')!.hasAttribute('hidden'), 'gallery again');
  expect($('[data-testid=photo-view]')!.hasAttribute('hidden')).toBe(true);
  expect(fakeDocument.activeElement).toBe(card);
});

it('shows where the failed photo failed, then deletes it', async () => {
  $('[data-testid=photo-card][data-status=failed]')!.click();
  await until(() => $('[data-testid=photo-view][data-status=failed]'), 'failed view');
  const node = (state: string) => $(`[data-testid=state-machine] [data-state=${state}]`)!;
  expect(node(STATES.generateThumbnail).getAttribute('data-outcome')).toBe('failed');
  expect(node(STATES.generateThumbnail).getAttribute('class')).toContain('sm-failed-here');
  expect(node(STATES.detectLabels).getAttribute('class')).toContain('sm-aborted');
  expect(node(STATES.recordFailure).getAttribute('data-outcome')).toBe('succeeded');
  expect(node(STATES.imageProcessingFailed).getAttribute('data-outcome')).toBe('failed');
  expect(node(STATES.recordReady).getAttribute('data-outcome')).toBe('skipped');
  expect($('.sm-caption')!.textContent).toContain('Failed in GenerateThumbnail');
  expect($('[data-testid=photo-view-reason]')!.textContent).toContain('too large');

  $('[data-testid=delete-photo]')!.click();
  expect($('.confirm')!.hasAttribute('hidden')).toBe(false);
  // Escape cancels the confirm step first.
  fakeDocument.fire(new FakeEvent('keydown', { key: 'Escape' }));
  expect($('.confirm')!.hasAttribute('hidden')).toBe(true);
  expect($('[data-testid=photo-view]')!.hasAttribute('hidden')).toBe(false);
  $('[data-testid=delete-photo]')!.click();
  $('[data-testid=confirm-delete]')!.click();
  await until(() => $$('[data-testid=photo-card]').length === 2, 'card removed');
  await until(() => !$('.gallery-view')!.hasAttribute('hidden'), 'gallery after delete');
});

it('filters by label and clears the filter', async () => {
  const filter = $('[data-testid=label-filter]')!;
  expect($$('#label-suggestions option').map((o) => o.getAttribute('value'))).toContain('Cup');
  filter.value = 'cup';
  filter.dispatchEvent(new FakeEvent('input'));
  await until(() => $$('[data-testid=photo-card]').length === 1, 'filtered');
  expect($('.gallery-summary')!.textContent).toContain('labelled “cup”');
  $('[data-testid=clear-filter]')!.click();
  await until(() => $$('[data-testid=photo-card]').length === 2, 'unfiltered');
});

it('opens a deep link, and goes back with the Back link', async () => {
  const id = $('[data-testid=photo-card][data-status=rejected]')!.getAttribute('data-photo-id');
  fakeLocation.hash = `#/photos/${id}`;
  await until(() => $('[data-testid=photo-view][data-status=rejected]'), 'rejected view');
  expect(
    $('[data-testid=state-machine] [data-state=NotSupportedImageType]')!.getAttribute('data-outcome'),
  ).toBe('failed');
  expect($('[data-testid=state-machine] [data-state=StoreImageMetadata]')!.getAttribute('data-outcome')).toBe(
    'skipped',
  );
  expect($('.image-placeholder')!.textContent).toContain('TIFF');
  $('[data-testid=back]')!.click();
  await until(() => !$('.gallery-view')!.hasAttribute('hidden'), 'gallery after back');

  fakeLocation.hash = '#/photos/nope';
  await until(() => $('[data-testid=photo-view][data-status=not-found]'), 'not found');
  fakeLocation.hash = '#/';
});

it('follows a photo in the view while it is processing', async () => {
  const input = $('[data-testid=file-input]')!;
  input.files = [file('live.jpg', 'image/jpeg')];
  input.dispatchEvent(new FakeEvent('change'));
  const row = $$('[data-testid=upload-row]').find((r) => r.getAttribute('data-file-name') === 'live.jpg')!;
  const link = await until(
    () => !row.querySelector('.upload-link')!.hasAttribute('hidden') && row.querySelector('.upload-link'),
    'view link',
  );
  link.click();
  await until(() => $('[data-testid=photo-view][data-status=processing]'), 'processing view');
  const running = await until(
    () =>
      $$('[data-testid=state-machine] [data-outcome=running]')
        .map((n) => n.getAttribute('data-state'))
        .join(','),
    'a running state',
  );
  console.log('running:', running, '|', $('.sm-caption')!.textContent);
  await until(() => $('[data-testid=photo-view][data-status=ready]'), 'ready without reload', 15_000);
  await until(
    () => $('[data-testid=state-machine] [data-state=PhotoReady][data-outcome=succeeded]'),
    'end state',
  );
  await until(() => /now ready/.test($('#announcer')!.textContent), 'announcement');
  fakeLocation.hash = '#/';
});

it('signs out and in again', async () => {
  $('[data-testid=sign-out]')!.click();
  const signIn = await until(() => $('[data-testid=sign-in]'), 'sign-in button');
  expect($('[data-testid=current-user]')).toBeNull();
  expect(assigned).toEqual([]);
  signIn.click();
  await until(() => $('[data-testid=current-user]'), 'signed in again');
  await until(() => $$('[data-testid=photo-card]').length === 3, 'gallery again');
});
