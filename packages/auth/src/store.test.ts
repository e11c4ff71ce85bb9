import { PGlite } from "@electric-sql/pglite";
import { BadRequestError, NotFoundError, ServiceUnavailableError } from "@vs/core";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey, keyAllows } from "./keys.js";
import { openAuthStore, type AuthStore } from "./store.js";
import { describeEachDatabase, rejection, type TestDatabaseHandle } from "./test-support/databases.js";

describeEachDatabase("auth store", (database) => {
  let handle: TestDatabaseHandle;
  let store: AuthStore;
  let now = new Date("2030-06-01T12:00:00.000Z");
  const advance = (milliseconds: number) => {
    now = new Date(now.getTime() + milliseconds);
  };

  beforeAll(async () => {
    handle = await database.create();
    store = await openAuthStore({ ...handle.options, clock: () => now });
  });

  afterAll(async () => {
    await store?.close();
    await handle?.cleanup();
  });

  it("says which database it runs on and answers ping", async () => {
    expect(store.kind).toBe(database.kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe("keys", () => {
    it("generates an sk- key, returns it once and describes it by hash", async () => {
      const { key, info } = await store.keys.generate(
        {
          key_alias: "generate-1",
          models: ["embedding-model"],
          allowed_vector_store_indexes: [{ index_name: "dall-e-6", index_permissions: ["write", "read"] }],
          metadata: { team: "search" },
        },
        "admin",
      );
      expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
      expect(info).toEqual({
        token: hashKey(key),
        key_name: `sk-...${key.slice(-4)}`,
        key_alias: "generate-1",
        models: ["embedding-model"],
        allowed_vector_store_indexes: [{ index_name: "dall-e-6", index_permissions: ["write", "read"] }],
        metadata: { team: "search" },
        expires: null,
        expired: false,
        blocked: false,
        can_create_vector_stores: false,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        created_by: "admin",
        updated_by: "admin",
        rpm_limit: null,
        tpm_limit: null,
        max_parallel_requests: null,
        max_budget: null,
        soft_budget: null,
        budget_duration: null,
        budget_started_at: now.toISOString(),
      });
      expect(JSON.stringify(info)).not.toContain(key);
      expect(keyAllows(info, "dall-e-6", "write")).toBe(true);
    });

    it("grants an index to a key in one statement, replacing an entry for the same index, concurrently", async () => {
      const { info } = await store.keys.generate(
        { can_create_vector_stores: true, allowed_vector_store_indexes: [{ index_name: "vs_a", index_permissions: ["read"] }] },
        "admin",
      );
      expect(info.can_create_vector_stores).toBe(true);
      await Promise.all([
        store.keys.grant(info.token, { index_name: "vs_a", index_permissions: ["read", "write"] }),
        store.keys.grant(info.token, { index_name: "vs_b", index_permissions: ["read", "write"] }),
      ]);
      const after = await store.keys.findByHash(info.token);
      expect(after?.allowed_vector_store_indexes).toEqual(
        expect.arrayContaining([
          { index_name: "vs_a", index_permissions: ["read", "write"] },
          { index_name: "vs_b", index_permissions: ["read", "write"] },
        ]),
      );
      expect(after?.allowed_vector_store_indexes).toHaveLength(2);
      await expect(store.keys.grant("0".repeat(64), { index_name: "vs_c", index_permissions: ["read"] })).resolves.toBe(false);
    });

    it("finds a key by the key, and nothing for an unknown key", async () => {
      const { key, info } = await store.keys.generate({}, "admin");
      await expect(store.keys.findByKey(key)).resolves.toEqual(info);
      await expect(store.keys.findByHash(info.token)).resolves.toEqual(info);
      await expect(store.keys.findByKey(`${key}x`)).resolves.toBeNull();
    });

    it("returns an expired key flagged as expired once the clock passes its duration", async () => {
      const { key, info } = await store.keys.generate({ duration: "1s" }, "admin");
      expect(info.expires).toBe(new Date(now.getTime() + 1000).toISOString());
      expect(info.expired).toBe(false);
      advance(2000);
      const later = await store.keys.findByKey(key);
      expect(later).toMatchObject({ token: info.token, expired: true });
    });

    it("accepts a caller-chosen key once, without echoing it when it is taken", async () => {
      const chosen = "sk-chosen-by-caller-0001";
      const { key, info } = await store.keys.generate({ key: chosen }, "admin");
      expect(key).toBe(chosen);
      expect(info.token).toBe(hashKey(chosen));
      const error = await rejection(store.keys.generate({ key: chosen }, "admin"));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ code: "key_exists", param: "key" });
      expect(error.message).not.toContain(chosen);
    });

    it("refuses a key_alias that another key has", async () => {
      await store.keys.generate({ key_alias: "taken-alias" }, "admin");
      const error = await rejection(store.keys.generate({ key_alias: "taken-alias" }, "admin"));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ code: "key_alias_exists", param: "key_alias" });
    });

    it("validates input with errors naming the field", async () => {
      const error = await rejection(store.keys.generate({ duration: "soon" }, "admin"));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ param: "duration" });
    });

    it("tells a key apart by the key, its hash or its alias", async () => {
      const { key, info } = await store.keys.generate({ key_alias: "info-alias" }, "admin");
      await expect(store.keys.info(key)).resolves.toEqual(info);
      await expect(store.keys.info(info.token)).resolves.toEqual(info);
      await expect(store.keys.info("info-alias")).resolves.toEqual(info);
      await expect(store.keys.info("no-such-alias")).resolves.toBeNull();
    });

    it("updates the fields given, leaves the others and records who did it", async () => {
      const { key, info } = await store.keys.generate({ key_alias: "update-me", models: ["a"], metadata: { keep: true }, duration: "1h" }, "admin");
      advance(1000);
      const updated = await store.keys.update(
        "update-me",
        { key_alias: "updated", allowed_vector_store_indexes: [{ index_name: "docs", index_permissions: ["read"] }], duration: null, blocked: true },
        "operator",
      );
      expect(updated).toEqual({
        ...info,
        key_alias: "updated",
        allowed_vector_store_indexes: [{ index_name: "docs", index_permissions: ["read"] }],
        expires: null,
        blocked: true,
        updated_at: now.toISOString(),
        updated_by: "operator",
      });
      await expect(store.keys.findByKey(key)).resolves.toEqual(updated);

      const extended = await store.keys.update(key, { duration: "30d", key_alias: null }, "operator");
      expect(extended.expires).toBe(new Date(now.getTime() + 30 * 86_400_000).toISOString());
      expect(extended.key_alias).toBeNull();
    });

    it("answers NotFoundError for an update of a missing key, without echoing a key", async () => {
      const missingKey = "sk-never-generated-0001";
      const error = await rejection(store.keys.update(missingKey, { models: [] }, "admin"));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).not.toContain(missingKey);
      await expect(store.keys.update("missing-alias", { models: [] }, "admin")).rejects.toBeInstanceOf(NotFoundError);
    });

    it("refuses an update to an alias another key has", async () => {
      await store.keys.generate({ key_alias: "first-alias" }, "admin");
      await store.keys.generate({ key_alias: "second-alias" }, "admin");
      await expect(store.keys.update("second-alias", { key_alias: "first-alias" }, "admin")).rejects.toMatchObject({ code: "key_alias_exists" });
    });

    it("deletes by key, hash or alias and reports the hashes deleted", async () => {
      const byKey = await store.keys.generate({}, "admin");
      const byHash = await store.keys.generate({}, "admin");
      const byAlias = await store.keys.generate({ key_alias: "delete-me" }, "admin");
      const result = await store.keys.delete([byKey.key, byHash.info.token, "delete-me", "sk-unknown-key-0000", "unknown-alias"]);
      expect([...result.deleted].sort()).toEqual([byKey.info.token, byHash.info.token, byAlias.info.token].sort());
      await expect(store.keys.findByKey(byKey.key)).resolves.toBeNull();
      await expect(store.keys.findByKey(byAlias.key)).resolves.toBeNull();
      await expect(store.keys.delete([])).resolves.toEqual({ deleted: [] });
      await expect(store.keys.delete([byKey.key])).resolves.toEqual({ deleted: [] });
    });

    it("lists newest first, pages, and never shows a key", async () => {
      const generated = [];
      for (let count = 0; count < 3; count += 1) {
        advance(1000);
        generated.push(await store.keys.generate({ key_alias: `list-${count}` }, "admin"));
      }
      const firstPage = await store.keys.list({ limit: 2 });
      expect(firstPage.map((info) => info.key_alias)).toEqual(["list-2", "list-1"]);
      const secondPage = await store.keys.list({ limit: 1, offset: 2 });
      expect(secondPage.map((info) => info.key_alias)).toEqual(["list-0"]);
      const everything = JSON.stringify(await store.keys.list({ limit: 1000 }));
      for (const { key, info } of generated) {
        expect(everything).toContain(info.token);
        expect(everything).not.toContain(key);
      }
      await expect(store.keys.list({ limit: 0 })).rejects.toBeInstanceOf(BadRequestError);
    });
  });

  describe("virtual indexes", () => {
    it("creates, reads, lists and deletes", async () => {
      const created = await store.indexes.create(
        {
          index_name: "dall-e-6",
          litellm_params: { vector_store_index: "real-collection-name", vector_store_name: "milvus-store" },
          index_info: { owner: "team-a" },
        },
        "admin",
      );
      expect(created).toEqual({
        index_name: "dall-e-6",
        litellm_params: { vector_store_index: "real-collection-name", vector_store_name: "milvus-store" },
        index_info: { owner: "team-a" },
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        created_by: "admin",
        updated_by: "admin",
      });
      await store.indexes.create({ index_name: "another", litellm_params: { vector_store_index: "c2", vector_store_name: "milvus-store" } }, "admin");
      await expect(store.indexes.get("dall-e-6")).resolves.toEqual(created);
      await expect(store.indexes.get("missing")).resolves.toBeNull();
      expect((await store.indexes.list()).map((index) => index.index_name)).toEqual(["another", "dall-e-6"]);
      expect((await store.indexes.getMany(["dall-e-6", "missing", "dall-e-6"])).map((index) => index.index_name)).toEqual(["dall-e-6"]);
      await expect(store.indexes.getMany([])).resolves.toEqual([]);
      await expect(store.indexes.delete("another")).resolves.toBe(true);
      await expect(store.indexes.delete("another")).resolves.toBe(false);
      await expect(store.indexes.get("another")).resolves.toBeNull();
    });

    it("refuses a second index with the same name", async () => {
      const input = { index_name: "only-once", litellm_params: { vector_store_index: "c", vector_store_name: "milvus-store" } };
      await store.indexes.create(input, "admin");
      const error = await rejection(store.indexes.create(input, "admin"));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ code: "index_exists", param: "index_name" });
    });

    it("names the bad field of an index", async () => {
      await expect(
        store.indexes.create({ index_name: "has space", litellm_params: { vector_store_index: "c", vector_store_name: "s" } }, "admin"),
      ).rejects.toMatchObject({
        param: "index_name",
      });
      const missing = { index_name: "ok", litellm_params: { vector_store_index: "c" } } as unknown as Parameters<AuthStore["indexes"]["create"]>[0];
      await expect(store.indexes.create(missing, "admin")).rejects.toMatchObject({ param: "litellm_params.vector_store_name" });
    });
  });

  describe("spend", () => {
    const alice = hashKey("sk-alice-key-000001");
    const bob = hashKey("sk-bob-key-00000001");

    it("records rows and lists them newest first, filtered by key and time", async () => {
      const start = new Date(now.getTime());
      await store.spend.record([
        {
          request_id: "r1",
          key_hash: alice,
          key_alias: "alice",
          route: "/v1/vector_stores/docs/search",
          vector_store: "docs",
          status_code: 200,
          latency_ms: 12,
          embedding_tokens: 10,
          embedding_cost_usd: 0.001,
          result_count: 3,
          created_at: new Date(start.getTime() + 1000),
        },
        {
          request_id: "r2",
          key_hash: bob,
          route: "/milvus/v2/vectordb/entities/search",
          index_name: "dall-e-6",
          status_code: 403,
          latency_ms: 1,
          error_code: "permission_denied",
          created_at: new Date(start.getTime() + 2000),
        },
        {
          request_id: "r3",
          key_hash: alice,
          route: "/v1/vector_stores/docs/search",
          status_code: 200,
          latency_ms: 20,
          embedding_tokens: 5,
          embedding_cost_usd: 0.0005,
          search_cost_usd: 0.25,
          created_at: new Date(start.getTime() + 3000).toISOString(),
        },
      ]);
      await store.spend.record([]);

      const rows = await store.spend.list({ since: start });
      expect(rows.map((row) => row.request_id)).toEqual(["r3", "r2", "r1"]);
      expect(rows[2]).toMatchObject({
        key_hash: alice,
        key_alias: "alice",
        vector_store: "docs",
        index_name: null,
        status_code: 200,
        latency_ms: 12,
        embedding_tokens: 10,
        embedding_cost_usd: 0.001,
        search_cost_usd: 0,
        result_count: 3,
        error_code: null,
        created_at: new Date(start.getTime() + 1000),
      });
      expect(rows[1]).toMatchObject({ error_code: "permission_denied", index_name: "dall-e-6", embedding_tokens: 0, result_count: null });
      expect((await store.spend.list({ keyHash: alice, since: start })).map((row) => row.request_id)).toEqual(["r3", "r1"]);
      expect((await store.spend.list({ since: start, until: new Date(start.getTime() + 2000) })).map((row) => row.request_id)).toEqual(["r1"]);
      expect((await store.spend.list({ since: start, limit: 1 })).map((row) => row.request_id)).toEqual(["r3"]);

      const summary = await store.spend.summary({ keyHash: alice, since: start });
      expect(summary.requests).toBe(2);
      expect(summary.embedding_tokens).toBe(15);
      expect(summary.cost_usd).toBeCloseTo(0.2515, 10);
      await expect(store.spend.summary({ keyHash: hashKey("nobody") })).resolves.toEqual({ requests: 0, embedding_tokens: 0, cost_usd: 0 });
    });

    it("refuses a row whose key_hash is a key rather than its hash, and stores nothing of it", async () => {
      const result = await store.spend.record([{ request_id: "r-key-as-hash", key_hash: "sk-alice-key-000001", route: "/x", status_code: 200, latency_ms: 1 }]);
      expect(result.written).toBe(0);
      expect(result.rejected).toEqual([{ request_id: "r-key-as-hash", reason: expect.stringMatching(/^rows\[0\]\.key_hash: must be a sha256 hex digest/) }]);
      expect(JSON.stringify(result)).not.toContain("sk-alice");
      expect((await store.spend.list({ limit: 1000 })).filter((row) => row.request_id === "r-key-as-hash")).toEqual([]);
    });
  });

  it("stores the hash of a key and never the key", async () => {
    const { key } = await store.keys.generate({ key_alias: "stored-hash" }, "admin");
    let rows: Record<string, unknown>[];
    if (handle.inspect) {
      rows = await handle.inspect("SELECT * FROM vs_verification_tokens");
    } else {
      // PGlite allows one instance per directory: look at the files after the store lets go of them.
      await store.close();
      const raw = await PGlite.create({ dataDir: path.join(handle.options.dataDir as string, "pglite") });
      rows = (await raw.query<Record<string, unknown>>("SELECT * FROM vs_verification_tokens")).rows;
      await raw.close();
      store = await openAuthStore({ ...handle.options, clock: () => now });
    }
    const dump = JSON.stringify(rows);
    expect(dump).toContain(hashKey(key));
    expect(dump).not.toContain(key);
  });

  it("fails closed after close: ServiceUnavailableError, never a missing key", async () => {
    const { key } = await store.keys.generate({}, "admin");
    await store.close();
    const error = await rejection(store.keys.findByKey(key));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: "database_unavailable" });
    await expect(store.ping()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await store.close();
  });
});
