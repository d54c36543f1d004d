import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rollup } from 'vite';

const WEB_DIR = fileURLToPath(new URL('../web', import.meta.url));
/** Written into outDir after a build: what it was built from, to tell whether it is still current. */
const STAMP_FILE = '.build-inputs.json';

interface BuildStamp {
  vite: string;
  /** Every file the build read (absolute path), with the SHA-256 of its content then. */
  inputs: Record<string, string>;
}

/**
 * Builds the web app (web/) into outDir with Vite and returns outDir, or null when the project has
 * no web app. The local cloud serves the result at its web URL.
 *
 * A build takes seconds; `npm start` is run far more often than web/ changes. So the build records
 * the files it read (the modules Rollup bundled: sources, styles, index.html, the shared contract
 * under lambda/shared) with their hashes, and the next start rebuilds only if one of them, or
 * Vite's version, changed. A new file cannot slip past: something already in the build must change
 * to import it.
 */
export async function buildWebApp(outDir: string): Promise<string | null> {
  if (!existsSync(join(WEB_DIR, 'index.html'))) return null;
  const viteVersion = installedViteVersion();
  if (isCurrent(outDir, viteVersion)) return outDir;
  const { build } = await import('vite');
  const output = await build({
    root: WEB_DIR,
    configFile: join(WEB_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  // The config shapes the output too, though Rollup never bundles it.
  const configFile = join(WEB_DIR, 'vite.config.ts');
  const inputs: Record<string, string> = { [configFile]: digest(configFile) };
  for (const result of Array.isArray(output) ? output : [output as Rollup.RollupOutput]) {
    for (const item of result.output) {
      if (item.type !== 'chunk') continue;
      for (const id of [item.facadeModuleId, ...Object.keys(item.modules)]) {
        // Real files only: Vite's virtual modules ("\0vite/...") have no content to hash.
        if (id && !id.startsWith('\0') && existsSync(id)) inputs[id] = digest(id);
      }
    }
  }
  writeFileSync(join(outDir, STAMP_FILE), JSON.stringify({ vite: viteVersion, inputs } satisfies BuildStamp));
  return outDir;
}

function isCurrent(outDir: string, viteVersion: string): boolean {
  const stampPath = join(outDir, STAMP_FILE);
  if (!existsSync(stampPath) || !existsSync(join(outDir, 'index.html'))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as BuildStamp;
    const inputs = Object.entries(stamp.inputs ?? {});
    return (
      stamp.vite === viteVersion &&
      inputs.length > 0 &&
      inputs.every(([file, hash]) => existsSync(file) && digest(file) === hash)
    );
  } catch {
    return false; // A stamp from an interrupted write: build again.
  }
}

function digest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function installedViteVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('vite/package.json') as { version: string }).version;
}
