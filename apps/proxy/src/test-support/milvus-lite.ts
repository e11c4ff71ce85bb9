import { describe } from "vitest";

/**
 * The Milvus Lite server started by `scripts/test.mjs` (VS_TEST_MILVUS_ADDRESS). Without it the suite is skipped
 * with a reason, except in CI where its absence is a failure: integration tests never vanish silently there.
 */
export function milvusLiteAddress(): string | undefined {
  const address = process.env["VS_TEST_MILVUS_ADDRESS"];
  if (!address && process.env["CI"] === "true") throw new Error("VS_TEST_MILVUS_ADDRESS is not set in CI: scripts/test.mjs must start Milvus Lite");
  return address;
}

export function describeWithMilvusLite(name: string, body: (address: string) => void): void {
  const address = milvusLiteAddress();
  if (!address) {
    describe.skip(`${name} (skipped: no Milvus Lite — run the tests with \`pnpm test\`, which starts it when python3 is present)`, () => undefined);
    return;
  }
  describe(name, () => body(address));
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
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

export type Metric = "L2" | "IP" | "COSINE";

export function similarity(metric: Metric, a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0, l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
    l2 += (a[i]! - b[i]!) ** 2;
  }
  if (metric === "IP") return dot;
  if (metric === "COSINE") return dot / Math.sqrt(na * nb);
  return -l2; // higher is better
}
