import type { AttributeValue } from "@vs/core";

/**
 * A seeded random corpus for provider tests: the same seed gives the same rows on every machine, so a failing case
 * can be replayed. Provider-neutral (no SQL, no Milvus): a conformance suite loads it into any store.
 */
export interface CorpusRow {
  id: string;
  text: string;
  /** Unit length, and every component exactly representable as float32 (what pgvector and Milvus store). */
  vector: number[];
  /** Some keys are missing on some rows on purpose (see `generateCorpus`). */
  attributes: Record<string, AttributeValue>;
}

export interface CorpusOptions {
  size?: number;
  dimensions?: number;
  seed?: number;
}

export const CORPUS_CATEGORIES = ["animals", "finance", "travel", "cooking", "tech"] as const;
export const CORPUS_COLORS = ["red", "green", "blue", "cyan", "magenta", "yellow", "black"] as const;

/** mulberry32: a tiny, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random direction, normalised, then rounded to float32 (its length is then 1 within ~1e-7). */
export function randomUnitVector(random: () => number, dimensions: number): number[] {
  for (;;) {
    // Box–Muller normals give a uniform direction.
    const values = Array.from({ length: dimensions }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    const norm = Math.hypot(...values);
    if (norm > 1e-6) return values.map((value) => Math.fround(value / norm));
  }
}

/**
 * Rows `doc-0` … `doc-(size-1)` with attributes:
 * - `category` (string, one of CORPUS_CATEGORIES), always present
 * - `rank` (integer 0–99), always present
 * - `price` (number with decimals, 0–1000), missing on every 7th row
 * - `in_stock` (boolean), always present
 * - `color` (string, one of CORPUS_COLORS), missing on every 5th row
 * - `code` (string of digits, e.g. "42": compares as a string, never equal to the number 42)
 */
export function generateCorpus(options: CorpusOptions = {}): CorpusRow[] {
  const size = options.size ?? 300;
  const dimensions = options.dimensions ?? 16;
  const random = seededRandom(options.seed ?? 20261130);
  const rows: CorpusRow[] = [];
  for (let index = 0; index < size; index++) {
    const category = CORPUS_CATEGORIES[Math.floor(random() * CORPUS_CATEGORIES.length)]!;
    const attributes: Record<string, AttributeValue> = {
      category,
      rank: Math.floor(random() * 100),
      in_stock: random() < 0.5,
      code: String(Math.floor(random() * 100)),
    };
    const price = Math.round(random() * 100_000) / 100;
    if (index % 7 !== 0) attributes.price = price;
    const color = CORPUS_COLORS[Math.floor(random() * CORPUS_COLORS.length)]!;
    if (index % 5 !== 0) attributes.color = color;
    rows.push({ id: `doc-${index}`, text: `document ${index} about ${category}`, vector: randomUnitVector(random, dimensions), attributes });
  }
  return rows;
}
