import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFIER_INPUT_SIZE, ImageClassifier } from '../../local/rekognition/classifier';
import { prepareImage } from '../../local/rekognition/prepare';
import { taxonomy } from '../../local/rekognition/taxonomy';
import { tfRuntime } from '../../local/rekognition/tf-runtime';
import { fixturePath } from './fixtures';

let classifier: ImageClassifier;

beforeAll(async () => {
  classifier = await ImageClassifier.load(await tfRuntime());
});

/** The classifier's input for a fixture, and for its mirror image. */
async function inputs(name: string): Promise<{ photo: Buffer; mirrored: Buffer }> {
  const { classifier: photo } = await prepareImage(await readFile(fixturePath(name)));
  const raw = { raw: { width: CLASSIFIER_INPUT_SIZE, height: CLASSIFIER_INPUT_SIZE, channels: 3 as const } };
  const mirrored = await sharp(photo, raw).flop().raw().toBuffer();
  return { photo, mirrored };
}

const top = (scores: { index: number; probability: number }[]) => taxonomy().imagenet[scores[0].index];

describe('ImageClassifier', () => {
  it('knows the photos it should: a tabby, an espresso, lemons', async () => {
    // Act
    const names = await Promise.all(
      ['photos/cat.jpg', 'photos/coffee.png', 'photos/fruits.jpg'].map(async (name) =>
        top(classifier.classify((await inputs(name)).photo)),
      ),
    );

    // Assess
    expect(names).toEqual(['Tabby', 'Espresso', 'Lemon']);
  });

  it('answers the same for a photo and its mirror image when it is unsure', async () => {
    // Prepare: a waterfall, which ImageNet has no class for.
    const { photo, mirrored } = await inputs('orientation/landscape-3.jpg');

    // Act
    const [a, b] = [classifier.classify(photo), classifier.classify(mirrored)];

    // Assess
    expect(a[0].probability).toBeLessThan(0.7);
    expect(b.map((s) => s.index)).toEqual(a.map((s) => s.index));
    for (const [i, score] of a.entries()) expect(b[i].probability).toBeCloseTo(score.probability, 4);
  });

  it('reports only classes that can matter, most probable first, in 0-1', async () => {
    // Act
    const scores = classifier.classify((await inputs('photos/cat.jpg')).photo);

    // Assess
    expect(scores.length).toBeGreaterThan(0);
    expect(scores.map((s) => s.probability)).toEqual(
      [...scores.map((s) => s.probability)].sort((x, y) => y - x),
    );
    for (const { index, probability } of scores) {
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(1000);
      expect(probability).toBeGreaterThanOrEqual(0.001);
      expect(probability).toBeLessThanOrEqual(1);
    }
  });

  it('fails when the input is not 224 x 224 RGB', () => {
    // Act / Assess
    expect(() => classifier.classify(Buffer.alloc(100))).toThrow('224x224 RGB pixels, got 100 bytes');
  });
});
