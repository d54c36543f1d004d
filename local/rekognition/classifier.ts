/**
 * ImageNet-1k classifier for the local Rekognition stand-in: Google's MobileNetV2 1.0/224
 * (quantization-aware trained, uint8 weights), vendored in models/mobilenet-v2 (see models/NOTICE.md).
 * It names what a photo shows (a baboon, a lighthouse, an espresso); taxonomy.json turns its 1000
 * classes into Rekognition's labels and parents.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { GraphModel, TfRuntime } from './tf-runtime';

export const CLASSIFIER_INPUT_SIZE = 224;
const MODEL_URL = pathToFileURL(
  fileURLToPath(new URL('./models/mobilenet-v2/model.json', import.meta.url)),
).href;
/** The model's 1001 outputs start with a "background" class; ImageNet's 1000 follow in synset order. */
const BACKGROUND_OUTPUTS = 1;
const IMAGENET_CLASSES = 1000;
/** Top-class probability under which the mirror image is classified too. */
const SURE_PROBABILITY = 0.7;
/** Classes below this probability cannot move any label's confidence; dropping them keeps messages small. */
const MIN_PROBABILITY = 0.001;

export interface ClassScore {
  /** ImageNet class index, 0-999, in synset order (taxonomy.json `imagenet`). */
  readonly index: number;
  /** Softmax probability, 0-1. */
  readonly probability: number;
}

export class ImageClassifier {
  private constructor(
    private readonly model: GraphModel,
    private readonly tf: TfRuntime['tf'],
  ) {}

  static async load({ tf }: TfRuntime): Promise<ImageClassifier> {
    const model = await tf.loadGraphModel(MODEL_URL);
    const classifier = new ImageClassifier(model, tf);
    // The first inference compiles and allocates; pay for it at load, not on the first request.
    classifier.classify(Buffer.alloc(CLASSIFIER_INPUT_SIZE * CLASSIFIER_INPUT_SIZE * 3));
    return classifier;
  }

  /**
   * `pixels`: RGB, 224 x 224, row-major. Returns the classes worth reporting, most probable first.
   * When the photo alone leaves the classifier unsure, its mirror image is classified too and the two
   * averaged: a label should not hinge on which way the subject faces, and borderline scores (the
   * ones MinConfidence cuts) steady. A sure answer does not pay for the second pass.
   */
  classify(pixels: Buffer): ClassScore[] {
    const size = CLASSIFIER_INPUT_SIZE;
    if (pixels.length !== size * size * 3) {
      throw new RangeError(`The classifier takes ${size}x${size} RGB pixels, got ${pixels.length} bytes`);
    }
    const { tf } = this;
    // MobileNetV2 was trained on inputs scaled to [-1, 1].
    const image = tf.tidy(() =>
      tf.sub(tf.div(tf.tensor4d(Float32Array.from(pixels), [1, size, size, 3]), 127.5), 1),
    );
    let values: Float32Array;
    try {
      values = this.probabilities(image);
      if (Math.max(...values) < SURE_PROBABILITY) {
        const mirrored = this.probabilities(tf.reverse(image, 2), true);
        values = values.map((v, i) => (v + mirrored[i]) / 2);
      }
    } finally {
      image.dispose();
    }
    if (values.length !== BACKGROUND_OUTPUTS + IMAGENET_CLASSES) {
      throw new Error(
        `The classifier returned ${values.length} scores, expected ${BACKGROUND_OUTPUTS + IMAGENET_CLASSES}`,
      );
    }
    const scores: ClassScore[] = [];
    for (let index = 0; index < IMAGENET_CLASSES; index++) {
      const probability = values[index + BACKGROUND_OUTPUTS];
      if (probability >= MIN_PROBABILITY) scores.push({ index, probability });
    }
    return scores.sort((a, b) => b.probability - a.probability);
  }

  /** The model's softmax for one image batch; `dispose` frees the input afterwards. */
  private probabilities(input: tfjs.Tensor, dispose = false): Float32Array {
    const output = this.model.execute(input);
    try {
      return output.dataSync() as Float32Array;
    } finally {
      output.dispose();
      if (dispose) input.dispose();
    }
  }
}
