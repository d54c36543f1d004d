/**
 * `npm run bench`: how fast the local cloud processes photos, against the bounds its parts set, on the
 * same photos in one run: (1) sharp alone, (2) the Rekognition stand-in alone, (3) a warm local cloud.
 * Ratios, not absolute figures, are what to compare between runs: these machines are noisy.
 */
import '../local/node-notice';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatFormatsTable, measureFormats } from './formats';
import { measureLocalCloud } from './local-cloud';
import { cycle, loadPhotoSet } from './photos';
import { createProgress } from './progress';
import { measureRawSharp } from './raw-sharp';
import { measureRecognizer } from './recognizer';
import { type BenchReport, formatMarkdown, formatText, ratiosOf } from './report';
import { evaluateTargets } from './stats';

const USAGE = `Usage: npm run bench [-- options]

Measures, on the same photos (../shared/fixtures, cycled): sharp alone, the Rekognition stand-in alone
(1 and N requests in flight), then a burst through a warm local cloud started as \`npm start\` does
(temporary state folder, free ports). Progress on stderr, results on stdout.

Options:
  --photos <n>      uploads in the burst, and photos in the sharp phase (default 200; --quick: 20)
  --in-flight <n>   requests in flight for the "N in flight" figures (default: available cores, ${os.availableParallelism()})
  --dynamodb-local  run the local cloud on DynamoDB Local, as \`npm start -- --dynamodb-local\` does (default: dynalite)
  --formats         instead: what each accepted format costs GenerateRendition (decode + 2048 px rendition
                    per photo of formats/ and unsupported/, time and peak memory on one core; bundle sizes)
  --quick           small numbers, for a smoke test
  --json            print one JSON object (the last line of stdout) instead of the tables
  --markdown        print the tables as Markdown, for the README (with --json: both, JSON last)
  -h, --help        this text`;

const { values: flags } = parseArgs({
  options: {
    photos: { type: 'string' },
    'in-flight': { type: 'string' },
    'dynamodb-local': { type: 'boolean' },
    formats: { type: 'boolean' },
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    markdown: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const wholeNumber = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    console.error(`--${flag} must be a whole number of at least 1, got "${value}"\n\n${USAGE}`);
    process.exit(2);
  }
  return number;
};
const quick = flags.quick === true;
const photoCount = wholeNumber('photos', flags.photos, quick ? 20 : 200);
const inFlight = wholeNumber('in-flight', flags['in-flight'], os.availableParallelism());
// Enough requests that each throughput spans many inferences, few enough to keep the run short.
const recognizerRequests = Math.max(2 * inFlight, Math.round(photoCount / 5));
const uploadConcurrency = 16;

const progress = createProgress();
if (flags.formats) {
  const report = await measureFormats(quick ? 2 : 4, progress);
  if (!flags.json || flags.markdown) console.log(formatFormatsTable(report, flags.markdown === true));
  if (flags.json) console.log(JSON.stringify(report));
  process.exit(0);
}
const started = Date.now();
const startedAt = new Date(started).toISOString();
const loadAverageAtStart = os.loadavg()[0];

try {
  const distinct = await loadPhotoSet();
  const photos = cycle(distinct, photoCount);
  progress.log(
    `Benchmark: ${photoCount} photos (${distinct.length} distinct), ${inFlight} in flight, ${os.cpus().length} cpus`,
  );

  const rawSharp = await measureRawSharp(photos, os.availableParallelism(), progress);
  const recognizer = await measureRecognizer(photos.slice(0, recognizerRequests), inFlight, progress);
  const localCloud = await measureLocalCloud({
    photos,
    // The local cloud runs two execution environments per function: start both of each.
    warmUpPhotos: Math.max(2, inFlight),
    singleTries: quick ? 1 : 3,
    uploadConcurrency,
    cloudFlags: flags['dynamodb-local'] ? ['--dynamodb-local'] : [],
    progress,
  });

  const measured = { rawSharp, recognizer, localCloud };
  const targets = evaluateTargets(
    {
      rawSharp: rawSharp.photosPerSecond,
      recognizerOne: recognizer.one.requestsPerSecond,
      recognizerN: recognizer.many.requestsPerSecond,
      burst: localCloud.burst.photosPerSecond,
    },
    inFlight,
  );
  const report: BenchReport = {
    startedAt,
    durationMs: Date.now() - started,
    machine: {
      cpus: os.cpus().length,
      availableParallelism: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      loadAverageAtStart,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    settings: {
      photos: photoCount,
      distinctPhotos: distinct.length,
      inFlight,
      recognizerRequests,
      uploadConcurrency,
      quick,
    },
    ...measured,
    ratios: ratiosOf(measured),
    targets,
    allTargetsMet: targets.every((t) => t.pass),
  };
  progress.end();
  if (recognizer.firstError) progress.log(`Recognizer errors, the first: ${recognizer.firstError}`);
  // --markdown --json prints both, the JSON last, so one run can fill the README and be kept.
  if (flags.markdown) console.log(formatMarkdown(report));
  else if (!flags.json) console.log(formatText(report));
  if (flags.json) console.log(JSON.stringify(report));
} catch (error) {
  progress.end();
  console.error(`The benchmark failed: ${(error as Error).message}`);
  process.exit(1);
}
