import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortedError, BadRequestError, type EmbeddingModel } from "@vs/core";
import { createEmbeddingModel, LOCAL_EMBEDDING_MODEL } from "./index.js";

function cosine(left: number[], right: number[]): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  left.forEach((value, position) => {
    const other = right[position] as number;
    dot += value * other;
    leftNorm += value * value;
    rightNorm += other * other;
  });
  return dot / Math.sqrt(leftNorm * rightNorm);
}

describe("local/ (Universal Sentence Encoder lite)", () => {
  const connectionAttempts: unknown[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalFetch = globalThis.fetch;
  let model: EmbeddingModel;
  let first: Awaited<ReturnType<EmbeddingModel["embed"]>>;

  beforeAll(async () => {
    // Record (and refuse) any network use while the model loads and runs its first batch.
    net.Socket.prototype.connect = function recordConnect(this: net.Socket, ...args: unknown[]) {
      connectionAttempts.push(args[0]);
      throw new Error("network access during local embedding");
    } as typeof net.Socket.prototype.connect;
    globalThis.fetch = ((input: unknown) => {
      connectionAttempts.push(input);
      return Promise.reject(new Error("network access during local embedding"));
    }) as typeof fetch;
    try {
      model = createEmbeddingModel(LOCAL_EMBEDDING_MODEL, {}, { env: {} });
      first = await model.embed(["a cat sits on the mat", "a kitten on a rug", "stock markets fell sharply"]);
    } finally {
      net.Socket.prototype.connect = originalConnect;
      globalThis.fetch = originalFetch;
    }
  });

  afterAll(() => {
    net.Socket.prototype.connect = originalConnect;
    globalThis.fetch = originalFetch;
  });

  it("loads and embeds without touching the network", () => {
    expect(connectionAttempts).toEqual([]);
  });

  it("returns 512-dimensional unit vectors and counts the model's tokens", () => {
    expect(model.provider).toBe("local");
    expect(model.dimensions).toBe(512);
    expect(first.vectors).toHaveLength(3);
    for (const vector of first.vectors) {
      expect(vector).toHaveLength(512);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 6);
    }
    expect(first.usage.prompt_tokens).toBeGreaterThanOrEqual(12);
    expect(first.usage.total_tokens).toBe(first.usage.prompt_tokens);
  });

  it("puts similar sentences closer than unrelated ones", () => {
    const [cat, kitten, markets] = first.vectors as [number[], number[], number[]];
    expect(cosine(cat, kitten)).toBeGreaterThan(cosine(cat, markets) + 0.3);
  });

  it("is deterministic, whatever the batch around a text", async () => {
    const again = await model.embed(["stock markets fell sharply", "a cat sits on the mat"]);
    expect(cosine(again.vectors[1] as number[], first.vectors[0] as number[])).toBeCloseTo(1, 5);
    const alone = await createEmbeddingModel("local/default").embed(["a cat sits on the mat"]);
    expect(alone.vectors[0]?.length).toBe(512);
    expect(cosine(alone.vectors[0] as number[], first.vectors[0] as number[])).toBeCloseTo(1, 5);
  });

  it("splits large inputs into batches and keeps the order", async () => {
    const texts = Array.from({ length: 70 }, (_, position) => (position % 2 === 0 ? "a cat sits on the mat" : `number ${position}`));
    const result = await model.embed(texts);
    expect(result.vectors).toHaveLength(70);
    expect(cosine(result.vectors[68] as number[], first.vectors[0] as number[])).toBeCloseTo(1, 5);
    expect(cosine(result.vectors[69] as number[], first.vectors[0] as number[])).toBeLessThan(0.9);
  });

  it("embeds an empty string and stops when aborted", async () => {
    const empty = await model.embed([""]);
    expect(empty.vectors[0]).toHaveLength(512);
    expect(empty.usage.prompt_tokens).toBe(0);
    // Empty texts last in a batch once lost their rows; every text must keep its own vector.
    const emptyAmongOthers = await model.embed(["a kitten on a rug", "", " "]);
    expect(emptyAmongOthers.vectors).toHaveLength(3);
    expect(cosine(emptyAmongOthers.vectors[0] as number[], first.vectors[1] as number[])).toBeCloseTo(1, 5);
    expect(cosine(emptyAmongOthers.vectors[1] as number[], empty.vectors[0] as number[])).toBeCloseTo(1, 5);
    await expect(model.embed(["x"], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
  });

  // Long texts make a forward pass take a while even on a fast machine; 40 of them are two batches.
  const longTexts = Array.from(
    { length: 40 },
    (_, position) => `report ${position}: ${"the quick brown fox jumps over the lazy dog as markets rally ".repeat(3)}`,
  );

  it("keeps the caller's event loop running while a large batch embeds", async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 10);
    try {
      const result = await model.embed(longTexts);
      expect(result.vectors).toHaveLength(40);
    } finally {
      clearInterval(timer);
    }
    // On the caller's thread the same embed let no 10 ms timer fire at all; 10 ticks is far below what a worker
    // thread allows even on a slow, loaded machine.
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it("drops the answer of a batch aborted while it runs, and the next caller gets its own", async () => {
    const controller = new AbortController();
    const aborted = model.embed(longTexts.slice(0, 32), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    const next = await model.embed(["a cat sits on the mat"]);
    expect(next.vectors).toHaveLength(1);
    expect(cosine(next.vectors[0] as number[], first.vectors[0] as number[])).toBeCloseTo(1, 5);
  });

  it("shares one identity across its names and refuses other sizes or names", () => {
    expect(createEmbeddingModel("local/default").identity).toBe(model.identity);
    expect(() => createEmbeddingModel("local/default", { dimensions: 384 })).toThrow(BadRequestError);
    expect(() => createEmbeddingModel("local/all-MiniLM-L6-v2")).toThrow(/local\/universal-sentence-encoder-lite/);
  });
});
