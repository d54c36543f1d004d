import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = fileURLToPath(new URL('../web', import.meta.url));

/**
 * Builds the web app (web/) into outDir with Vite and returns outDir, or null when the project has
 * no web app. The local cloud serves the result at its web URL.
 */
export async function buildWebApp(outDir: string): Promise<string | null> {
  if (!existsSync(join(WEB_DIR, 'index.html'))) return null;
  const { build } = await import('vite');
  await build({
    root: WEB_DIR,
    configFile: join(WEB_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
