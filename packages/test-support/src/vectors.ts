/** Brute-force similarity, the exact expectation an index search is checked against. */
export type Metric = "L2" | "IP" | "COSINE";

export function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

export function squaredL2(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

/** Higher is better for every metric (L2 is negated), so one sort order serves all three. */
export function similarity(metric: Metric, a: readonly number[], b: readonly number[]): number {
  if (metric === "IP") return dot(a, b);
  if (metric === "COSINE") return cosine(a, b);
  return -squaredL2(a, b);
}
