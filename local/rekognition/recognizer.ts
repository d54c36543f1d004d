/**
 * The stand-in's recognizer on the current thread: decode once, then the object detector (where
 * things are) and the ImageNet classifier (what the photo shows). recognizer-pool.ts runs one of
 * these in each of several worker threads; tests may run one directly.
 */
import type { ClassScore } from './classifier';
import { ImageClassifier } from './classifier';
import { ObjectDetector } from './detector';
import type { Detection } from './labels';
import { prepareImage } from './prepare';
import { tfRuntime } from './tf-runtime';

/** Everything the models found in one photo; labels.ts turns it into Rekognition's answer. */
export interface Recognition {
  readonly detections: readonly Detection[];
  readonly classes: readonly ClassScore[];
  /** Decoding, orienting and scaling with sharp. */
  readonly decodeMs: number;
  /** Model inference, waiting for a free model excluded. */
  readonly inferenceMs: number;
}

/** What the server needs from a recognizer; tests may pass their own. */
export interface Recognizer {
  /** Photos it works on at once. */
  readonly concurrency: number;
  recognize(image: Buffer): Promise<Recognition>;
  /** Loads the models now instead of on the first request; resolves to the load time in ms. */
  load(): Promise<number>;
  /** Releases threads and models. Idempotent. */
  close(): Promise<void>;
}

interface Models {
  readonly detector: ObjectDetector;
  readonly classifier: ImageClassifier;
}

/**
 * Loads the models once, on first use, and runs one inference at a time: WASM runs on the calling
 * thread, so parallel calls would only interleave. Decoding happens outside that queue.
 */
export class ModelRecognizer implements Recognizer {
  public readonly concurrency = 1;
  private models?: Promise<Models>;
  private tail: Promise<unknown> = Promise.resolve();
  private loadMs = 0;

  async load(): Promise<number> {
    await this.ensureModels();
    return this.loadMs;
  }

  async recognize(image: Buffer): Promise<Recognition> {
    const started = performance.now();
    const prepared = await prepareImage(image);
    const decodeMs = performance.now() - started;
    return this.serialize(async () => {
      const { detector, classifier } = await this.ensureModels();
      const inferenceStarted = performance.now();
      const classes = classifier.classify(prepared.classifier);
      const detections = await detector.detect(prepared.detector);
      return { detections, classes, decodeMs, inferenceMs: performance.now() - inferenceStarted };
    });
  }

  async close(): Promise<void> {
    // tfjs' engine lives as long as its thread; the pool ends threads to free it.
  }

  private ensureModels(): Promise<Models> {
    if (!this.models) {
      const started = performance.now();
      this.models = (async () => {
        const runtime = await tfRuntime();
        const models = {
          detector: await ObjectDetector.load(runtime),
          classifier: await ImageClassifier.load(runtime),
        };
        this.loadMs = performance.now() - started;
        return models;
      })().catch((error: unknown) => {
        this.models = undefined; // let the next request try again
        throw error;
      });
    }
    return this.models;
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
