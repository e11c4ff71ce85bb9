import { randomBytes } from "node:crypto";
import { HttpClient } from "@zilliz/milvus2-sdk-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { describeWithService } from "@vs/test-support/vitest";

// The official Milvus Node client's REST HttpClient, unchanged, through `/milvus` with virtual keys; the proxy reaches
// Milvus Lite through the gRPC transport. Int64 keys past 2^53 go through both ways exact.

/** JSON.rawJSON (Node ≥ 21): lets a client send an integer past 2^53 as a JSON number. */
const rawJson = (text: string): unknown => (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);
const BIG_ID = "9007199254740993"; // 2^53 + 1: a double reads it as 9007199254740992

interface HttpFailure {
  status: number;
  message: string;
}

async function failure(promise: Promise<unknown>): Promise<HttpFailure> {
  try {
    const value = await promise;
    throw new Error(`expected an HTTP error, got ${JSON.stringify(value)}`);
  } catch (error) {
    const { status, message } = error as { status?: unknown; message: string };
    if (typeof status !== "number") throw error;
    return { status, message };
  }
}

describeWithService("milvusLite", "Milvus passthrough with the official Node HttpClient", (address) => {
  const suffix = randomBytes(4).toString("hex");
  const indexName = `sdk-${suffix}`;
  const realCollection = `pt_sdk_${suffix}`;
  let proxy: TestProxy;
  let readWriteKey: string;
  let readOnlyKey: string;
  const client = (token: string, database?: string) =>
    new HttpClient({ endpoint: `${proxy.url}/milvus`, token, ...(database === undefined ? {} : { database }) });
  const vector = (seed: number) => [1, seed, seed * 2, 0.5].map((value) => value / 10);

  beforeAll(async () => {
    proxy = await startTestProxy(`
vector_store_registry:
  - vector_store_name: milvus-store
    litellm_params:
      vector_store_id: unused
      custom_llm_provider: milvus
      api_base: grpc://${address}
general_settings:
  master_key: ${MASTER_KEY}
`);
    const created = await proxy.call("/v1/indexes", {
      body: { index_name: indexName, litellm_params: { vector_store_index: realCollection, vector_store_name: "milvus-store" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const generate = async (permissions: string[]) => {
      const generated = await proxy.call("/key/generate", {
        body: { allowed_vector_store_indexes: [{ index_name: indexName, index_permissions: permissions }] },
      });
      expect(generated.status, JSON.stringify(generated.body)).toBe(200);
      return generated.body.key as string;
    };
    readWriteKey = await generate(["read", "write"]);
    readOnlyKey = await generate(["read"]);
  }, 120_000);

  afterAll(async () => {
    await proxy?.call("/milvus/v2/vectordb/collections/drop", { body: { collectionName: indexName } }).catch(() => undefined);
    await proxy?.stop();
  });

  it("creates, checks, describes, inserts, searches, queries, gets and lists, with Int64 keys past 2^53 exact", async () => {
    const milvus = client(readWriteKey);
    expect(await milvus.createCollection({ collectionName: indexName, dimension: 4, metricType: "COSINE" } as never)).toMatchObject({ code: 0 });
    expect(await milvus.hasCollection({ collectionName: indexName } as never)).toEqual({ code: 0, data: { has: true } });
    const described = (await milvus.describeCollection({ collectionName: indexName } as never)) as unknown as {
      code: number;
      data: { collectionName: string; fields: Array<{ name: string; type: string }> };
    };
    expect(described.code).toBe(0);
    expect(described.data.collectionName).toBe(indexName);
    expect(described.data.fields.map((field) => [field.name, field.type])).toEqual([
      ["id", "Int64"],
      ["vector", "FloatVector"],
    ]);
    expect(JSON.stringify(described)).not.toContain(realCollection);

    const inserted = (await milvus.insert({
      collectionName: indexName,
      data: [
        { id: rawJson(BIG_ID), vector: vector(1) },
        { id: 7, vector: vector(5), tag: "seven" },
      ],
    } as never)) as { code: number; data: { insertCount: number; insertIds: unknown[] } };
    expect(inserted, JSON.stringify(inserted)).toMatchObject({ code: 0, data: { insertCount: 2 } });
    expect(inserted.data.insertIds.map(String)).toEqual([BIG_ID, "7"]);

    const got = (await milvus.get({ collectionName: indexName, id: [rawJson(BIG_ID)], outputFields: ["id"] } as never)) as {
      code: number;
      data: Array<{ id: unknown }>;
    };
    expect(got.code, JSON.stringify(got)).toBe(0);
    // The answer carries it as a string, as the Milvus REST server does for int64 when a client cannot read it exactly.
    expect(got.data.map((row) => String(row.id))).toEqual([BIG_ID]);

    const queried = (await milvus.query({ collectionName: indexName, filter: `id == ${BIG_ID}`, outputFields: ["id"] } as never)) as {
      code: number;
      data: Array<{ id: unknown }>;
    };
    expect(queried.code, JSON.stringify(queried)).toBe(0);
    expect(queried.data.map((row) => String(row.id))).toEqual([BIG_ID]);

    const searched = (await milvus.search({ collectionName: indexName, data: [vector(1)], limit: 2, outputFields: ["id"] } as never)) as unknown as {
      code: number;
      data: Array<{ id: unknown; distance: number }>;
    };
    expect(searched.code, JSON.stringify(searched)).toBe(0);
    expect(searched.data.map((row) => String(row.id))).toEqual([BIG_ID, "7"]);

    expect(await milvus.listCollections()).toEqual({ code: 0, data: [indexName] });
  }, 120_000);

  it("refuses a read-only key on insert, another database, and dbName in another letter case", async () => {
    const insert = await failure(client(readOnlyKey).insert({ collectionName: indexName, data: [{ id: 8, vector: vector(8) }] } as never));
    expect(insert.status).toBe(403);
    expect(insert.message).toContain("index_not_allowed");

    const otherDatabase = await failure(client(readWriteKey, "other_db").hasCollection({ collectionName: indexName } as never));
    expect(otherDatabase.status).toBe(400);
    expect(otherDatabase.message).toContain("database_pinned");
    // The pinned one ("default": the store names none), given explicitly, is fine.
    expect(await client(readWriteKey, "default").hasCollection({ collectionName: indexName } as never)).toMatchObject({ code: 0 });

    const call = (body: string, headers: Record<string, string> = {}) =>
      proxy.call("/milvus/v2/vectordb/collections/has", { body, key: readWriteKey, headers });
    for (const key of ["DBName", "dbname", "DBNAME", "DbNaMe"]) {
      const refused = await call(`{"collectionName": "${indexName}", "${key}": "other"}`);
      expect(refused.status, key).toBe(400);
      expect(refused.body.error).toMatchObject({ param: "dbName", code: "database_pinned" });
    }
    // Both spellings at once: which one Milvus would read depends on its JSON library, so neither is trusted.
    const twice = await call(`{"collectionName": "${indexName}", "dbName": "default", "DBName": "default"}`);
    expect(twice.status).toBe(400);
    expect((await call(`{"collectionName": "${indexName}", "DBName": "default"}`)).body).toMatchObject({ code: 0 });

    for (const body of [
      `{"collectionName": "${indexName}", "CollectionName": "${realCollection}"}`,
      `{"collectionName": "${indexName}", "collectionName": "${indexName}"}`,
      `{"CollectionName": "${indexName}"}`,
      `{"collect\u0131onName": "${indexName}"}`,
    ]) {
      const refused = await call(body);
      expect(refused.status, body).toBe(400);
      expect(refused.body.error).toMatchObject({ param: "collectionName", code: "ambiguous_parameter" });
    }

    expect((await call(`{"collectionName": "${indexName}"}`, { "DB-Name": "other" })).status).toBe(400);
    expect((await call(`{"collectionName": "${indexName}"}`, { "DB-Name": "default" })).body).toMatchObject({ code: 0 });
  });

  it("refuses bodies nested deeper than 64 levels with a 400 naming where", async () => {
    const deep = `{"collectionName": "${indexName}", "data": [${"[".repeat(100)}${"]".repeat(100)}]}`;
    const refused = await proxy.call("/milvus/v2/vectordb/entities/search", { body: deep, key: readWriteKey });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("json_too_deep");
    expect(refused.body.error.param).toBe(`data${"[0]".repeat(63)}`);
  });
});
