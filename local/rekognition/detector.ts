/**
 * COCO-80 object detector for the local Rekognition stand-in: the CenterNet model shipped inside the
 * @vladmandic/human package, run by human on the thread's tfjs runtime. It finds where things are
 * (boxes for Person, Car, Dog ...); the classifier says what the picture shows.
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Human } from '@vladmandic/human';
import type { Detection } from './labels';
import type { TfRuntime } from './tf-runtime';

/**
 * The square the detector sees. CenterNet ships for 512 px; at 384 it needs 0.56 of the work, finds
 * the same objects on the shared fixtures and the Debian sample photos (large ones score higher,
 * small distant ones a little lower), and that is the difference between a recognizer that keeps
 * up with a burst on two cores and one that does not (`npm run bench`).
 */
export const DETECTOR_INPUT_SIZE = 384;
/** CenterNet's heads work at a quarter of the input's resolution. */
const STRIDE = 4;
const MAX_DETECTIONS = 20;
/** The detector's minimum score worth reporting: confidence 20, well under any sensible MinConfidence. */
export const MIN_DETECTOR_SCORE = 0.15;

/** What the detector sees: the oriented image, at most 512 px a side, letterboxed into a square. */
export interface DetectorInput {
  /** RGB, row-major, `side` x `side`: the image top-left, the rest letterbox padding. */
  readonly pixels: Buffer;
  readonly side: number;
  /** The oriented image's size inside the square. */
  readonly width: number;
  readonly height: number;
}

/** human's settings: only the object detector, no caching between calls (each call is a new photo). */
export function detectorHumanConfig(modelBasePath: string): object {
  return {
    modelBasePath,
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
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
  };
}

const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  float16: 2,
  uint8: 1,
  bool: 1,
};

/**
 * CenterNet's graph is fully convolutional but was frozen for 512 px: its three upsampling sizes
 * and the width and area its decoder uses to turn peak indices into positions are constants. This
 * sets them (and the input's declared shape, which human reads to resize its input) for `size`.
 * Any other graph is refused rather than silently mis-patched.
 */
export function resizeCenterNet(artifacts: tfjs.io.ModelArtifacts, size: number): tfjs.io.ModelArtifacts {
  if (size % (STRIDE * 4) !== 0)
    throw new RangeError(`CenterNet's input must be a multiple of 16 px, got ${size}`);
  const feature = size / STRIDE;
  const constants: Record<string, number[]> = {
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': [feature / 4, feature / 4],
    'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': [feature / 2, feature / 2],
    'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': [feature, feature],
    'tower_0/BatchGather/concat': [feature * feature, 4],
    'tower_0/strided_slice_6': [feature],
  };
  const { weightSpecs = [], weightData } = artifacts;
  if (!(weightData instanceof ArrayBuffer)) throw new Error('CenterNet: expected its weights in one buffer');
  const data = weightData.slice(0);
  const view = new DataView(data);
  let offset = 0;
  let patched = 0;
  for (const spec of weightSpecs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const value = constants[spec.name];
    if (value) {
      if (spec.dtype !== 'int32' || spec.quantization || count !== value.length) {
        throw new Error(
          `CenterNet: ${spec.name} is not the int32[${value.length}] constant this code resizes`,
        );
      }
      for (const [i, v] of value.entries()) view.setInt32(offset + i * 4, v, true);
      patched++;
    }
    offset += count * BYTES_PER_ELEMENT[spec.quantization?.dtype ?? spec.dtype];
  }
  if (patched !== Object.keys(constants).length) {
    throw new Error(
      `CenterNet: found ${patched} of the ${Object.keys(constants).length} size constants; is this the model it was written for?`,
    );
  }
  const square = (shape: { dim?: { size: string }[] }) => {
    if (shape.dim?.length !== 4) throw new Error('CenterNet: its input is not a 4-dimensional image batch');
    shape.dim[1].size = String(size);
    shape.dim[2].size = String(size);
  };
  const topology = structuredClone(artifacts.modelTopology) as {
    node: { op: string; attr: { shape: { shape: { dim: { size: string }[] } } } }[];
  };
  const signature = structuredClone(artifacts.signature) as {
    inputs: Record<string, { tensorShape: { dim: { size: string }[] } }>;
  };
  for (const node of topology.node.filter((n) => n.op === 'Placeholder')) square(node.attr.shape.shape);
  for (const input of Object.values(signature.inputs)) square(input.tensorShape);
  return { ...artifacts, modelTopology: topology, signature, weightData: data };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** human's box `[x, y, w, h]` in ratios of the padded square → ratios of the image, clipped to it. */
export function toImageBox(
  boxRaw: readonly number[],
  input: Pick<DetectorInput, 'side' | 'width' | 'height'>,
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

export class ObjectDetector {
  private constructor(
    private readonly human: Human,
    private readonly tf: TfRuntime['tf'],
  ) {}

  /** Checks the model loaded and pays for the first inference (compilation, allocation) now. */
  static async load({ human, tf }: TfRuntime): Promise<ObjectDetector> {
    if (!human.models.loaded().includes('centernet')) {
      throw new Error(
        'CenterNet did not load from @vladmandic/human/models: is the package installed completely?',
      );
    }
    const detector = new ObjectDetector(human, tf);
    await detector.detect({
      pixels: Buffer.alloc(DETECTOR_INPUT_SIZE * DETECTOR_INPUT_SIZE * 3),
      side: DETECTOR_INPUT_SIZE,
      width: DETECTOR_INPUT_SIZE,
      height: DETECTOR_INPUT_SIZE,
    });
    return detector;
  }

  async detect(input: DetectorInput): Promise<Detection[]> {
    const tensor = this.tf.tensor3d(input.pixels, [input.side, input.side, 3], 'int32');
    let result: Awaited<ReturnType<Human['detect']>>;
    try {
      result = await this.human.detect(tensor as tfjs.Tensor3D);
    } finally {
      tensor.dispose();
    }
    if (result.error) throw new Error(`Object detection failed: ${result.error}`);
    const detections: Detection[] = [];
    for (const object of result.object) {
      const box = toImageBox(object.boxRaw, input);
      if (box) detections.push({ className: object.label, score: object.score, box });
    }
    return detections;
  }
}
