import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp } from '../../local/web-build';

describe('the web app build the local cloud serves', () => {
  let outDir: string;
  const stampPath = () => join(outDir, '.build-inputs.json');
  const builtAt = () => statSync(join(outDir, 'index.html')).mtimeMs;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'web-build-'));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('builds and records every file it read, the shared API contract and the Vite config included', async () => {
    expect(await buildWebApp(outDir)).toBe(outDir);

    const stamp = JSON.parse(readFileSync(stampPath(), 'utf8')) as { inputs: Record<string, string> };
    const files = Object.keys(stamp.inputs);
    for (const suffix of [
      'web/index.html',
      'web/src/main.ts',
      'web/src/styles.css',
      'lambda/shared/api.ts',
      'web/vite.config.ts',
    ]) {
      expect(
        files.some((file) => file.endsWith(suffix)),
        suffix,
      ).toBe(true);
    }
    expect(readFileSync(join(outDir, 'index.html'), 'utf8')).toContain('<script');
  }, 60_000);

  it('reuses the build while none of those files changed', async () => {
    const before = builtAt();

    await buildWebApp(outDir);

    expect(builtAt()).toBe(before);
  }, 60_000);

  it('builds again when one of them changed since (here: its recorded hash no longer matches)', async () => {
    const before = builtAt();
    const stamp = JSON.parse(readFileSync(stampPath(), 'utf8')) as { inputs: Record<string, string> };
    const [first] = Object.keys(stamp.inputs);
    writeFileSync(stampPath(), JSON.stringify({ ...stamp, inputs: { ...stamp.inputs, [first]: 'stale' } }));
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later mtime for the rebuilt file

    await buildWebApp(outDir);

    expect(builtAt()).toBeGreaterThan(before);
    expect(JSON.parse(readFileSync(stampPath(), 'utf8')).inputs[first]).not.toBe('stale');
  }, 60_000);
});
