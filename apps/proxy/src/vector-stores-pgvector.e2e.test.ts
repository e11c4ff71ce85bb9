import pg from "pg";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { startPgvectorTestServer, type PgvectorTestServer } from "@vs/provider-pgvector/testing/pglite";
import { startTestProxy, type TestProxy } from "./test-support/harness.js";
import { pgvectorTemplate, templateConfig, vectorStoreFlowTests } from "./test-support/vector-store-flow.js";

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
        const tables = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE lower(table_name) = lower($1)", [storeId]);
        expect(tables.rows).toEqual([]);
      } finally {
        await client.end();
      }
    },
  );
});
