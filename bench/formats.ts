/**
 * `npm run bench -- --formats`: what each accepted format costs GenerateRendition. For every photo in
 * formats/ and unsupported/: decode, resize to 2048 px and encode, timed (median of the runs after
 * the first, which pays libheif's instantiation), and the process's peak memory, each photo in a
 * process of its own pinned to one core (one Lambda vCPU, which 1769 MB buys); and the size of the
 * function's bundle against GenerateThumbnail's, built with the options PipelineFunction gives esbuild.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { FormatDecodeResult } from './format-decode';
import { FIXTURES_DIR } from './photos';
import type { Progress } from './progress';
import { percentile } from './stats';

const run = promisify(execFile);
const REPO_ROOT = new URL('..', import.meta.url).pathname;
const FOLDERS = ['formats', 'unsupported'];

export interface FormatCost extends FormatDecodeResult {
  /** Median wall time of the warm runs. */
  warmMs: number;
  /** Median CPU time of the warm runs: the figure to compare on a shared machine. */
  warmCpuMs: number;
  /** The first run's CPU time: libheif's WebAssembly instantiation included. */
  firstCpuMs: number;
}

export interface BundleSize {
  handler: string;
  /** index.mjs, minified. */
  codeBytes: number;
  /** index.mjs.map. */
  sourceMapBytes: number;
}

export interface FormatsReport {
  pinnedToOneCore: boolean;
  runs: number;
  formats: FormatCost[];
  bundles: BundleSize[];
}

export async function measureFormats(runs: number, progress: Progress): Promise<FormatsReport> {
  const files = FOLDERS.flatMap((folder) =>
    readdirSync(join(FIXTURES_DIR, folder))
      .filter((file) => !file.startsWith('.'))
      .map((file) => join(FIXTURES_DIR, folder, file)),
  );
  const pinned = existsSync('/usr/bin/taskset');
  progress.phase('Formats: decode + rendition', files.length);
  const formats: FormatCost[] = [];
  for (const [index, file] of files.entries()) {
    const node = [process.execPath, '--import', 'tsx', 'bench/format-decode.ts', file, String(runs)];
    const [command, ...args] = pinned ? ['/usr/bin/taskset', '-c', '0', ...node] : node;
    const { stdout } = await run(command, args, { cwd: REPO_ROOT, maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string) as FormatDecodeResult;
    const warm = (times: number[]) => Math.round(percentile(times.length > 1 ? times.slice(1) : times, 50));
    formats.push({
      ...result,
      file: relative(FIXTURES_DIR, file),
      warmMs: warm(result.timesMs),
      warmCpuMs: warm(result.cpuMs),
      firstCpuMs: result.cpuMs[0],
    });
    progress.update(index + 1, relative(FIXTURES_DIR, file));
  }
  progress.end();
  return { pinnedToOneCore: pinned, runs, formats, bundles: await bundleSizes() };
}

/** The two image functions' bundles, built as PipelineFunction has esbuild build them (sharp installed beside). */
async function bundleSizes(): Promise<BundleSize[]> {
  const out = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  try {
    const sizes: BundleSize[] = [];
    for (const handler of ['generate-rendition', 'generate-thumbnail']) {
      const outfile = join(out, handler, 'index.mjs');
      await build({
        entryPoints: [join(REPO_ROOT, 'lambda', handler, 'handler.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minify: true,
        sourcemap: true,
        mainFields: ['module', 'main'],
        external: ['sharp'],
        outfile,
        logLevel: 'silent',
      });
      sizes.push({
        handler,
        codeBytes: statSync(outfile).size,
        sourceMapBytes: statSync(`${outfile}.map`).size,
      });
    }
    return sizes;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function formatFormatsTable(report: FormatsReport, markdown: boolean): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const header = [
    'Photo',
    'Decoder',
    'Size',
    'MP',
    'CPU (warm)',
    'CPU (first run)',
    'Wall (warm)',
    'Peak memory',
  ];
  const rows = report.formats.map((f) => [
    f.file,
    f.decoder,
    mb(f.sizeBytes),
    f.megapixels.toFixed(1),
    seconds(f.warmCpuMs),
    seconds(f.firstCpuMs),
    seconds(f.warmMs),
    `${f.peakRssMb} MB (${f.baselineRssMb} MB before)`,
  ]);
  const [rendition, thumbnail] = report.bundles;
  const bundleLine = `Bundle: generate-rendition ${mb(rendition.codeBytes)} code + ${mb(rendition.sourceMapBytes)} source map, generate-thumbnail ${mb(thumbnail.codeBytes)} + ${mb(thumbnail.sourceMapBytes)} (both ship sharp beside: about 21 MB for linux-arm64).`;
  const note = `${report.pinnedToOneCore ? 'Each photo in its own process pinned to one core, sharp on one thread' : 'Each photo in its own process (taskset not found: not pinned)'}; ${report.runs} runs, warm = median after the first. CPU time is the figure to compare: wall time grows with whatever else shares the core.`;
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(header), line(header.map(() => '---')), ...rows.map(line), '', bundleLine, note].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), ...rows.map(line), '', bundleLine, note].join('\n');
}
