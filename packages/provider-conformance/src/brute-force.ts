import type { ComparisonFilter, Filter, VectorMetric } from "@vs/core";
import type { CorpusRow } from "./corpus.js";

/**
 * Reference answers computed in JavaScript, by brute force, with the gateway's documented semantics, so any
 * provider's results can be checked against them.
 */

export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index]! * b[index]!;
  return sum;
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

/**
 * The gateway's score for a pair, per metric: `(1 + cosine) / 2` for COSINE, `(1 + a·b) / 2` for IP and
 * `1 − |a − b|² / 4` for L2. For unit vectors all three are the same number.
 */
export function expectedScore(metric: VectorMetric, a: readonly number[], b: readonly number[]): number {
  switch (metric) {
    case "cosine":
      return (1 + cosineSimilarity(a, b)) / 2;
    case "ip":
      return (1 + dot(a, b)) / 2;
    case "l2": {
      let squared = 0;
      for (let index = 0; index < a.length; index++) squared += (a[index]! - b[index]!) ** 2;
      return 1 - squared / 4;
    }
  }
}

/**
 * Whether attributes match an OpenAI filter, with the gateway's semantics: a missing key matches no comparison
 * (`ne` and `nin` included); `eq`/`ne`/`in`/`nin` compare value and type; range operators compare numbers with
 * numbers and strings with strings (by code point) and never match across types.
 */
export function matchesFilter(attributes: Readonly<Record<string, unknown>>, filter: Filter): boolean {
  if ("filters" in filter) {
    return filter.type === "and"
      ? filter.filters.every((child) => matchesFilter(attributes, child))
      : filter.filters.some((child) => matchesFilter(attributes, child));
  }
  return matchesComparison(attributes, filter);
}

function matchesComparison(attributes: Readonly<Record<string, unknown>>, filter: ComparisonFilter): boolean {
  if (!Object.hasOwn(attributes, filter.key)) return false;
  const actual = attributes[filter.key];
  if (actual === null || actual === undefined) return false;
  const value = filter.value;
  switch (filter.type) {
    case "eq":
      return actual === value;
    case "ne":
      return actual !== value;
    case "in":
      return (value as unknown[]).includes(actual);
    case "nin":
      return !(value as unknown[]).includes(actual);
    default: {
      if (typeof actual !== typeof value || (typeof actual !== "number" && typeof actual !== "string")) return false;
      const order = typeof actual === "number" ? actual - (value as number) : compareCodePoints(actual as string, value as string);
      return filter.type === "gt" ? order > 0 : filter.type === "gte" ? order >= 0 : filter.type === "lt" ? order < 0 : order <= 0;
    }
  }
}

function compareCodePoints(a: string, b: string): number {
  const left = [...a].map((character) => character.codePointAt(0)!);
  const right = [...b].map((character) => character.codePointAt(0)!);
  for (let index = 0; index < Math.min(left.length, right.length); index++) if (left[index] !== right[index]) return left[index]! - right[index]!;
  return left.length - right.length;
}

export interface ExpectedHit {
  id: string;
  score: number;
}

export interface BruteForceQuery {
  metric: VectorMetric;
  vector: readonly number[];
  filters?: Filter | undefined;
  /** Default 10, as `max_num_results`. */
  limit?: number;
  scoreThreshold?: number | undefined;
}

/** The rows a search must answer, best first: filter, rank by score, cut to `limit`, then drop those under the threshold. */
export function bruteForceSearch(corpus: readonly CorpusRow[], query: BruteForceQuery): ExpectedHit[] {
  const hits = corpus
    .filter((row) => query.filters === undefined || matchesFilter(row.attributes, query.filters))
    .map((row) => ({ id: row.id, score: expectedScore(query.metric, row.vector, query.vector) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, query.limit ?? 10);
  return query.scoreThreshold === undefined ? hits : hits.filter((hit) => hit.score >= query.scoreThreshold!);
}

/**
 * The smallest score gap between neighbours in the expected order: when it is larger than the engine's float32
 * error, the order must match exactly; tests pick queries where it is.
 */
export function minimumGap(hits: readonly ExpectedHit[]): number {
  let gap = Number.POSITIVE_INFINITY;
  for (let index = 1; index < hits.length; index++) gap = Math.min(gap, hits[index - 1]!.score - hits[index]!.score);
  return gap;
}
