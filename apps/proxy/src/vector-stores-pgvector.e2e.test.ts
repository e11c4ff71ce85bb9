import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPgvectorTestServer, type PgvectorTestServer } from "@vs/provider-pgvector/testing/pglite";
import { startTestProxy, type TestProxy } from "./test-support/harness.js";
import { HYBRID_QUERY, hybridFixture, pgvectorTemplate, templateConfig, vectorStoreFlowTests } from "./test-support/vector-store-flow.js";

// The OpenAI Vector Stores flow of vector-stores.integration.test.ts, with stores created on pgvector: real pgvector
// (PGlite's bundled extension over the wire protocol), the offline embedding model, the official clients.

describe("OpenAI vector stores on pgvector", () => {
  let database: PgvectorTestServer;
  let proxy: TestProxy;

  beforeAll(async () => {
    database = await startPgvectorTestServer();
    proxy = await startTestProxy(templateConfig(pgvectorTemplate(database.url)));
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await database?.close();
  });

  vectorStoreFlowTests(
    () => proxy,
    async (storeId) => {
      // Deleting the store drops the table vs created for it.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const tables = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE lower(table_name) = lower($1)", [
          storeId,
        ]);
        expect(tables.rows).toEqual([]);
      } finally {
        await client.end();
      }
    },
  );

  it("ranking_options.hybrid_search is a 400 naming it: pgvector stores have no full-text index", async () => {
    const { storeId, meaning } = await hybridFixture(proxy);
    const plain = await proxy.call(`/v1/vector_stores/${storeId}/search`, { body: { query: HYBRID_QUERY } });
    expect(plain.status).toBe(200);
    expect(plain.body.data[0].file_id).toBe(meaning);
    const hybrid = await proxy.call(`/v1/vector_stores/${storeId}/search`, {
      body: { query: HYBRID_QUERY, ranking_options: { hybrid_search: { embedding_weight: 0.3, text_weight: 0.7 } } },
    });
    expect(hybrid).toMatchObject({
      status: 400,
      body: { error: { param: "ranking_options.hybrid_search", message: expect.stringContaining("ranking_options.hybrid_search") } },
    });
    await proxy.call(`/v1/vector_stores/${storeId}`, { method: "DELETE" });
  }, 120_000);
});
