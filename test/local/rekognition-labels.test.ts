import { describe, expect, it } from 'vitest';
import type { ClassScore } from '../../local/rekognition/classifier';
import {
  ancestorsOf,
  calibrateConfidence,
  calibrateProbability,
  DEFAULT_MIN_CONFIDENCE,
  type Detection,
  type Evidence,
  rekognitionLabelName,
  toDetectLabelsResponse,
  toRekognitionLabels,
} from '../../local/rekognition/labels';
import { taxonomy } from '../../local/rekognition/taxonomy';

const box = { left: 0.1, top: 0.2, width: 0.3, height: 0.4 };
const detection = (className: string, score: number): Detection => ({ className, score, box });
/** A classifier score for the ImageNet class the taxonomy names `label`. */
const cls = (label: string, probability: number): ClassScore => {
  const index = taxonomy().imagenet.indexOf(label);
  if (index === -1) throw new Error(`no ImageNet class is labelled ${label}`);
  return { index, probability };
};
const seen = (detections: Detection[] = [], classes: ClassScore[] = []): Evidence => ({
  detections,
  classes,
});
const named = (labels: ReturnType<typeof toRekognitionLabels>, name: string) =>
  labels.find((l) => l.Name === name);

describe('calibrateProbability', () => {
  it('puts a third of the probability at the pipeline default MinConfidence of 70', () => {
    // Assess
    expect(calibrateProbability(0.35)).toBe(70);
  });

  it('is monotone and stays within 0-100', () => {
    // Prepare
    const probabilities = Array.from({ length: 101 }, (_, i) => i / 100);

    // Act
    const confidences = probabilities.map(calibrateProbability);

    // Assess
    for (let i = 1; i < confidences.length; i++) expect(confidences[i]).toBeGreaterThan(confidences[i - 1]);
    expect(confidences[0]).toBe(0);
    expect(confidences.at(-1)).toBeLessThanOrEqual(100);
  });
});

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
  it('names every COCO-80 class in Rekognition words', () => {
    // Assess
    expect(Object.keys(taxonomy().coco)).toHaveLength(80);
    expect(rekognitionLabelName('person')).toBe('Person');
    expect(rekognitionLabelName('cell phone')).toBe('Mobile Phone');
    expect(rekognitionLabelName('tv')).toBe('TV');
  });

  it('title-cases a class it does not know instead of dropping it', () => {
    // Assess
    expect(rekognitionLabelName('space ship')).toBe('Space Ship');
  });

  it('gives a label every ancestor from WordNet and the vocabulary', () => {
    // Assess
    expect(ancestorsOf('Cat')).toEqual(['Pet', 'Animal', 'Mammal']);
    expect(ancestorsOf('Baboon')).toEqual(['Monkey', 'Wildlife', 'Primate', 'Mammal', 'Animal']);
    expect(ancestorsOf('Granny Smith')).toEqual(['Apple', 'Fruit', 'Plant', 'Produce', 'Food']);
    expect(ancestorsOf('Person')).toEqual([]);
  });
});

describe('toRekognitionLabels from detections', () => {
  it('makes one label per class with the best instance confidence and every instance', () => {
    // Prepare
    const detections = [detection('dog', 0.5), detection('dog', 0.7)];

    // Act
    const labels = toRekognitionLabels(seen(detections));

    // Assess
    const dog = named(labels, 'Dog');
    expect(dog?.Confidence).toBeCloseTo(calibrateConfidence(0.7));
    expect(dog?.Instances).toHaveLength(2);
    expect(dog?.Instances?.[0].BoundingBox).toEqual({ Width: 0.3, Height: 0.4, Left: 0.1, Top: 0.2 });
  });

  it('emits parents as labels of their own, with the child confidence and no instances', () => {
    // Act
    const labels = toRekognitionLabels(seen([detection('cat', 0.45)]));

    // Assess
    expect(labels.map((l) => l.Name)).toEqual(['Cat', 'Pet', 'Animal', 'Mammal']);
    expect(named(labels, 'Pet')).toMatchObject({
      Confidence: labels[0].Confidence,
      Instances: [],
      Parents: [{ Name: 'Animal' }],
    });
    expect(labels[0].Parents).toEqual([{ Name: 'Pet' }, { Name: 'Animal' }, { Name: 'Mammal' }]);
    expect(labels[0].Categories).toEqual([{ Name: 'Animals and Pets' }]);
  });

  it('gives a shared parent the confidence of its best child', () => {
    // Act
    const labels = toRekognitionLabels(seen([detection('apple', 0.35), detection('banana', 0.5)]));

    // Assess
    expect(named(labels, 'Fruit')?.Confidence).toBeCloseTo(calibrateConfidence(0.5));
  });

  it('sorts by confidence, highest first', () => {
    // Act
    const labels = toRekognitionLabels(
      seen([detection('cup', 0.4), detection('person', 0.6), detection('car', 0.5)]),
    );

    // Assess
    const confidences = labels.map((l) => l.Confidence ?? 0);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    expect(labels[0].Name).toBe('Person');
  });

  it('drops labels and instances under MinConfidence (55 by default)', () => {
    // Prepare
    const detections = [detection('dog', 0.7), detection('dog', 0.2), detection('umbrella', 0.25)];

    // Act
    const labels = toRekognitionLabels(seen(detections));

    // Assess
    expect(labels.map((l) => l.Name)).not.toContain('Umbrella');
    expect(named(labels, 'Dog')?.Instances).toHaveLength(1);
  });

  it('keeps low-confidence labels when MinConfidence is lowered', () => {
    // Act
    const labels = toRekognitionLabels(seen([detection('umbrella', 0.25)]), { minConfidence: 0 });

    // Assess
    expect(labels.map((l) => l.Name)).toContain('Umbrella');
  });

  it('cuts the sorted list at MaxLabels, parents counted', () => {
    // Act
    const labels = toRekognitionLabels(seen([detection('cat', 0.6), detection('person', 0.5)]), {
      maxLabels: 2,
    });

    // Assess
    expect(labels.map((l) => l.Name)).toEqual(['Cat', 'Pet']);
  });

  it('answers an empty list for MaxLabels 0 or no evidence', () => {
    // Assess
    expect(toRekognitionLabels(seen([detection('cat', 0.6)]), { maxLabels: 0 })).toEqual([]);
    expect(toRekognitionLabels(seen())).toEqual([]);
  });
});

describe('toRekognitionLabels from the classifier', () => {
  it('names the class in Rekognition words, with its WordNet parents, aliases and category', () => {
    // Act
    const labels = toRekognitionLabels(seen([], [cls('Baboon', 0.97)]));

    // Assess
    expect(named(labels, 'Baboon')).toMatchObject({
      Confidence: calibrateProbability(0.97),
      Instances: [],
      Parents: ['Monkey', 'Wildlife', 'Primate', 'Mammal', 'Animal'].map((Name) => ({ Name })),
      Categories: [{ Name: 'Animals and Pets' }],
    });
    expect(named(labels, 'Lighthouse')).toBeUndefined();
    expect(toRekognitionLabels(seen([], [cls('Lighthouse', 0.9)]))[0].Aliases).toContainEqual({
      Name: 'Beacon',
    });
  });

  it('gives a parent the summed probability of its classes: look-alike breeds make a sure Cat', () => {
    // Act: no single class is sure; together they are.
    const labels = toRekognitionLabels(
      seen([], [cls('Tabby', 0.4), cls('Tiger Cat', 0.3), cls('Egyptian Cat', 0.15)]),
    );

    // Assess
    expect(named(labels, 'Cat')?.Confidence).toBeCloseTo(calibrateProbability(0.85));
    expect(named(labels, 'Tabby')?.Confidence).toBeCloseTo(calibrateProbability(0.4));
    expect(named(labels, 'Egyptian Cat')).toBeUndefined(); // 0.15 alone is under 55
  });

  it('is surer of a label both models see than either alone, and keeps the detector boxes', () => {
    // Act
    const both = toRekognitionLabels(seen([detection('cat', 0.45)], [cls('Tabby', 0.6)]));

    // Assess
    const cat = named(both, 'Cat');
    expect(cat?.Confidence).toBeGreaterThan(calibrateConfidence(0.45));
    expect(cat?.Confidence).toBeGreaterThan(calibrateProbability(0.6));
    expect(cat?.Instances).toHaveLength(1);
    expect(named(both, 'Tabby')?.Instances).toEqual([]);
  });

  it('lists a child before its parent when they are equally sure', () => {
    // Act
    const labels = toRekognitionLabels(seen([], [cls('Espresso', 1)]));

    // Assess
    const names = labels.map((l) => l.Name);
    expect(names.indexOf('Espresso')).toBeLessThan(names.indexOf('Coffee'));
    expect(names.indexOf('Coffee')).toBeLessThan(names.indexOf('Beverage'));
  });

  it('ignores an index outside the taxonomy rather than inventing a name', () => {
    // Assess
    expect(toRekognitionLabels(seen([], [{ index: 5000, probability: 1 }]))).toEqual([]);
  });
});

describe('toDetectLabelsResponse', () => {
  it('carries the label model version', () => {
    // Act
    const response = toDetectLabelsResponse(seen([detection('person', 0.8)]));

    // Assess
    expect(response.LabelModelVersion).toBe('3.0');
    expect(response.Labels?.[0].Name).toBe('Person');
  });
});
