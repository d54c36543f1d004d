import { describe, expect, it } from 'vitest';
import {
  ancestorsOf,
  COCO_LABEL_NAMES,
  calibrateConfidence,
  DEFAULT_MIN_CONFIDENCE,
  type Detection,
  rekognitionLabelName,
  toDetectLabelsResponse,
  toRekognitionLabels,
} from '../../local/rekognition/labels';

const box = { left: 0.1, top: 0.2, width: 0.3, height: 0.4 };
const detection = (className: string, score: number): Detection => ({ className, score, box });

describe('calibrateConfidence', () => {
  it('puts the detector score 0.3 at Rekognition default MinConfidence', () => {
    // Act
    const confidence = calibrateConfidence(0.3);

    // Assess
    expect(confidence).toBe(DEFAULT_MIN_CONFIDENCE);
  });

  it('is monotone and stays within 0-100', () => {
    // Prepare
    const scores = Array.from({ length: 101 }, (_, i) => i / 100);

    // Act
    const confidences = scores.map(calibrateConfidence);

    // Assess
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeGreaterThan(confidences[i - 1]);
    expect(confidences[0]).toBe(0);
    expect(confidences.at(-1)).toBeLessThanOrEqual(100);
  });
});

describe('label names and parents', () => {
  it('names every COCO-80 class', () => {
    // Assess
    expect(Object.keys(COCO_LABEL_NAMES)).toHaveLength(80);
    expect(rekognitionLabelName('person')).toBe('Person');
    expect(rekognitionLabelName('cell phone')).toBe('Mobile Phone');
  });

  it('title-cases a class it does not know instead of dropping it', () => {
    // Assess
    expect(rekognitionLabelName('space ship')).toBe('Space Ship');
  });

  it('gives a cat every ancestor, nearest first', () => {
    // Assess
    expect(ancestorsOf('Cat')).toEqual(['Pet', 'Mammal', 'Animal']);
    expect(ancestorsOf('Car')).toEqual(['Vehicle', 'Transportation']);
    expect(ancestorsOf('Banana')).toEqual(['Fruit', 'Food', 'Plant']);
    expect(ancestorsOf('Person')).toEqual([]);
  });
});

describe('toRekognitionLabels', () => {
  it('makes one label per class with the best instance confidence and every instance', () => {
    // Prepare
    const detections = [detection('dog', 0.5), detection('dog', 0.7)];

    // Act
    const labels = toRekognitionLabels(detections);

    // Assess
    const dog = labels.find((l) => l.Name === 'Dog');
    expect(dog?.Confidence).toBeCloseTo(calibrateConfidence(0.7));
    expect(dog?.Instances).toHaveLength(2);
    expect(dog?.Instances?.[0].BoundingBox).toEqual({ Width: 0.3, Height: 0.4, Left: 0.1, Top: 0.2 });
  });

  it('emits parents as labels of their own, with the child confidence and no instances', () => {
    // Act
    const labels = toRekognitionLabels([detection('cat', 0.45)]);

    // Assess
    expect(labels.map((l) => l.Name)).toEqual(['Cat', 'Pet', 'Mammal', 'Animal']);
    const pet = labels.find((l) => l.Name === 'Pet');
    expect(pet).toMatchObject({
      Confidence: labels[0].Confidence,
      Instances: [],
      Parents: [{ Name: 'Animal' }],
    });
    expect(labels[0].Parents).toEqual([{ Name: 'Pet' }, { Name: 'Mammal' }, { Name: 'Animal' }]);
    expect(labels[0].Categories).toEqual([{ Name: 'Animals and Pets' }]);
  });

  it('gives a shared parent the confidence of its best child', () => {
    // Act
    const labels = toRekognitionLabels([detection('apple', 0.35), detection('banana', 0.5)]);

    // Assess
    expect(labels.find((l) => l.Name === 'Fruit')?.Confidence).toBeCloseTo(calibrateConfidence(0.5));
  });

  it('sorts by confidence, highest first', () => {
    // Act
    const labels = toRekognitionLabels([
      detection('cup', 0.4),
      detection('person', 0.6),
      detection('car', 0.5),
    ]);

    // Assess
    const confidences = labels.map((l) => l.Confidence ?? 0);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    expect(labels[0].Name).toBe('Person');
  });

  it('drops labels and instances under MinConfidence (55 by default)', () => {
    // Prepare
    const detections = [detection('dog', 0.7), detection('dog', 0.2), detection('umbrella', 0.25)];

    // Act
    const labels = toRekognitionLabels(detections);

    // Assess
    expect(labels.map((l) => l.Name)).not.toContain('Umbrella');
    expect(labels.find((l) => l.Name === 'Dog')?.Instances).toHaveLength(1);
  });

  it('keeps low-confidence labels when MinConfidence is lowered', () => {
    // Act
    const labels = toRekognitionLabels([detection('umbrella', 0.25)], { minConfidence: 0 });

    // Assess
    expect(labels.map((l) => l.Name)).toContain('Umbrella');
  });

  it('cuts the sorted list at MaxLabels, parents counted', () => {
    // Act
    const labels = toRekognitionLabels([detection('cat', 0.6), detection('person', 0.5)], { maxLabels: 2 });

    // Assess
    expect(labels.map((l) => l.Name)).toEqual(['Cat', 'Pet']);
  });

  it('answers an empty list for MaxLabels 0 or no detections', () => {
    // Assess
    expect(toRekognitionLabels([detection('cat', 0.6)], { maxLabels: 0 })).toEqual([]);
    expect(toRekognitionLabels([])).toEqual([]);
  });
});

describe('toDetectLabelsResponse', () => {
  it('carries the label model version', () => {
    // Act
    const response = toDetectLabelsResponse([detection('person', 0.8)]);

    // Assess
    expect(response.LabelModelVersion).toBe('3.0');
    expect(response.Labels?.[0].Name).toBe('Person');
  });
});
