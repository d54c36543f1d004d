import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Human } from '@vladmandic/human';
import sharp, { type OutputInfo } from 'sharp';
import { type Detection, MIN_DETECTOR_SCORE } from './labels';

/**
 * COCO-80 object detector for the local Rekognition stand-in: the CenterNet model shipped inside the
 * @vladmandic/human package, run by human on the tfjs WASM backend (SIMD, one thread in Node).
 * Everything is read from node_modules; nothing is fetched at run time.
 */

/** CenterNet's fixed input: human resizes whatever it gets to this square. */
export const MODEL_INPUT_SIZE = 512;
/** Letterbox colour: the mid-grey usual for detectors trained with letterboxed inputs. */
const PAD_VALUE = 114;
const MAX_DETECTIONS = 20;

export interface DetectionResult {
  readonly detections: Detection[];
  /** Decoding, orienting and scaling with sharp. */
  readonly decodeMs: number;
  /** Model inference, waiting in the queue excluded. */
  readonly inferenceMs: number;
}

/** What the server needs from a detector; tests may pass their own. */
export interface LabelDetector {
  detect(image: Buffer): Promise<DetectionResult>;
  /** Loads the model now instead of on the first request; resolves to the load time in ms. */
  load(): Promise<number>;
}

/** Pixel data that sharp cannot decode: the server answers it as an invalid image format. */
export class ImageDecodeError extends Error {
  constructor(cause: unknown) {
    super(`Image pixels do not decode: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ImageDecodeError';
  }
}

interface PreparedInput {
  /** RGB, row-major, `side` x `side`: the image top-left, the rest letterbox padding. */
  readonly pixels: Buffer;
  readonly side: number;
  /** The oriented image's size inside the square. */
  readonly width: number;
  readonly height: number;
}

/**
 * Orients (EXIF), flattens alpha onto white, converts to 8-bit sRGB and, when larger than the model
 * input, downscales with sharp; then pads to a square so the model sees the true aspect ratio.
 * Smaller images are not enlarged here: the model's own bilinear resize scored better on the shared
 * fixtures than sharp's upscaling kernels (cat.jpg: 0.45 against 0.29-0.31).
 */
export async function prepareInput(image: Buffer, maxSide = MODEL_INPUT_SIZE): Promise<PreparedInput> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(image)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new ImageDecodeError(error);
  }
  const { data, info } = decoded;
  if (info.channels !== 3)
    throw new ImageDecodeError(`expected 3 channels after conversion, got ${info.channels}`);
  const side = Math.max(info.width, info.height);
  const pixels = Buffer.alloc(side * side * 3, PAD_VALUE);
  const rowBytes = info.width * 3;
  for (let y = 0; y < info.height; y++) {
    data.copy(pixels, y * side * 3, y * rowBytes, (y + 1) * rowBytes);
  }
  return { pixels, side, width: info.width, height: info.height };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** human's box `[x, y, w, h]` in ratios of the padded square → ratios of the image, clipped to it. */
export function toImageBox(
  boxRaw: readonly number[],
  input: Pick<PreparedInput, 'side' | 'width' | 'height'>,
): Detection['box'] | undefined {
  const [x, y, w, h] = boxRaw;
  const sx = input.side / input.width;
  const sy = input.side / input.height;
  const left = clamp01(x * sx);
  const top = clamp01(y * sy);
  const width = clamp01((x + w) * sx) - left;
  const height = clamp01((y + h) * sy) - top;
  return width > 0 && height > 0 ? { left, top, width, height } : undefined;
}

interface PackagePaths {
  readonly humanNodeWasm: string;
  readonly modelDir: string;
  readonly wasmDir: string;
}

function resolvePackagePaths(): PackagePaths {
  const require = createRequire(import.meta.url);
  // human's "exports" map spells its dist entries without "./", so Node only resolves the package root
  // (dist/human.node.js, which needs @tensorflow/tfjs-node). The WASM build sits next to it.
  const humanDist = path.dirname(require.resolve('@vladmandic/human'));
  return {
    humanNodeWasm: path.join(humanDist, 'human.node-wasm.js'),
    modelDir: path.join(humanDist, '..', 'models'),
    wasmDir: path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')),
  };
}

const routedEngines = new WeakSet<object>();

/**
 * tfjs-core can load models over http(s) only; tfjs-node adds file://, but it cannot be installed
 * here. This router serves file:// model.json URLs (and their weight shards) from disk.
 */
function registerFileModelLoader(tf: typeof tfjs): void {
  if (routedEngines.has(tf.io)) return;
  routedEngines.add(tf.io);
  const router = (url: string | string[]) => {
    const modelUrl = Array.isArray(url) ? url[0] : url;
    if (typeof modelUrl !== 'string' || !modelUrl.startsWith('file://')) return null;
    const jsonPath = fileURLToPath(modelUrl);
    const handler: tfjs.io.IOHandler = {
      async load() {
        const modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as tfjs.io.ModelJSON;
        return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
          const specs = manifest.flatMap((group) => group.weights);
          const shards = await Promise.all(
            manifest
              .flatMap((group) => group.paths)
              .map((p) => readFile(path.join(path.dirname(jsonPath), p))),
          );
          const all = Buffer.concat(shards);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
        });
      },
    };
    return handler;
  };
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
}

type HumanConstructor = new (config: object) => Human;

interface LoadedModel {
  readonly human: Human;
  readonly tf: typeof tfjs;
}

async function loadModel(paths: PackagePaths): Promise<LoadedModel> {
  const { Human: HumanCtor } = createRequire(import.meta.url)(paths.humanNodeWasm) as {
    Human: HumanConstructor;
  };
  const human = new HumanCtor({
    backend: 'wasm',
    // tfjs appends the .wasm file name to this prefix.
    wasmPath: `${paths.wasmDir}${path.sep}`,
    modelBasePath: `${pathToFileURL(paths.modelDir).href}/`,
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
    // Each request is a different photo: never hand back the previous frame's result.
    cacheSensitivity: 0,
    skipAllowed: false,
    filter: { enabled: false },
    face: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
    object: {
      enabled: true,
      modelPath: 'centernet.json',
      minConfidence: MIN_DETECTOR_SCORE,
      maxDetected: MAX_DETECTIONS,
      iouThreshold: 0.4,
      skipFrames: 0,
      skipTime: 0,
    },
  });
  const tf = human.tf as typeof tfjs;
  registerFileModelLoader(tf);
  await human.load();
  if (tf.getBackend() !== 'wasm') {
    throw new Error(`tfjs backend is '${tf.getBackend()}', expected 'wasm' (wasm files in ${paths.wasmDir})`);
  }
  if (!human.models.loaded().includes('centernet')) {
    throw new Error(
      `CenterNet did not load from ${paths.modelDir}: is @vladmandic/human installed completely?`,
    );
  }
  // The first inference compiles and allocates; pay for it here, not on the first request.
  const blank = tf.zeros([MODEL_INPUT_SIZE, MODEL_INPUT_SIZE, 3], 'int32');
  try {
    await human.detect(blank as tfjs.Tensor3D);
  } finally {
    blank.dispose();
  }
  return { human, tf };
}

/**
 * Loads the model once, on first use, and runs one inference at a time (WASM runs on the calling
 * thread; on two cores a queue is as fast as parallel calls and keeps memory flat). Decoding with
 * sharp happens outside the queue, on libuv's pool.
 */
export class ObjectDetector implements LabelDetector {
  private model?: Promise<LoadedModel>;
  private tail: Promise<unknown> = Promise.resolve();
  private loadMsValue?: number;

  /** Milliseconds the model took to load (import, WASM init, weights, warm-up), once loaded. */
  public get loadMs(): number | undefined {
    return this.loadMsValue;
  }

  public async load(): Promise<number> {
    await this.ensureModel();
    return this.loadMsValue!;
  }

  public async detect(image: Buffer): Promise<DetectionResult> {
    const started = performance.now();
    const input = await prepareInput(image);
    const decodeMs = performance.now() - started;
    return this.serialize(async () => {
      const { human, tf } = await this.ensureModel();
      const inferenceStarted = performance.now();
      const tensor = tf.tensor3d(input.pixels, [input.side, input.side, 3], 'int32');
      let result: Awaited<ReturnType<Human['detect']>>;
      try {
        result = await human.detect(tensor);
      } finally {
        tensor.dispose();
      }
      if (result.error) throw new Error(`Object detection failed: ${result.error}`);
      const detections: Detection[] = [];
      for (const object of result.object) {
        const box = toImageBox(object.boxRaw, input);
        if (box) detections.push({ className: object.label, score: object.score, box });
      }
      return { detections, decodeMs, inferenceMs: performance.now() - inferenceStarted };
    });
  }

  private ensureModel(): Promise<LoadedModel> {
    if (!this.model) {
      const started = performance.now();
      this.model = loadModel(resolvePackagePaths()).then(
        (loaded) => {
          this.loadMsValue = performance.now() - started;
          return loaded;
        },
        (error: unknown) => {
          this.model = undefined; // let the next request try again
          throw error;
        },
      );
    }
    return this.model;
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

let shared: ObjectDetector | undefined;

/** One detector per process: tfjs' engine and its WASM backend are process-wide anyway. */
export function sharedObjectDetector(): ObjectDetector {
  shared ??= new ObjectDetector();
  return shared;
}
