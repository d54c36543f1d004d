/**
 * A reader for WordNet 3.0's noun database files (`data.noun`, `index.noun`), the format Princeton
 * ships and Debian's `wordnet-base` package installs under /usr/share/wordnet. ImageNet's class ids
 * (`n02123045`) are WordNet 3.0 noun offsets, so its hierarchy is the hierarchy of these files.
 * Used only by build-taxonomy.ts, at development time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Synset {
  /** ImageNet's id: `n` + the 8-digit offset in data.noun. */
  readonly id: string;
  /** Lemmas in WordNet's order, underscores as spaces: `['beacon', 'lighthouse', 'beacon light', 'pharos']`. */
  readonly lemmas: readonly string[];
  /** Direct hypernyms (`@`) and instance hypernyms (`@i`). */
  readonly hypernyms: readonly string[];
  readonly gloss: string;
}

export class WordNet {
  private readonly synsets = new Map<string, Synset>();
  private readonly senses = new Map<string, string[]>();

  constructor(directory: string) {
    const read = (file: string) => {
      try {
        return readFileSync(path.join(directory, file), 'latin1');
      } catch (error) {
        throw new Error(
          `Cannot read WordNet 3.0's ${file} in ${directory} (${(error as Error).message}). ` +
            'Install it with `apt-get install wordnet-base`, or pass --wordnet <dir>.',
        );
      }
    };
    for (const line of read('data.noun').split('\n')) {
      if (line === '' || line.startsWith('  ')) continue; // licence header lines start with two spaces
      const [fields, gloss = ''] = line.split(' | ');
      const parts = fields.trim().split(' ');
      const offset = parts[0];
      const wordCount = Number.parseInt(parts[3], 16);
      const lemmas: string[] = [];
      for (let i = 0; i < wordCount; i++) lemmas.push(cleanLemma(parts[4 + i * 2]));
      let at = 4 + wordCount * 2;
      const pointerCount = Number.parseInt(parts[at], 10);
      at += 1;
      const hypernyms: string[] = [];
      for (let i = 0; i < pointerCount; i++, at += 4) {
        const [symbol, target, pos] = parts.slice(at, at + 3);
        if ((symbol === '@' || symbol === '@i') && pos === 'n') hypernyms.push(`n${target}`);
      }
      this.synsets.set(`n${offset}`, { id: `n${offset}`, lemmas, hypernyms, gloss: gloss.trim() });
    }
    for (const line of read('index.noun').split('\n')) {
      if (line === '' || line.startsWith('  ')) continue;
      const parts = line.trim().split(' ');
      const synsetCount = Number.parseInt(parts[2], 10);
      this.senses.set(
        parts[0].replaceAll('_', ' '),
        parts.slice(parts.length - synsetCount).map((offset) => `n${offset}`),
      );
    }
  }

  synset(id: string): Synset {
    const found = this.synsets.get(id);
    if (!found) throw new Error(`WordNet 3.0 has no noun synset ${id}`);
    return found;
  }

  /** `'church.n.02'` (NLTK's spelling: lemma, part of speech, sense number) → its synset. */
  sense(name: string): Synset {
    const match = /^(.+)\.n\.(\d+)$/.exec(name);
    if (!match) throw new Error(`'${name}' is not a noun sense name like 'church.n.02'`);
    const ids = this.senses.get(match[1].replaceAll('_', ' '));
    const id = ids?.[Number(match[2]) - 1];
    if (!id) throw new Error(`WordNet 3.0 has no sense ${name}`);
    return this.synset(id);
  }

  /** Every ancestor, nearest first (breadth-first over hypernyms), each once. */
  ancestors(id: string): Synset[] {
    const seen = new Set<string>();
    const order: Synset[] = [];
    let frontier = [...this.synset(id).hypernyms];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const ancestor of frontier) {
        if (seen.has(ancestor)) continue;
        seen.add(ancestor);
        const synset = this.synset(ancestor);
        order.push(synset);
        next.push(...synset.hypernyms);
      }
      frontier = next;
    }
    return order;
  }
}

/** `beacon_light` → `beacon light`; adjective markers such as `(p)` are dropped. */
function cleanLemma(raw: string): string {
  return raw.replace(/\([a-z]+\)$/, '').replaceAll('_', ' ');
}
