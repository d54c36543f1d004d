/**
 * The benchmark's arithmetic: percentiles, rates, ratios and the targets they are judged on. Pure, so
 * it is unit-tested (test/bench/); nothing here reads a clock.
 */

/** The p-th percentile (0-100) by linear interpolation between the closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`A percentile is from 0 to 100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/** Items per second for `count` items done in `elapsedMs`. */
export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN;
}

/** a / b, NaN when either is unknown or b is zero (a ratio against a failed baseline means nothing). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** The figures the targets are computed from, all measured in the same run. */
export interface Throughputs {
  /** Raw sharp bound: metadata + thumbnail, cores-many in flight, photos/s. */
  rawSharp: number;
  /** The recognizer alone, one request at a time, requests/s. */
  recognizerOne: number;
  /** The recognizer alone, N requests in flight, requests/s. */
  recognizerN: number;
  /** The burst through a warm local cloud, photos/s. */
  burst: number;
}

export interface TargetResult {
  id: 'recognizer-scaling' | 'burst-vs-sharp' | 'burst-vs-recognizer';
  label: string;
  ratio: number;
  /** The ratio must be at least this. */
  min: number;
  pass: boolean;
}

/**
 * The targets, as ratios, because these machines are noisy: a figure is only compared with a
 * baseline measured minutes before on the same machine.
 */
export function evaluateTargets(t: Throughputs, inFlight: number): TargetResult[] {
  const target = (id: TargetResult['id'], label: string, value: number, min: number): TargetResult => ({
    id,
    label,
    ratio: value,
    min,
    // NaN (a phase that failed) never passes.
    pass: value >= min,
  });
  return [
    target(
      'recognizer-scaling',
      `Recognizer: ${inFlight} in flight / 1 in flight`,
      ratio(t.recognizerN, t.recognizerOne),
      1.8,
    ),
    target('burst-vs-sharp', 'Burst / raw sharp', ratio(t.burst, t.rawSharp), 0.05),
    target(
      'burst-vs-recognizer',
      `Burst / recognizer bound (${inFlight} in flight)`,
      ratio(t.burst, t.recognizerN),
      0.7,
    ),
  ];
}
