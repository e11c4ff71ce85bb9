import { randomUUID } from "node:crypto";
import { BadRequestError, ServiceUnavailableError } from "@vs/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "./keys.js";
import { openAuthStore, type AuthStore } from "./store.js";
import type { SpendRowInput } from "./spend.js";
import { describeEachDatabase, rejection, type TestDatabaseHandle } from "./test-support/databases.js";

// PostgreSQL refuses a NUL in text and an integer out of range for the whole statement: one bad row must cost only
// itself, and a NUL from a caller must be a 400 naming the field, never a 503 "database unavailable".

describeEachDatabase("bad input at the auth store", (database) => {
  let handle: TestDatabaseHandle;
  let store: AuthStore;

  beforeAll(async () => {
    handle = await database.create();
    store = await openAuthStore(handle.options);
  });

  afterAll(async () => {
    await store?.close();
    await handle?.cleanup();
  });

  const row = (request_id: string, extra: Partial<SpendRowInput> = {}): SpendRowInput => ({
    id: randomUUID(),
    request_id,
    route: "/v1/vector_stores/docs/search",
    status_code: 200,
    latency_ms: 3,
    ...extra,
  });
  const stored = async (prefix: string) => (await store.spend.list({ limit: 1000 })).filter((entry) => entry.request_id.startsWith(prefix));

  describe("spend rows", () => {
    it("keeps a row whose text holds a NUL (replaced), and every other row of its batch", async () => {
      const result = await store.spend.record([
        row("nul-1"),
        row("nul-2", {
          route: "/v1/vector_stores/a\u0000b/search",
          key_alias: "al\u0000ias",
          index_name: "i\u0000",
          vector_store: "\u0000",
          error_code: "x\u0000",
        }),
        row("nul-3"),
      ]);
      expect(result).toEqual({ written: 3, rejected: [], budgetCrossings: [] });
      const rows = await stored("nul-");
      expect(rows.map((entry) => entry.request_id).sort()).toEqual(["nul-1", "nul-2", "nul-3"]);
      expect(rows.find((entry) => entry.request_id === "nul-2")).toMatchObject({
        route: "/v1/vector_stores/a\uFFFDb/search",
        key_alias: "al\uFFFDias",
        index_name: "i\uFFFD",
        vector_store: "\uFFFD",
        error_code: "x\uFFFD",
      });
    });

    it("drops only the row the database refuses, and reports it", async () => {
      const result = await store.spend.record([row("range-1"), row("range-2", { latency_ms: 3_000_000_000 }), row("range-3"), row("range-4")]);
      expect(result.written).toBe(3);
      expect(result.rejected).toEqual([{ request_id: "range-2", reason: expect.stringMatching(/out of range/) }]);
      expect((await stored("range-")).map((entry) => entry.request_id).sort()).toEqual(["range-1", "range-3", "range-4"]);
    });

    it("drops only an invalid row, and reports it naming the field", async () => {
      const result = await store.spend.record([
        row("invalid-1"),
        row("invalid-2", { status_code: 999 }),
        { request_id: "" } as SpendRowInput,
        row("invalid-3"),
      ]);
      expect(result.written).toBe(2);
      expect(result.rejected).toEqual([
        { request_id: "invalid-2", reason: expect.stringContaining("rows[1].status_code") },
        { request_id: null, reason: expect.stringContaining("rows[2].request_id") },
      ]);
      expect((await stored("invalid-")).map((entry) => entry.request_id).sort()).toEqual(["invalid-1", "invalid-3"]);
    });

    it("stores a row once when its batch is sent again (a retry after a failure half-way)", async () => {
      const batch = [row("again-1"), row("again-2")];
      await store.spend.record(batch);
      expect(await store.spend.record([...batch, row("again-3")])).toEqual({ written: 3, rejected: [], budgetCrossings: [] });
      expect((await stored("again-")).map((entry) => entry.request_id).sort()).toEqual(["again-1", "again-2", "again-3"]);
    });
  });

  describe("NUL in names", () => {
    it("refuses a NUL in what it would store, naming the field", async () => {
      const cases: Array<[Promise<unknown>, string]> = [
        [store.keys.generate({ key_alias: "a\u0000b" }, "admin"), "key_alias"],
        [store.keys.generate({ models: ["m", "\u0000"] }, "admin"), "models[1]"],
        [store.keys.generate({ metadata: { team: { name: "x\u0000" } } }, "admin"), "metadata.team.name"],
        [
          store.keys.generate({ allowed_vector_store_indexes: [{ index_name: "i\u0000", index_permissions: ["read"] }] }, "admin"),
          "allowed_vector_store_indexes[0].index_name",
        ],
        [
          store.indexes.create({ index_name: "nul-index", litellm_params: { vector_store_index: "c\u0000", vector_store_name: "s" } }, "admin"),
          "litellm_params.vector_store_index",
        ],
        [
          store.indexes.create(
            { index_name: "nul-index", litellm_params: { vector_store_index: "c", vector_store_name: "s" }, index_info: { note: "\u0000" } },
            "admin",
          ),
          "index_info.note",
        ],
      ];
      for (const [attempt, param] of cases) {
        const error = await rejection(attempt);
        expect(error).toBeInstanceOf(BadRequestError);
        expect(error).toMatchObject({ param, code: "invalid_character" });
      }
      const { key } = await store.keys.generate({ key_alias: "nul-target" }, "admin");
      const update = await rejection(store.keys.update(key, { key_alias: "b\u0000" }, "admin"));
      expect(update).toMatchObject({ param: "key_alias", code: "invalid_character" });
    });

    it("finds nothing for a name holding a NUL, without asking the database", async () => {
      await expect(store.keys.info("nul\u0000alias")).resolves.toBeNull();
      await expect(store.keys.findByKey("sk-\u0000")).resolves.toBeNull();
      await expect(store.keys.findByHash(`${hashKey("x").slice(0, 63)}\u0000`)).resolves.toBeNull();
      await expect(store.indexes.get("a\u0000b")).resolves.toBeNull();
      await expect(store.indexes.getMany(["a\u0000b"])).resolves.toEqual([]);
      await expect(store.keys.delete(["\u0000"])).resolves.toEqual({ deleted: [] });
      const error = await rejection(store.keys.update("\u0000", { blocked: true }, "admin"));
      expect(error).toMatchObject({ code: "key_not_found" });
      const filter = await rejection(store.spend.list({ keyHash: "\u0000" }));
      expect(filter).toBeInstanceOf(BadRequestError);
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });

  it("rejects a batch as an outage (503) when the database does not answer, so the caller keeps the rows", async () => {
    const other = await openAuthStore(handle.options.databaseUrl ? handle.options : { ...handle.options, dataDir: `${handle.options.dataDir}-closed` });
    await other.close();
    const error = await rejection(other.spend.record([row("outage-1")]));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });
});
