/**
 * `npm run taxonomy`: regenerates taxonomy.json, the label hierarchy of the local Rekognition
 * stand-in, from WordNet 3.0 (Debian: `apt-get install wordnet-base`) and vocabulary.ts.
 *
 * For every class a model can report (ImageNet's 1000, the detector's COCO 80) it writes the label
 * name, and for every label its ancestors (nearest first), category and aliases. Run it after
 * editing vocabulary.ts and commit the result; nothing reads WordNet at run time.
 *
 *   npm run taxonomy [-- --wordnet /usr/share/wordnet]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Taxonomy, TaxonomyLabel } from '../taxonomy';
import {
  type Category,
  type ClassOverride,
  COCO_CLASSES,
  EXTRA_LABELS,
  IMAGENET_OVERRIDES,
  VOCABULARY,
  type VocabularyNode,
} from './vocabulary';
import { type Synset, WordNet } from './wordnet';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAX_ALIASES = 3;

const MINOR_WORDS = new Set(['a', 'an', 'and', 'for', 'in', 'of', 'on', 'the', 'to']);

/** `great white shark` → `Great White Shark`; `long-horned beetle` → `Long-Horned Beetle`; `king of beasts` → `King of Beasts`. */
export function titleCase(lemma: string): string {
  return lemma.replace(/(^|[\s-])([a-z]+)/g, (match, before: string, word: string) =>
    before !== '' && MINOR_WORDS.has(word) ? match : before + word[0].toUpperCase() + word.slice(1),
  );
}

/** Latin binomials (`Tinca tinca`) are not names a person would search for. */
const isBinomial = (lemma: string) => /^[A-Z][a-z]+ [a-z]+$/.test(lemma) && !/ (cat|dog|sheep)$/.test(lemma);

export class TaxonomyBuilder {
  private readonly bySynset = new Map<string, VocabularyNode[]>();
  private readonly labels = new Map<
    string,
    { parents: string[]; category?: Category; aliases: string[]; excluded?: Set<string> }
  >();

  constructor(private readonly wordnet: WordNet) {
    for (const node of VOCABULARY) {
      const synset = wordnet.sense(node.sense);
      this.bySynset.set(synset.id, [...(this.bySynset.get(synset.id) ?? []), node]);
    }
    for (const extra of EXTRA_LABELS) {
      this.labels.set(extra.name, { parents: [...extra.parents], category: extra.category, aliases: [] });
    }
    for (const node of VOCABULARY) {
      if (!node.name) continue;
      const synset = wordnet.sense(node.sense);
      this.addLabel(node.name, synset, { aliases: node.aliases, category: node.category });
    }
  }

  /** The label for one model class: its name, and its entry added to the taxonomy. */
  classLabel(synsetId: string, override: ClassOverride = {}): string {
    const synset = override.sense ? this.wordnet.sense(override.sense) : this.wordnet.synset(synsetId);
    const own = this.bySynset.get(synset.id)?.find((n) => n.name);
    const name = override.name ?? own?.name ?? titleCase(this.wordnet.synset(synsetId).lemmas[0]);
    if (!this.labels.has(name)) {
      const aliases = this.wordnet
        .synset(synsetId)
        .lemmas.filter((lemma) => !isBinomial(lemma))
        .map(titleCase)
        .filter((lemma, i, all) => lemma !== name && all.indexOf(lemma) === i)
        .slice(0, MAX_ALIASES);
      this.addLabel(name, synset, { aliases });
    }
    return name;
  }

  /** Every label, ancestors closed over `also` parents and sorted by name, for taxonomy.json. */
  result(): Record<string, TaxonomyLabel> {
    const out: Record<string, TaxonomyLabel> = {};
    for (const name of [...this.labels.keys()].sort()) {
      const excluded = this.labels.get(name)?.excluded;
      const parents = this.closure(name).filter((parent) => !excluded?.has(parent));
      const category = [name, ...parents].map((n) => this.labels.get(n)?.category).find(Boolean);
      const label = this.labels.get(name)!;
      out[name] = { parents, categories: category ? [category] : [], aliases: label.aliases };
    }
    return out;
  }

  private addLabel(
    name: string,
    synset: Synset,
    extra: { aliases?: readonly string[]; category?: Category },
  ): void {
    const parents: string[] = [];
    const push = (label: string | undefined) => {
      if (label && label !== name && !parents.includes(label)) parents.push(label);
    };
    // The concept itself: a class named apart from it (tusker → Elephant) has it as a parent, and it
    // may imply parents WordNet lacks (a domestic cat is a pet). Then its WordNet ancestors.
    for (const node of this.bySynset.get(synset.id) ?? []) {
      push(node.name);
      node.also?.forEach(push);
    }
    for (const ancestor of this.wordnet.ancestors(synset.id)) {
      for (const node of this.bySynset.get(ancestor.id) ?? []) {
        push(node.name);
        node.also?.forEach(push);
      }
    }
    // Excluded labels are dropped after closing over parents' parents (a restaurant's Building is outdoors).
    const excluded = new Set(
      [synset, ...this.wordnet.ancestors(synset.id)].flatMap((s) =>
        (this.bySynset.get(s.id) ?? []).flatMap((node) => node.not ?? []),
      ),
    );
    const existing = this.labels.get(name);
    if (existing) {
      // Several senses under one name (food.n.01 and food.n.02): the union of their parents.
      for (const parent of parents) if (!existing.parents.includes(parent)) existing.parents.push(parent);
      existing.category ??= extra.category;
      existing.excluded = new Set([...(existing.excluded ?? []), ...excluded]);
      return;
    }
    this.labels.set(name, {
      parents,
      category: extra.category,
      aliases: [...(extra.aliases ?? [])],
      excluded,
    });
  }

  /** All ancestors of a label: its parents, then theirs, nearest first, each once. */
  private closure(name: string): string[] {
    const seen: string[] = [];
    const queue = [...(this.labels.get(name)?.parents ?? [])];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (next === name || seen.includes(next)) continue;
      if (!this.labels.has(next)) throw new Error(`${name}: parent '${next}' is not a label of the taxonomy`);
      seen.push(next);
      queue.push(...this.labels.get(next)!.parents);
    }
    return seen;
  }
}

export function buildTaxonomy(wordnet: WordNet, imagenetIds: readonly string[]): Taxonomy {
  const builder = new TaxonomyBuilder(wordnet);
  const unknown = Object.keys(IMAGENET_OVERRIDES).filter((id) => !imagenetIds.includes(id));
  if (unknown.length > 0) throw new Error(`IMAGENET_OVERRIDES names ids that are not classes: ${unknown}`);
  const imagenet = imagenetIds.map((id) => builder.classLabel(id, IMAGENET_OVERRIDES[id]));
  const coco = Object.fromEntries(
    Object.entries(COCO_CLASSES).map(([cls, spec]) => [
      cls,
      builder.classLabel(wordnet.sense(spec.sense).id, spec),
    ]),
  );
  return {
    about:
      'Generated by local/rekognition/taxonomy/build-taxonomy.ts from WordNet 3.0 and vocabulary.ts; edit those and run `npm run taxonomy`.',
    labels: builder.result(),
    imagenet,
    coco,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { wordnet: { type: 'string', default: '/usr/share/wordnet' } } });
  const wordnet = new WordNet(values.wordnet!);
  const ids = readFileSync(path.join(HERE, 'imagenet-classes.txt'), 'utf8').trim().split('\n');
  const taxonomy = buildTaxonomy(wordnet, ids);
  const orphans = taxonomy.imagenet.filter((name) => taxonomy.labels[name].parents.length === 0);
  writeFileSync(path.join(HERE, 'taxonomy.json'), `${JSON.stringify(taxonomy, null, 1)}\n`);
  console.log(
    `taxonomy.json: ${Object.keys(taxonomy.labels).length} labels, ${taxonomy.imagenet.length} ImageNet classes, ` +
      `${Object.keys(taxonomy.coco).length} COCO classes; ${orphans.length} ImageNet classes without a parent` +
      (orphans.length ? `: ${orphans.join(', ')}` : ''),
  );
}
