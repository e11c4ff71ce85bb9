/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so a failing test reproduces. */
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

/** A vector of `dimensions` components in [-1, 1) from `random`, scaled to unit length when `unit`. */
export function randomVector(random: () => number, dimensions: number, unit = false): number[] {
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  if (!unit) return vector;
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}
