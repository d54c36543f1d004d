/**
 * COCO-80 object detector for the local Rekognition stand-in: the CenterNet model shipped inside the
 * @vladmandic/human package, run by human on the thread's tfjs runtime. It finds where things are
 * (boxes for Person, Car, Dog ...); the classifier says what the picture shows.
 */
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Human } from '@vladmandic/human';
import type { Detection } from './labels';
import type { TfRuntime } from './tf-runtime';

/** CenterNet's fixed input: human resizes whatever it gets to this square. */
export const DETECTOR_INPUT_SIZE = 512;
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
