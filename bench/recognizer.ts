/**
 * Phase 2, the recognizer's bound: a standalone Rekognition stand-in (the one the local cloud runs)
 * answering DetectLabels with the photo bytes inline, first one request at a time, then N in flight.
 * In the local cloud every photo needs one such call, so the burst cannot beat the N-in-flight figure.
 */
import { performance } from 'node:perf_hooks';
import { startRekognitionServer } from '../local/rekognition/server';
import { mapLimit } from './map-limit';
import type { BenchPhoto } from './photos';
import type { Progress } from './progress';
import { percentile, perSecond } from './stats';

export interface RecognizerRun {
  inFlight: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export interface RecognizerResult {
  /** Model load time reported by warmUp(). */
  warmUpMs: number;
  one: RecognizerRun;
  many: RecognizerRun;
  /** The first error answer, to say why when errors > 0. */
  firstError?: string;
}

export async function measureRecognizer(
  photos: readonly BenchPhoto[],
  inFlight: number,
  progress: Progress,
): Promise<RecognizerResult> {
  const server = await startRekognitionServer();
  let firstError: string | undefined;
  // The same request the detect-labels function sends, with Bytes instead of an S3Object so the
  // figure is the recognizer's alone. Bodies are encoded up front: that is the client's work.
  const bodies = photos.map((photo) =>
    JSON.stringify({ Image: { Bytes: photo.bytes.toString('base64') }, MaxLabels: 10, MinConfidence: 70 }),
  );
  const detect = async (body: string): Promise<{ ms: number; ok: boolean }> => {
    const started = performance.now();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'RekognitionService.DetectLabels',
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) firstError ??= `HTTP ${response.status}: ${text.slice(0, 200)}`;
    return { ms: performance.now() - started, ok: response.ok };
  };
  const run = async (lanes: number): Promise<RecognizerRun> => {
    progress.phase(`Recognizer, ${lanes} in flight`, bodies.length);
    let done = 0;
    const started = performance.now();
    const results = await mapLimit(bodies, lanes, async (body) => {
      const result = await detect(body);
      progress.update(++done);
      return result;
    });
    const elapsedMs = performance.now() - started;
    progress.end();
    const latencies = results.map((r) => r.ms);
    return {
      inFlight: lanes,
      requests: results.length,
      errors: results.filter((r) => !r.ok).length,
      elapsedMs,
      requestsPerSecond: perSecond(results.length, elapsedMs),
      latencyP50Ms: percentile(latencies, 50),
      latencyP95Ms: percentile(latencies, 95),
    };
  };

  try {
    progress.log('Recognizer: loading the model...');
    const warmUpMs = await server.warmUp();
    // Untimed: the first inferences compile kernels (and start any workers) at every concurrency.
    await mapLimit(bodies.slice(0, inFlight * 2), inFlight, detect);
    const one = await run(1);
    const many = await run(inFlight);
    return { warmUpMs, one, many, ...(firstError ? { firstError } : {}) };
  } finally {
    await server.close();
  }
}
