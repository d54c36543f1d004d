/**
 * What a run found, shaped for people (a text table, or Markdown for the README) and for machines
 * (the JSON object). Every figure sits next to its ratio against a baseline of the same run.
 */
import type { LocalCloudResult } from './local-cloud';
import type { RawSharpResult } from './raw-sharp';
import type { RecognizerResult } from './recognizer';
import { ratio, type TargetResult } from './stats';

export interface BenchReport {
  startedAt: string;
  durationMs: number;
  machine: {
    cpus: number;
    availableParallelism: number;
    cpuModel: string;
    memoryGb: number;
    /** 1-minute load average when the run started: other work on the machine skews every figure. */
    loadAverageAtStart: number;
    node: string;
    platform: string;
  };
  settings: {
    photos: number;
    distinctPhotos: number;
    inFlight: number;
    recognizerRequests: number;
    uploadConcurrency: number;
    quick: boolean;
  };
  rawSharp: RawSharpResult;
  recognizer: RecognizerResult;
  localCloud: LocalCloudResult;
  ratios: {
    recognizerNOverOne: number;
    burstOverRawSharp: number;
    burstOverRecognizerN: number;
    burstP50OverSingle: number;
    singleOverRecognizerLatency: number;
    eventLoopP99OverRecognizerLatency: number;
  };
  targets: TargetResult[];
  allTargetsMet: boolean;
}

export function ratiosOf(
  r: Pick<BenchReport, 'rawSharp' | 'recognizer' | 'localCloud'>,
): BenchReport['ratios'] {
  return {
    recognizerNOverOne: ratio(r.recognizer.many.requestsPerSecond, r.recognizer.one.requestsPerSecond),
    burstOverRawSharp: ratio(r.localCloud.burst.photosPerSecond, r.rawSharp.photosPerSecond),
    burstOverRecognizerN: ratio(r.localCloud.burst.photosPerSecond, r.recognizer.many.requestsPerSecond),
    burstP50OverSingle: ratio(r.localCloud.burst.latencyP50Ms, r.localCloud.singleP50Ms),
    singleOverRecognizerLatency: ratio(r.localCloud.singleP50Ms, r.recognizer.one.latencyP50Ms),
    eventLoopP99OverRecognizerLatency: ratio(
      r.localCloud.burst.eventLoop.p99Ms,
      r.recognizer.one.latencyP50Ms,
    ),
  };
}

export const formatRate = (perSecond: number, unit: string) =>
  `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1)} ${unit}/s`;
export const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const formatRatio = (value: number) =>
  Number.isNaN(value) ? 'n/a' : `${value < 0.1 ? value.toFixed(3) : value.toFixed(2)}x`;

type Row = [measure: string, value: string, ratio: string];

function resultRows(report: BenchReport): Row[] {
  const { rawSharp, recognizer, localCloud: cloud, ratios, settings } = report;
  const n = settings.inFlight;
  const burst = cloud.burst;
  const statuses = Object.entries(burst.statuses)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  return [
    [
      `Raw sharp: metadata + thumbnail, ${rawSharp.inFlight} in flight`,
      formatRate(rawSharp.photosPerSecond, 'photos'),
      'baseline',
    ],
    [
      'Recognizer alone, 1 in flight',
      `${formatRate(recognizer.one.requestsPerSecond, 'req')}, p50 ${formatMs(recognizer.one.latencyP50Ms)}`,
      'baseline',
    ],
    [
      `Recognizer alone, ${n} in flight`,
      `${formatRate(recognizer.many.requestsPerSecond, 'req')}, p50 ${formatMs(recognizer.many.latencyP50Ms)}`,
      `${formatRatio(ratios.recognizerNOverOne)} 1 in flight`,
    ],
    [
      'Local cloud: start, ready / model loaded',
      `${formatMs(cloud.startMs)} / ${formatMs(cloud.warmMs)}`,
      '',
    ],
    [
      `Warm single photo, upload → terminal (p50 of ${cloud.singleMs.length})`,
      formatMs(cloud.singleP50Ms),
      `${formatRatio(ratios.singleOverRecognizerLatency)} recognizer latency`,
    ],
    [
      `Burst of ${burst.photos}, throughput (${statuses})`,
      formatRate(burst.photosPerSecond, 'photos'),
      `${formatRatio(ratios.burstOverRawSharp)} raw sharp, ${formatRatio(ratios.burstOverRecognizerN)} recognizer bound`,
    ],
    [
      'Burst, upload → terminal p50 / p95',
      `${formatMs(burst.latencyP50Ms)} / ${formatMs(burst.latencyP95Ms)}`,
      `p50 ${formatRatio(ratios.burstP50OverSingle)} single photo`,
    ],
    [
      `Burst, all ${burst.photos} uploaded (${burst.uploadConcurrency} in flight)`,
      formatMs(burst.uploadMs),
      '',
    ],
    [
      'Burst, main process event-loop delay p99 (max)',
      `${formatMs(burst.eventLoop.p99Ms)} (${formatMs(burst.eventLoop.maxMs)})`,
      // Near 1x: something as long as an inference runs on the cloud's main thread.
      `${formatRatio(ratios.eventLoopP99OverRecognizerLatency)} recognizer latency`,
    ],
  ];
}

function targetRows(report: BenchReport): Row[] {
  return report.targets.map((t) => [
    t.label,
    formatRatio(t.ratio),
    `>= ${t.min}x ${t.pass ? 'pass' : 'FAIL'}`,
  ]);
}

function stepRows(report: BenchReport): Row[] {
  return report.localCloud.burst.steps.map((s) => [s.step, formatMs(s.p50Ms), formatMs(s.p95Ms)]);
}

function costRows(report: BenchReport): Row[] {
  const cost = report.localCloud.cost;
  const usd = (amount: number) => (Number.isNaN(amount) ? 'n/a' : `$${amount.toFixed(2)}`);
  return [cost.standard, cost.express].map((w) => [
    `${w.workflowType}: Step Functions ${usd(w.stepFunctionsUsd)} + Lambda ${usd(w.lambdaUsd)}`,
    usd(w.excludingRekognitionUsd),
    `<= ${usd(w.targetUsd)} ${w.meetsTarget ? 'met' : 'NOT met'}; Rekognition adds ${usd(w.rekognitionUsd)}`,
  ]);
}

function costLine(report: BenchReport): string {
  const { perPhoto: p, photos, region, pricesAsOf } = report.localCloud.cost;
  return (
    `Per photo (mean of ${photos} distinct photos run one at a time): ${p.stateTransitions.toFixed(1)} state transitions, ` +
    `${p.lambdaRequests.toFixed(1)} Lambda invocations, ${p.lambdaGbSeconds.toFixed(3)} GB-s (Task times on this machine), ` +
    `${formatMs(p.executionMs)} per execution; ${region} prices as of ${pricesAsOf}. ` +
    'Not included: the upload trigger (ImageProcStartExecution), S3 and DynamoDB requests.'
  );
}

function machineLine(report: BenchReport): string {
  const { machine: m, settings: s } = report;
  return (
    `${s.photos} uploads of ${s.distinctPhotos} distinct photos; ${m.cpus} cpus (${m.cpuModel}), ` +
    `${m.memoryGb} GB, Node ${m.node}, ${report.localCloud.dynamoEngine}; ` +
    `load average ${m.loadAverageAtStart.toFixed(2)} at start; ${report.startedAt.slice(0, 16)}Z`
  );
}

function textTable(header: Row, rows: Row[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (row: Row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function markdownTable(header: Row, rows: Row[]): string {
  const line = (row: Row) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** The report's tables in order: each one's header and how its rows are read from the report. */
const TABLES: readonly [header: Row, rows: (report: BenchReport) => Row[]][] = [
  [['Measure', 'Value', 'Ratio'], resultRows],
  [['Target', 'Ratio', 'Needed'], targetRows],
  [['Where a burst photo’s time goes', 'p50', 'p95'], stepRows],
  [['Cost per million photos (excl. Rekognition)', 'Total', 'Target'], costRows],
];

/** Every table, drawn by `draw` (plain text or Markdown), a blank line between two. */
function tables(report: BenchReport, draw: (header: Row, rows: Row[]) => string): string {
  return TABLES.map(([header, rows]) => draw(header, rows(report))).join('\n\n');
}

export function formatText(report: BenchReport): string {
  return [
    machineLine(report),
    '',
    tables(report, textTable),
    costLine(report),
    '',
    report.allTargetsMet ? 'All targets met.' : 'Some targets were missed.',
  ].join('\n');
}

/** The README's tables, ready to paste. */
export function formatMarkdown(report: BenchReport): string {
  return [`${machineLine(report)}.`, '', tables(report, markdownTable), '', costLine(report)].join('\n');
}
