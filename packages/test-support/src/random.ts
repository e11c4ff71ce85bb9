import { seededRandom } from "@vs/provider-conformance";

export { seededRandom };

/** A vector of `dimensions` components in [-1, 1) from `random`, scaled to unit length when `unit`. */
export function randomVector(random: () => number, dimensions: number, unit = false): number[] {
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  if (!unit) return vector;
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}
