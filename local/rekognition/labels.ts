/**
 * The models' evidence → Rekognition's DetectLabels answer: names, parents, categories and aliases
 * from taxonomy.json, instances (boxes) from the detector, confidences from both models.
 */
import type { DetectLabelsResponse, Label } from '@aws-sdk/client-rekognition';
import type { ClassScore } from './classifier';
import { taxonomy } from './taxonomy';

/** One object found by the detector, its box in ratios of the (EXIF-oriented) image, like Rekognition's. */
export interface Detection {
  /** COCO-80 class name as the model reports it: 'person', 'cat', 'cell phone', ... */
  readonly className: string;
  /** The detector's own score, 0-1 (a CenterNet heatmap peak, not a probability). */
  readonly score: number;
  readonly box: {
    readonly left: number;
    readonly top: number;
    readonly width: number;
    readonly height: number;
  };
}

/** What the models found in a photo (a Recognition, less its timings). */
export interface Evidence {
  readonly detections: readonly Detection[];
  readonly classes: readonly ClassScore[];
}

export interface LabelOptions {
  /** Rekognition's MaxLabels: keep the n labels of highest confidence (parents count). @default no limit */
  readonly maxLabels?: number;
  /** Rekognition's MinConfidence, 0-100. @default 55 (the service's default) */
  readonly minConfidence?: number;
}

export const DEFAULT_MIN_CONFIDENCE = 55;
export const LABEL_MODEL_VERSION = '3.0';

type Curve = ReadonlyArray<readonly [x: number, confidence: number]>;

/**
 * CenterNet scores are heatmap peaks: clear objects score 0.35-0.8, and on the shared fixtures every
 * false positive (giraffes in a landscape, an umbrella on a leaf) stays at or under 0.3. Rekognition
 * reports clear objects at 90+ and filters at 55 by default. This monotone piecewise-linear map puts
 * score 0.3 at confidence 55, so the service's default threshold keeps the same meaning here.
 */
const DETECTOR_CURVE: Curve = [
  [0, 0],
  [0.15, 20],
  [0.3, 55],
  [0.45, 80],
  [0.6, 90],
  [0.8, 97],
  [1, 99.9],
];

/**
 * The classifier's probability for a label (a class, or the summed probability of every class under
 * a parent: P(Dog) is the sum over 120 breeds) → confidence. MobileNetV2's softmax spreads over
 * look-alike classes (tabby 66%, tiger cat 27%), so a label a person accepts often holds a third of
 * the mass; 0.35 maps to 70, the pipeline's default MinConfidence, and a probability of 0.15 (right
 * about one time in three on ImageNet) to 50, under it.
 */
const CLASSIFIER_CURVE: Curve = [
  [0, 0],
  [0.05, 25],
  [0.15, 50],
  [0.35, 70],
  [0.6, 85],
  [0.8, 93],
  [1, 99.5],
];

function interpolate(curve: Curve, x: number): number {
  const v = Math.min(1, Math.max(0, x));
  for (let i = 1; i < curve.length; i++) {
    const [x1, c1] = curve[i];
    if (v <= x1) {
      const [x0, c0] = curve[i - 1];
      return c0 + ((v - x0) / (x1 - x0)) * (c1 - c0);
    }
  }
  return curve[curve.length - 1][1];
}

export const calibrateConfidence = (score: number) => interpolate(DETECTOR_CURVE, score);
export const calibrateProbability = (probability: number) => interpolate(CLASSIFIER_CURVE, probability);

/** Two independent sources that agree are surer than either: 1 - (1-a)(1-b), in percent. */
const combine = (a: number, b: number) => 100 - ((100 - a) * (100 - b)) / 100;

const titleCase = (name: string) => name.replace(/\b\w/g, (c) => c.toUpperCase());

/** A COCO class name in Rekognition's words; unknown names are title-cased rather than dropped. */
export function rekognitionLabelName(className: string): string {
  return taxonomy().coco[className] ?? titleCase(className);
}

/** All ancestors of a label, nearest first. */
export function ancestorsOf(name: string): readonly string[] {
  return taxonomy().labels[name]?.parents ?? [];
}

type Instance = NonNullable<Label['Instances']>[number];

interface Candidate {
  detector: number;
  classifier: number;
  instances: Instance[];
  /** Insertion order: a child is inserted before its parents, which breaks confidence ties. */
  order: number;
}

/**
 * Evidence → DetectLabels labels. Each label's confidence combines the classifier's (its summed
 * probability, calibrated) and the detector's (its best instance, calibrated); a parent is at least as
 * sure as its surest child, as Rekognition does. Instances are the detector's boxes. MinConfidence
 * applies to labels and instances; labels sort by confidence, a child before its parent on ties, and
 * are cut to MaxLabels.
 */
export function toRekognitionLabels(evidence: Evidence, options: LabelOptions = {}): Label[] {
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const { labels: known, imagenet } = taxonomy();
  const candidates = new Map<string, Candidate>();
  const candidate = (name: string): Candidate => {
    let found = candidates.get(name);
    if (!found) {
      found = { detector: 0, classifier: 0, instances: [], order: candidates.size };
      candidates.set(name, found);
    }
    return found;
  };

  // Most probable class first, each before its ancestors; a parent's probability sums its classes'.
  const mass = new Map<string, number>();
  for (const { index, probability } of [...evidence.classes].sort((a, b) => b.probability - a.probability)) {
    const name = imagenet[index];
    if (name === undefined) continue;
    for (const label of [name, ...ancestorsOf(name)]) {
      candidate(label);
      mass.set(label, (mass.get(label) ?? 0) + probability);
    }
  }
  for (const [name, probability] of mass) candidate(name).classifier = calibrateProbability(probability);

  const detections = [...evidence.detections].sort((a, b) => b.score - a.score);
  for (const detection of detections) {
    const name = rekognitionLabelName(detection.className);
    const confidence = calibrateConfidence(detection.score);
    const own = candidate(name);
    if (confidence >= minConfidence) {
      own.instances.push({
        BoundingBox: {
          Width: detection.box.width,
          Height: detection.box.height,
          Left: detection.box.left,
          Top: detection.box.top,
        },
        Confidence: confidence,
      });
    }
    for (const label of [name, ...ancestorsOf(name)]) {
      const entry = candidate(label);
      entry.detector = Math.max(entry.detector, confidence);
    }
  }

  const confidence = new Map<string, number>();
  for (const [name, entry] of candidates) confidence.set(name, combine(entry.detector, entry.classifier));
  // A parent is at least as sure as any child.
  for (const [name, value] of [...confidence]) {
    for (const parent of ancestorsOf(name))
      confidence.set(parent, Math.max(confidence.get(parent) ?? 0, value));
  }

  const labels: Label[] = [...candidates]
    .map(([name, entry]) => ({ name, entry, value: confidence.get(name) ?? 0 }))
    .filter(({ value }) => value >= minConfidence)
    .sort((a, b) => b.value - a.value || a.entry.order - b.entry.order)
    .map(({ name, entry, value }) => ({
      Name: name,
      Confidence: value,
      Instances: entry.instances,
      Parents: ancestorsOf(name).map((Name) => ({ Name })),
      Aliases: (known[name]?.aliases ?? []).map((Name) => ({ Name })),
      Categories: (known[name]?.categories ?? []).map((Name) => ({ Name })),
    }));
  return options.maxLabels === undefined ? labels : labels.slice(0, options.maxLabels);
}

export function toDetectLabelsResponse(evidence: Evidence, options: LabelOptions = {}): DetectLabelsResponse {
  return { Labels: toRekognitionLabels(evidence, options), LabelModelVersion: LABEL_MODEL_VERSION };
}
