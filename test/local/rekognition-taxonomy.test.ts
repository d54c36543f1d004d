import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { taxonomy } from '../../local/rekognition/taxonomy';
import { buildTaxonomy, titleCase } from '../../local/rekognition/taxonomy/build-taxonomy';
import { WordNet } from '../../local/rekognition/taxonomy/wordnet';

const WORDNET_DIR = '/usr/share/wordnet';

describe('taxonomy.json', () => {
  it('names a label for each of the classifier 1000 classes and the detector 80', () => {
    // Prepare
    const { labels, imagenet, coco } = taxonomy();

    // Assess
    expect(imagenet).toHaveLength(1000);
    expect(Object.keys(coco)).toHaveLength(80);
    for (const name of [...imagenet, ...Object.values(coco)]) expect(labels[name], name).toBeDefined();
  });

  it('has every parent as a label, and no label among its own ancestors', () => {
    // Prepare
    const { labels } = taxonomy();

    // Assess
    for (const [name, label] of Object.entries(labels)) {
      expect(label.parents, name).not.toContain(name);
      for (const parent of label.parents) {
        expect(labels[parent], `${name} → ${parent}`).toBeDefined();
        expect(labels[parent].parents, `${parent} is under ${name} and over it`).not.toContain(name);
      }
    }
  });

  it('is exactly what build-taxonomy.ts makes from WordNet 3.0 and vocabulary.ts (npm run taxonomy)', () => {
    // Prepare
    if (!existsSync(`${WORDNET_DIR}/data.noun`)) {
      throw new Error(`WordNet 3.0 is not in ${WORDNET_DIR}; install it with: apt-get install wordnet-base`);
    }
    const ids = readFileSync(
      new URL('../../local/rekognition/taxonomy/imagenet-classes.txt', import.meta.url),
      'utf8',
    )
      .trim()
      .split('\n');

    // Act
    const built = buildTaxonomy(new WordNet(WORDNET_DIR), ids);

    // Assess
    expect(built).toEqual(taxonomy());
  });
});

describe('titleCase', () => {
  it('capitalises words as Rekognition names are written, small words after the first excepted', () => {
    // Assess
    expect(titleCase('great white shark')).toBe('Great White Shark');
    expect(titleCase('long-horned beetle')).toBe('Long-Horned Beetle');
    expect(titleCase('king of beasts')).toBe('King of Beasts');
    expect(titleCase('iPod')).toBe('IPod');
  });
});
