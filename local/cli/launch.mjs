/**
 * Runs a command-line tool of this repo (`node local/cli/launch.mjs local/pipeline.ts [args...]`,
 * what `npm run pipeline` does) from a precompiled bundle instead of through tsx's loader.
 *
 * Why: tsx transpiles on the fly through a loader thread that every import of the process passes
 * through, the AWS SDK's hundreds of files included; that costs a quick command about as long again
 * as the command itself. The bundle (esbuild, this repo's TypeScript only; packages stay external
 * and load natively) is kept in node_modules/.cache/photo-cli/ with the list of the files it was
 * built from, and built again (in well under a second) when one of them has changed. Plain
 * JavaScript, so it runs before anything can be transpiled.
 *
 * Modules keep their own location: `import.meta.url` in each source becomes that source's URL, so
 * paths built from it (cdk.json, the state folder) mean what they mean under tsx. A module the tool
 * loads only sometimes, and which is heavy, stays out of the bundle by being imported through
 * local/cli/import-typescript.ts, which brings in tsx's loader only then.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'photo-cli');
/** Bump when the way bundles are made changes, so old ones are not reused. */
const BUNDLE_FORMAT = 1;

const [entryArg, ...args] = process.argv.slice(2);
if (!entryArg) {
  console.error('Usage: node local/cli/launch.mjs <tool.ts> [args...]');
  process.exit(2);
}
const entry = resolve(REPO_ROOT, entryArg);
const id = createHash('sha256').update(`${BUNDLE_FORMAT}\n${entry}`).digest('hex').slice(0, 12);
const bundle = join(CACHE_DIR, `${basename(entry, '.ts')}-${id}.mjs`);
const manifest = `${bundle}.inputs.json`;

if (!isCurrent()) await build();
// The tool reads its arguments from process.argv as if it had been started directly.
process.argv = [process.argv[0], bundle, ...args];
await import(pathToFileURL(bundle).href);

/** Whether the bundle exists and every file it was built from is as it was then. */
function isCurrent() {
  try {
    const { inputs } = JSON.parse(readFileSync(manifest, 'utf8'));
    statSync(bundle);
    return Object.entries(inputs).every(([file, stamp]) => {
      const stat = statSync(file);
      return `${stat.size}:${stat.mtimeMs}` === stamp;
    });
  } catch {
    return false; // no bundle yet, a file gone, or a torn manifest: build
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  // Written aside, then renamed: two tools starting at once never run a half-written bundle.
  const temporary = `${bundle}.${process.pid}.tmp.mjs`;
  const result = await esbuild({
    entryPoints: [entry],
    outfile: temporary,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    metafile: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'module-urls',
        setup(builder) {
          builder.onLoad({ filter: /\.[cm]?ts$/ }, async ({ path }) => ({
            // A module-scoped constant, which esbuild renames per module when it merges them.
            contents:
              `const __moduleUrl = ${JSON.stringify(pathToFileURL(path).href)};\n` +
              (await readFile(path, 'utf8')).replaceAll('import.meta.url', '__moduleUrl'),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = resolve(REPO_ROOT, input);
    const stat = statSync(file);
    inputs[file] = `${stat.size}:${stat.mtimeMs}`;
  }
  renameSync(temporary, bundle);
  writeFileSync(manifest, JSON.stringify({ entry, inputs }, null, 2));
}
