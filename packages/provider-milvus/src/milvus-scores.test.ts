import { describe, expect, it } from "vitest";
import { normalizeScore } from "./milvus-scores.js";

function unitVector(values: number[]): number[] {
  const norm = Math.hypot(...values);
  return values.map((value) => value / norm);
}

const dot = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * (b[index] as number), 0);
const squaredDistance = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + (value - (b[index] as number)) ** 2, 0);

describe("normalizeScore", () => {
  // Deterministic pseudo-random vectors so a failure can be reproduced.
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const pairs = Array.from({ length: 20 }, () => [unitVector(Array.from({ length: 16 }, random)), unitVector(Array.from({ length: 16 }, random))] as const);

  it("gives the same score under L2, IP and COSINE for unit vectors: (1 + cosine) / 2", () => {
    for (const [a, b] of pairs) {
      const cosine = dot(a, b) / (Math.hypot(...a) * Math.hypot(...b));
      const expected = (1 + cosine) / 2;
      expect(normalizeScore("COSINE", cosine)).toBeCloseTo(expected, 12);
      expect(normalizeScore("IP", dot(a, b))).toBeCloseTo(expected, 12);
      expect(normalizeScore("L2", squaredDistance(a, b))).toBeCloseTo(expected, 12);
      expect(expected).toBeGreaterThanOrEqual(0);
      expect(expected).toBeLessThanOrEqual(1);
    }
  });

  it("maps the extremes of unit vectors to 1 (same), 0.5 (orthogonal) and 0 (opposite)", () => {
    const x = [1, 0];
    const y = [0, 1];
    const minusX = [-1, 0];
    for (const [b, expected] of [
      [x, 1],
      [y, 0.5],
      [minusX, 0],
    ] as const) {
      expect(normalizeScore("COSINE", dot(x, b))).toBeCloseTo(expected, 12);
      expect(normalizeScore("IP", dot(x, b))).toBeCloseTo(expected, 12);
      expect(normalizeScore("L2", squaredDistance(x, b))).toBeCloseTo(expected, 12);
    }
  });

  it("keeps Milvus's order for vectors that are not unit length: higher is better", () => {
    expect(normalizeScore("L2", 0.5)).toBeGreaterThan(normalizeScore("L2", 9));
    expect(normalizeScore("IP", 7)).toBeGreaterThan(normalizeScore("IP", 3));
    expect(normalizeScore("L2", 9)).toBeLessThan(0);
  });

  it("leaves BM25 and unknown metrics as they are, and reads metric names in any case", () => {
    expect(normalizeScore("BM25", 12.5)).toBe(12.5);
    expect(normalizeScore("HAMMING", 3)).toBe(3);
    expect(normalizeScore("cosine", 0.5)).toBe(0.75);
  });
});
