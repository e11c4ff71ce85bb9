import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgvectorProvider } from "./pgvector-provider.js";
import { pgvectorOptionsSchema } from "./pgvector-options.js";
import { CLIENT_TIMEOUT_GRACE_MS } from "./pgvector-session.js";

// A real PostgreSQL server (scripts/test.mjs starts one; Debian's 15 has no pgvector): what PGlite cannot show — the
// server's own statement_timeout (57014) ending a statement, and a real server's SQLSTATEs. No vector column needed:
// the write side's delete runs on any table with a file_id column.
const url = process.env["VS_TEST_DATABASE_URL"];
if (!url && process.env["CI"] === "true") throw new Error("VS_TEST_DATABASE_URL is not set in CI: scripts/test.mjs must start PostgreSQL");

describe.skipIf(!url)("against a real PostgreSQL server", () => {
  const provider = createPgvectorProvider({ env: {} });
  const table = `vs_pgvector_timeout_${process.pid}`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id text PRIMARY KEY, file_id text)`);
    await admin.query(`INSERT INTO ${table} VALUES ('a:0', 'a'), ('b:0', 'b')`);
  });

  afterAll(async () => {
    await admin?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin?.end();
    await provider.close();
  });

  it("statement_timeout is enforced per statement by the server: 57014 becomes a 504 well before the client's own timer", async () => {
    const target = { vectorStoreId: table, options: pgvectorOptionsSchema.parse({ api_base: url, timeout_ms: 300 }) };
    await admin.query("BEGIN");
    await admin.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const started = performance.now();
    const error = await provider.writer.deleteFileChunks(target, "a").catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    await admin.query("ROLLBACK");
    expect(error).toMatchObject({ status: 504, code: "vector_store_timeout" });
    expect((error as Error).cause).toMatchObject({ code: "57014" });
    expect(elapsed).toBeLessThan(300 + CLIENT_TIMEOUT_GRACE_MS);
    // Nothing was deleted, and the pool works afterwards.
    await provider.writer.deleteFileChunks(target, "a");
    expect((await admin.query(`SELECT id FROM ${table} ORDER BY id`)).rows).toEqual([{ id: "b:0" }]);
  });

  it("a missing table is a 404 and a missing database a 502 with the server's SQLSTATE", async () => {
    const options = pgvectorOptionsSchema.parse({ api_base: url });
    await expect(provider.checkHealth!({ vectorStoreId: "no_such_table_here", options })).rejects.toMatchObject({ status: 404 });
    await expect(provider.writer.deleteFileChunks({ vectorStoreId: "no_such_table_here", options }, "x")).rejects.toMatchObject({
      status: 404,
      code: "vector_store_error:42P01",
    });
    const missingDatabase = new URL(url!);
    missingDatabase.pathname = "/no_such_database_vs";
    await expect(
      provider.checkHealth!({ vectorStoreId: table, options: pgvectorOptionsSchema.parse({ api_base: missingDatabase.toString() }) }),
    ).rejects.toMatchObject({ status: 502, code: "vector_store_error:3D000" });
  });
});
