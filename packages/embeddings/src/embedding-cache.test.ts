import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddingModel, EmbeddingCache, embeddingCacheKey, withEmbeddingCache, type EmbeddingCacheStore } from "./index.js";
import { FakeEmbeddingServer } from "@vs/test-support";

let server: FakeEmbeddingServer;

beforeAll(async () => {
  server = await new FakeEmbeddingServer(4).start();
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
});

function model(config: Record<string, unknown> = {}) {
  return createEmbeddingModel("openai/embedder", { api_base: `${server.baseUrl}/v1`, ...config }, { env: {} });
}

function sentTexts(): string[][] {
  return server.requests.map((request) => request.body.input as string[]);
}

describe("withEmbeddingCache", () => {
  it("answers a repeated text from the cache without calling the model, and reports no usage for it", async () => {
    const cache = new EmbeddingCache({ maxEntries: 100, ttlMs: 60_000 });
    const cached = withEmbeddingCache(model(), cache);
    const first = await cached.embed(["hello world"]);
    const second = await cached.embed(["hello world"]);
    expect(server.requests).toHaveLength(1);
    expect(second.vectors).toEqual(first.vectors);
    expect(first.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(second.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
  });

  it("embeds only the misses, in one call, deduplicated, and puts every vector back in place", async () => {
    const cache = new EmbeddingCache({ maxEntries: 100, ttlMs: 60_000 });
    const cached = withEmbeddingCache(model(), cache);
    await cached.embed(["a", "bb"]);
    const result = await cached.embed(["ccc", "a", "dddd", "ccc", "bb"]);
    expect(sentTexts()).toEqual([
      ["a", "bb"],
      ["ccc", "dddd"],
    ]);
    expect(result.vectors).toEqual(["ccc", "a", "dddd", "ccc", "bb"].map((text) => server.vectorFor(text)));
    expect(result.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    // A repeated text must not share its array with its twin.
    expect(result.vectors[0]).not.toBe(result.vectors[3]);
  });

  it("keeps models apart: another identity or size is another entry", async () => {
    const cache = new EmbeddingCache({ maxEntries: 100, ttlMs: 60_000 });
    await withEmbeddingCache(model(), cache).embed(["same text"]);
    await withEmbeddingCache(model({ dimensions: 4 }), cache).embed(["same text"]);
    await withEmbeddingCache(createEmbeddingModel("openai/other", { api_base: `${server.baseUrl}/v1` }, { env: {} }), cache).embed(["same text"]);
    expect(server.requests).toHaveLength(3);
    expect(cache.stats().size).toBe(3);
  });

  it("does not let a caller's change to a vector reach the cache", async () => {
    const cache = new EmbeddingCache({ maxEntries: 10, ttlMs: 60_000 });
    const cached = withEmbeddingCache(model(), cache);
    const first = await cached.embed(["text"]);
    (first.vectors[0] as number[])[0] = 999;
    const second = await cached.embed(["text"]);
    expect(second.vectors[0]).toEqual(server.vectorFor("text"));
  });

  it("goes on without the cache when the store fails, and says so", async () => {
    const failures: unknown[] = [];
    const brokenStore: EmbeddingCacheStore = {
      getMany: () => Promise.reject(new Error("store down")),
      setMany: () => Promise.reject(new Error("store down")),
    };
    const cached = withEmbeddingCache(model(), brokenStore, { onStoreError: (error) => failures.push(error) });
    const result = await cached.embed(["x"]);
    expect(result.vectors).toEqual([server.vectorFor("x")]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(2);
  });

  it("keeps the model's description", () => {
    const inner = model({ dimensions: 4, input_cost_per_token: 0.5 });
    const cached = withEmbeddingCache(inner, new EmbeddingCache({ maxEntries: 1, ttlMs: 1 }));
    expect([cached.provider, cached.modelId, cached.dimensions, cached.maxInputsPerCall, cached.identity, cached.inputCostPerToken]).toEqual([
      inner.provider,
      inner.modelId,
      inner.dimensions,
      inner.maxInputsPerCall,
      inner.identity,
      inner.inputCostPerToken,
    ]);
  });
});

describe("EmbeddingCache", () => {
  it("expires entries after ttlMs", async () => {
    let now = 1_000;
    const cache = new EmbeddingCache({ maxEntries: 10, ttlMs: 500, now: () => now });
    const cached = withEmbeddingCache(model(), cache);
    await cached.embed(["t"]);
    now += 499;
    await cached.embed(["t"]);
    expect(server.requests).toHaveLength(1);
    now += 1;
    await cached.embed(["t"]);
    expect(server.requests).toHaveLength(2);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, size: 1 });
  });

  it("evicts the least recently used entry beyond maxEntries", async () => {
    const cache = new EmbeddingCache({ maxEntries: 2, ttlMs: 60_000 });
    const cached = withEmbeddingCache(model(), cache);
    await cached.embed(["a", "b"]);
    await cached.embed(["a"]); // "a" is now the most recently used
    await cached.embed(["c"]); // evicts "b"
    expect(cache.stats().size).toBe(2);
    server.requests.length = 0;
    await cached.embed(["a", "c"]);
    expect(server.requests).toHaveLength(0);
    await cached.embed(["b"]);
    expect(sentTexts()).toEqual([["b"]]);
  });

  it("stores by key through getMany/setMany", async () => {
    const cache = new EmbeddingCache({ maxEntries: 10, ttlMs: 60_000 });
    const key = embeddingCacheKey({ identity: "m", dimensions: 2 }, "text");
    expect(key).not.toContain("text");
    expect(key).not.toBe(embeddingCacheKey({ identity: "m", dimensions: 3 }, "text"));
    await cache.setMany([{ key, vector: [0.6, 0.8] }]);
    expect(await cache.getMany([key, "missing"])).toEqual([[0.6, 0.8], undefined]);
    cache.clear();
    expect(await cache.getMany([key])).toEqual([undefined]);
  });

  it("rejects nonsensical sizes", () => {
    expect(() => new EmbeddingCache({ maxEntries: 0, ttlMs: 1 })).toThrow(RangeError);
    expect(() => new EmbeddingCache({ maxEntries: 1, ttlMs: 0 })).toThrow(RangeError);
  });
});
