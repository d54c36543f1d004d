/**
 * One photo's display rendition, timed, in a process of its own (so its peak memory is its own):
 * `node --import tsx bench/format-decode.ts <file> <runs>`. Prints one JSON line (FormatDecodeResult).
 * Run by bench/formats.ts, pinned to one core with sharp on one thread: what one Lambda vCPU gives.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { renderRendition } from '../lambda/generate-rendition/generate-rendition';
import { decodeImage } from '../lambda/shared/decode-image';

export interface FormatDecodeResult {
  file: string;
  decoder: 'sharp' | 'libheif';
  width: number;
  height: number;
  megapixels: number;
  sizeBytes: number;
  /** Decode, resize to 2048 px and encode, each run (the first includes libheif's instantiation): wall time. */
  timesMs: number[];
  /**
   * The same runs' CPU time (user + system): on one thread it is the wall time on an idle core, and
   * unlike it, it does not grow when other processes share the core.
   */
  cpuMs: number[];
  /** Resident memory after loading the modules, before any decode. */
  baselineRssMb: number;
  /** The process's peak resident memory. */
  peakRssMb: number;
}

const [file, runsText = '3'] = process.argv.slice(2);
sharp.concurrency(1);
const bytes = readFileSync(file);
const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
const settings = { maxSide: 2048, maxImagePixels: 50_000_000 };
const timesMs: number[] = [];
const cpuMs: number[] = [];
for (let run = 0; run < Number(runsText); run++) {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await renderRendition(bytes, settings);
  const used = process.cpuUsage(cpu);
  timesMs.push(Math.round(performance.now() - started));
  cpuMs.push(Math.round((used.user + used.system) / 1000));
}
const decoded = await decodeImage(bytes, { ...settings, purpose: 'for the benchmark' });
const result: FormatDecodeResult = {
  file,
  decoder: decoded.decoder,
  width: decoded.width,
  height: decoded.height,
  megapixels: Math.round((decoded.width * decoded.height) / 100_000) / 10,
  sizeBytes: bytes.length,
  timesMs,
  cpuMs,
  baselineRssMb: Math.round(baselineRssMb),
  // maxRSS is in kilobytes.
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(JSON.stringify(result));
