import { describe, expect, it } from "vitest";
import { percentile, round, summarize } from "./statistics.js";

describe("percentile", () => {
  it("is the nearest rank: the smallest sample with at least that share of samples at or below it", () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("summarize", () => {
  it("sorts a copy and reports count, mean, extremes and percentiles", () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarize(samples)).toEqual({ count: 5, mean: 3, min: 1, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it("reports NaN, not zero, when there is nothing to summarise", () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeNaN();
    expect(summary.mean).toBeNaN();
  });
});

describe("round", () => {
  it("keeps three decimals under 10, two under 100, one above", () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(12.3456)).toBe(12.35);
    expect(round(1234.56)).toBe(1234.6);
    expect(round(Number.NaN)).toBeNaN();
  });
});
