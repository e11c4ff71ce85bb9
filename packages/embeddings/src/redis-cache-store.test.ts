import { randomUUID } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, RESP_TYPES } from "@redis/client";
import { BadRequestError, UpstreamError, UpstreamTimeoutError, type EmbeddingModel } from "@vs/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  EmbeddingCache,
  embeddingCacheKey,
  RedisEmbeddingCacheStore,
  TieredEmbeddingCacheStore,
  withEmbeddingCache,
  type RedisEmbeddingCacheStoreOptions,
} from "./index.js";
import { decodeVector, encodeVector } from "./redis-cache-store.js";
import { TcpProxy } from "@vs/test-support";

const redisUrl = process.env["VS_TEST_REDIS_URL"];
const SKIP_REASON = "skipped: VS_TEST_REDIS_URL is not set (the test runner sets it when it starts redis-server)";

/** Every value is a multiple of 1/8, so it survives float32 storage exactly. */
function vectorFor(text: string): number[] {
  return [text.length, (text.codePointAt(0) ?? 0) / 8, -0.125];
}

/** A model that counts its calls, to tell an embedding served by the cache from one computed. */
function countingModel(): EmbeddingModel & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    specificationVersion: "v1",
    provider: "counting",
    modelId: "counting",
    dimensions: 3,
    maxInputsPerCall: 100,
    identity: "counting|3",
    inputCostPerToken: 0,
    async embed(texts) {
      calls.push([...texts]);
      return { vectors: texts.map(vectorFor), usage: { prompt_tokens: texts.length, total_tokens: texts.length } };
    },
  };
}

/** A port nothing listens on: bound by the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("vector encoding", () => {
  it("stores 4 bytes per dimension and reads back the float32 value of each number", () => {
    const vector = [0.1, -2.5, 1e-7, 3];
    const bytes = encodeVector(vector);
    expect(bytes.byteLength).toBe(16);
    expect(decodeVector(bytes)).toEqual(vector.map(Math.fround));
  });

  it("reads bytes that start at an odd offset of their buffer", () => {
    const stored = encodeVector([1.5, -0.25]);
    const shifted = Buffer.concat([Buffer.from([7]), stored]).subarray(1);
    expect(shifted.byteOffset % 4).not.toBe(0);
    expect(decodeVector(shifted)).toEqual([1.5, -0.25]);
  });

  it("refuses bytes that cannot be a vector", () => {
    expect(decodeVector(Buffer.alloc(0))).toBeUndefined();
    expect(decodeVector(Buffer.from("abcdefg"))).toBeUndefined();
  });
});

describe("RedisEmbeddingCacheStore options", () => {
  it("rejects bad options with a 400 naming the field", () => {
    expect(() => new RedisEmbeddingCacheStore({ url: "http://127.0.0.1:6379", ttlMs: 1000 })).toThrow(BadRequestError);
    expect(() => new RedisEmbeddingCacheStore({ url: "redis://127.0.0.1:6379", ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => new RedisEmbeddingCacheStore({ url: "redis://127.0.0.1:6379", ttlMs: 1000, commandTimeoutMs: -1 })).toThrow(/commandTimeoutMs/);
  });

  it("never repeats the URL's password in an option error", () => {
    let caught: unknown;
    try {
      new RedisEmbeddingCacheStore({ url: "redis://user:pass-word-77@127.0.0.1:6379/not-a-number", ttlMs: 1000 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BadRequestError);
    expect(String((caught as Error).message)).not.toContain("pass-word-77");
    expect((caught as Error).cause).toBeUndefined();
  });
});

describe("RedisEmbeddingCacheStore with Redis down", () => {
  let deadUrl: string;
  const stores: RedisEmbeddingCacheStore[] = [];

  beforeAll(async () => {
    deadUrl = `redis://user:hunter2-secret@127.0.0.1:${await closedPort()}`;
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  function deadStore(): RedisEmbeddingCacheStore {
    const store = new RedisEmbeddingCacheStore({ url: deadUrl, ttlMs: 60_000 });
    stores.push(store);
    return store;
  }

  it("rejects every call with a cache UpstreamError that hides the password", async () => {
    const store = deadStore();
    const getError = await store.getMany(["a"]).catch((error: unknown) => error);
    expect(getError).toBeInstanceOf(UpstreamError);
    expect((getError as UpstreamError).upstream).toBe("cache");
    expect((getError as Error).message).toMatch(/not connected.*ECONNREFUSED/);
    expect((getError as Error).message).not.toContain("hunter2-secret");
    await expect(store.setMany([{ key: "a", vector: [1] }])).rejects.toBeInstanceOf(UpstreamError);
    await expect(store.getMany(["a", "b"])).rejects.toBeInstanceOf(UpstreamError);
    expect(store.stats()).toEqual({ hits: 0, misses: 0, errors: 3 });
  });

  it("leaves withEmbeddingCache embedding for real, every time, and reporting the store's errors", async () => {
    const model = countingModel();
    const storeErrors: unknown[] = [];
    const cached = withEmbeddingCache(model, deadStore(), { onStoreError: (error) => storeErrors.push(error) });
    const first = await cached.embed(["alpha", "beta"]);
    const second = await cached.embed(["alpha", "beta"]);
    expect(first.vectors).toEqual([vectorFor("alpha"), vectorFor("beta")]);
    expect(second.vectors).toEqual(first.vectors);
    expect(second.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(model.calls).toEqual([
      ["alpha", "beta"],
      ["alpha", "beta"],
    ]);
    // The two reads fail before the embed; the unawaited writes may still be failing.
    expect(storeErrors.length).toBeGreaterThanOrEqual(2);
    expect(storeErrors.every((error) => UpstreamError.isInstance(error))).toBe(true);
  });

  it("lets a tiered store keep answering from its local cache", async () => {
    const sharedErrors: unknown[] = [];
    const local = new EmbeddingCache({ maxEntries: 10, ttlMs: 60_000 });
    const tiered = new TieredEmbeddingCacheStore(local, deadStore(), { onSharedError: (error) => sharedErrors.push(error) });
    await tiered.setMany([{ key: "k1", vector: [1, 2] }]);
    expect(await tiered.getMany(["k1", "k2"])).toEqual([[1, 2], undefined]);
    expect(sharedErrors).toHaveLength(2);
    expect(sharedErrors.every((error) => UpstreamError.isInstance(error))).toBe(true);
  });
});

if (redisUrl === undefined && process.env["CI"] === "true") {
  describe("RedisEmbeddingCacheStore against redis-server", () => {
    it("needs VS_TEST_REDIS_URL", () => {
      expect.fail("VS_TEST_REDIS_URL is not set in CI: the test runner must start redis-server");
    });
  });
} else if (redisUrl === undefined) {
  console.warn(`RedisEmbeddingCacheStore against redis-server: ${SKIP_REASON}`);
  describe.skip(`RedisEmbeddingCacheStore against redis-server (${SKIP_REASON})`, () => {
    it("shares entries between processes", () => undefined);
  });
} else {
  const url = redisUrl;

  describe("RedisEmbeddingCacheStore against redis-server", () => {
    const inspector = createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const stores: RedisEmbeddingCacheStore[] = [];
    let keyPrefix: string;

    beforeAll(async () => {
      await inspector.connect();
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });
    afterAll(async () => {
      await inspector.close();
    });

    function store(options: Partial<RedisEmbeddingCacheStoreOptions> = {}): RedisEmbeddingCacheStore {
      // Generous timeouts: a loaded CI machine must not turn a slow answer into a failed test.
      const created = new RedisEmbeddingCacheStore({ url, keyPrefix, ttlMs: 60_000, connectTimeoutMs: 10_000, commandTimeoutMs: 10_000, ...options });
      stores.push(created);
      return created;
    }

    // A fresh prefix per test: the tests share one Redis, and entries outlive a test.
    function freshPrefix(): string {
      keyPrefix = `vs-test:${randomUUID()}:`;
      return keyPrefix;
    }

    it("shares entries between two stores, as between two gateway processes", async () => {
      freshPrefix();
      const writer = store();
      const reader = store();
      await writer.setMany([
        { key: "k1", vector: [0.5, -1, 2] },
        { key: "k2", vector: [0.1, 0.2] },
      ]);
      expect(await reader.getMany(["k2", "missing", "k1"])).toEqual([[Math.fround(0.1), Math.fround(0.2)], undefined, [0.5, -1, 2]]);
      expect(reader.stats()).toEqual({ hits: 2, misses: 1, errors: 0 });
      expect(writer.stats()).toEqual({ hits: 0, misses: 0, errors: 0 });
      const stored = await inspector.get(`${keyPrefix}k1`);
      expect(stored?.byteLength).toBe(12);
    });

    it("serves withEmbeddingCache's second process from what the first one embedded", async () => {
      freshPrefix();
      const firstModel = countingModel();
      const secondModel = countingModel();
      const first = withEmbeddingCache(firstModel, store());
      const secondStore = store();
      const second = withEmbeddingCache(secondModel, secondStore);
      await first.embed(["shared text", "other"]);
      // withEmbeddingCache writes without waiting; poll until the write has landed.
      const key = embeddingCacheKey(firstModel, "other");
      while ((await inspector.exists(`${keyPrefix}${key}`)) === 0) await sleep(10);
      const result = await second.embed(["other", "shared text", "new"]);
      expect(result.vectors).toEqual([vectorFor("other"), vectorFor("shared text"), vectorFor("new")]);
      expect(secondModel.calls).toEqual([["new"]]);
      expect(result.usage).toEqual({ prompt_tokens: 1, total_tokens: 1 });
    });

    it("writes every entry with the TTL, and an expired entry is a miss", async () => {
      freshPrefix();
      await store({ ttlMs: 60_000 }).setMany([
        { key: "k1", vector: [1] },
        { key: "k2", vector: [2] },
      ]);
      for (const key of ["k1", "k2"]) {
        const remainingMs = await inspector.pTTL(`${keyPrefix}${key}`);
        expect(remainingMs).toBeGreaterThan(0);
        expect(remainingMs).toBeLessThanOrEqual(60_000);
      }
      const shortLived = store({ ttlMs: 200 });
      await shortLived.setMany([{ key: "short", vector: [3] }]);
      let answer = await shortLived.getMany(["short"]);
      while (answer[0] !== undefined) {
        await sleep(50);
        answer = await shortLived.getMany(["short"]);
      }
      expect(answer).toEqual([undefined]);
      expect(await inspector.exists(`${keyPrefix}short`)).toBe(0);
    });

    it("keeps prefixes apart, and stores keys under its prefix", async () => {
      const firstPrefix = freshPrefix();
      const first = store();
      const secondPrefix = freshPrefix();
      const second = store();
      await first.setMany([{ key: "same-key", vector: [1, 1] }]);
      await second.setMany([{ key: "same-key", vector: [2, 2] }]);
      expect(await first.getMany(["same-key"])).toEqual([[1, 1]]);
      expect(await second.getMany(["same-key"])).toEqual([[2, 2]]);
      const onlyFirst = store({ keyPrefix: firstPrefix });
      await onlyFirst.setMany([{ key: "first-only", vector: [3] }]);
      expect(await second.getMany(["first-only"])).toEqual([undefined]);
      expect(await inspector.exists(`${firstPrefix}first-only`)).toBe(1);
      expect(await inspector.exists(`${secondPrefix}first-only`)).toBe(0);
    });

    it("treats an entry that is not a vector as a miss", async () => {
      freshPrefix();
      await inspector.set(`${keyPrefix}odd`, "abc");
      const reader = store();
      expect(await reader.getMany(["odd"])).toEqual([undefined]);
      expect(reader.stats()).toEqual({ hits: 0, misses: 1, errors: 0 });
    });

    it("answers empty calls without Redis, and rejects calls after close", async () => {
      freshPrefix();
      const closing = store();
      expect(await closing.getMany([])).toEqual([]);
      await closing.setMany([]);
      await closing.setMany([{ key: "k", vector: [1] }]);
      await closing.close();
      await closing.close();
      await expect(closing.getMany(["k"])).rejects.toThrow(/closed/);
    });

    it("feeds a tiered store's local cache from Redis", async () => {
      freshPrefix();
      const firstLocal = new EmbeddingCache({ maxEntries: 10, ttlMs: 60_000 });
      const secondLocal = new EmbeddingCache({ maxEntries: 10, ttlMs: 60_000 });
      const secondShared = store();
      const first = new TieredEmbeddingCacheStore(firstLocal, store());
      const second = new TieredEmbeddingCacheStore(secondLocal, secondShared);
      await first.setMany([{ key: "k", vector: [4, 5] }]);
      expect(firstLocal.stats().size).toBe(1);
      expect(await second.getMany(["k", "none"])).toEqual([[4, 5], undefined]);
      expect(secondShared.stats()).toEqual({ hits: 1, misses: 1, errors: 0 });
      expect(await second.getMany(["k"])).toEqual([[4, 5]]);
      expect(secondShared.stats()).toEqual({ hits: 1, misses: 1, errors: 0 });
      expect(secondLocal.stats()).toMatchObject({ hits: 1, size: 1 });
    });

    describe("through a relay that can hang or drop", () => {
      let proxy: TcpProxy;

      beforeAll(async () => {
        const { hostname, port } = new URL(url);
        proxy = await new TcpProxy(hostname, Number(port)).start();
      });
      afterAll(async () => {
        await proxy.close();
      });

      it("rejects with a cache timeout when Redis stops answering, and withEmbeddingCache embeds for real", async () => {
        freshPrefix();
        const hanging = store({ url: proxy.url, commandTimeoutMs: 200 });
        // Connected first, so that what times out is a command, not the connection's handshake.
        while (
          !(await hanging.getMany(["warm-up"]).then(
            () => true,
            () => false,
          ))
        )
          await sleep(20);
        const errorsBefore = hanging.stats().errors;
        proxy.freeze();
        try {
          const error = await hanging.getMany(["k"]).catch((caught: unknown) => caught);
          expect(error).toBeInstanceOf(UpstreamTimeoutError);
          expect(error).toMatchObject({ status: 504, code: "cache_timeout" });
          const model = countingModel();
          const result = await withEmbeddingCache(model, hanging, { onStoreError: () => undefined }).embed(["cached"]);
          expect(result.vectors).toEqual([vectorFor("cached")]);
          expect(model.calls).toEqual([["cached"]]);
          expect(hanging.stats().errors - errorsBefore).toBe(2);
        } finally {
          proxy.thaw();
        }
      });

      it("reconnects after the connection drops", async () => {
        freshPrefix();
        const connectionErrors: Error[] = [];
        const dropped = store({ url: proxy.url, onConnectionError: (error) => connectionErrors.push(error) });
        await dropped.setMany([{ key: "k", vector: [7] }]);
        proxy.dropConnections();
        let answer: Array<number[] | undefined> | undefined;
        while (answer === undefined) {
          answer = await dropped.getMany(["k"]).catch(async () => {
            await sleep(20);
            return undefined;
          });
        }
        expect(answer).toEqual([[7]]);
        expect(connectionErrors.length).toBeGreaterThanOrEqual(1);
      });
    });
  });
}
