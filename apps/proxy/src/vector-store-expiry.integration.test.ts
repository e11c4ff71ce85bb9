import { randomBytes } from "node:crypto";
import pg from "pg";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startPgvectorTestServer, type PgvectorTestServer } from "@vs/provider-pgvector/testing/pglite";
import { describeWithService } from "@vs/test-support/vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { FRUIT_TXT, pgvectorTemplate, templateConfig } from "./test-support/vector-store-flow.js";

// expires_after: a store whose expiry passed answers status "expired" and refuses searches (400), and the sweep deletes
// it, with the table vs created for it, once the grace period passed too. The proxy's database is real PostgreSQL, so
// the test can move a store's last_active_at back a day instead of waiting one.

const DAY_MS = 86_400_000;

describeWithService("postgres", "vector store expiry", (postgresUrl) => {
  const schema = `vs_expiry_${randomBytes(4).toString("hex")}`;
  let backend: PgvectorTestServer;
  let proxy: TestProxy;
  let database: pg.Client;
  let client: OpenAI;

  beforeAll(async () => {
    backend = await startPgvectorTestServer();
    const url = new URL(postgresUrl);
    url.searchParams.set("schema", schema);
    proxy = await startTestProxy(
      templateConfig(
        pgvectorTemplate(backend.url),
        `  database_url: ${url}\n  expired_vector_stores:\n    sweep_interval_seconds: 1\n    grace_seconds: 3600\n`,
      ),
    );
    database = new pg.Client({ connectionString: postgresUrl });
    await database.connect();
    client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await database?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await database?.query(`DROP SCHEMA IF EXISTS "${schema}_pgboss" CASCADE`).catch(() => undefined);
    await database?.end();
    await backend?.close();
  });

  /** As if the store's last activity was `agoMs` ago. */
  async function lastActive(storeId: string, agoMs: number): Promise<void> {
    const updated = await database.query(`UPDATE "${schema}".vs_vector_stores SET last_active_at = $2 WHERE id = $1`, [storeId, new Date(Date.now() - agoMs)]);
    expect(updated.rowCount).toBe(1);
  }

  async function backendTables(storeId: string): Promise<number> {
    const backendClient = new pg.Client({ connectionString: backend.url });
    await backendClient.connect();
    try {
      return (await backendClient.query("SELECT 1 FROM information_schema.tables WHERE lower(table_name) = lower($1)", [storeId])).rowCount ?? 0;
    } finally {
      await backendClient.end();
    }
  }

  it("an expired store says so and refuses searches; past the grace period the sweep deletes it and its table", async () => {
    const expiresAfter = { anchor: "last_active_at" as const, days: 1 };
    const expiring = await client.vectorStores.create({ name: "expiring", expires_after: expiresAfter });
    expect(expiring).toMatchObject({ status: "completed", expires_after: expiresAfter });
    expect(expiring.expires_at).toBe(expiring.last_active_at! + 86_400);
    await client.vectorStores.files.uploadAndPoll(expiring.id, await toFile(Buffer.from(FRUIT_TXT), "fruit.txt"), { pollIntervalMs: 200 });
    expect((await client.vectorStores.search(expiring.id, { query: "yellow fruit" })).data[0]?.filename).toBe("fruit.txt");
    const forgotten = await client.vectorStores.create({ name: "forgotten", expires_after: expiresAfter });
    const kept = await client.vectorStores.create({ name: "kept" });
    // The search's own last_active_at write lands first, so it cannot undo the rewind below.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    await lastActive(expiring.id, DAY_MS + 60_000); // expired a minute ago: within the grace period
    await lastActive(forgotten.id, DAY_MS + 2 * 3_600_000); // expired two hours ago: past it
    await lastActive(kept.id, 400 * DAY_MS); // no expires_after: never expires

    expect(await client.vectorStores.retrieve(expiring.id)).toMatchObject({ id: expiring.id, status: "expired" });
    // Stores found within the cache's time keep serving until it passes (auth_cache_ttl_ms, 2 s here).
    await expect
      .poll(
        async () =>
          client.vectorStores.search(expiring.id, { query: "yellow fruit" }).then(
            () => "searched",
            (error: unknown) => error,
          ),
        { timeout: 10_000, interval: 250 },
      )
      .toMatchObject({ status: 400, code: "vector_store_expired", param: "vector_store_id" });

    await expect
      .poll(
        () =>
          client.vectorStores.retrieve(forgotten.id).then(
            () => "still there",
            (error: unknown) => error,
          ),
        { timeout: 15_000, interval: 250 },
      )
      .toBeInstanceOf(OpenAI.NotFoundError);
    expect(await backendTables(forgotten.id)).toBe(0);
    // Within the grace period the expired store and its chunks stay; one without expires_after is never touched.
    expect(await backendTables(expiring.id)).toBe(1);
    expect(await client.vectorStores.retrieve(expiring.id)).toMatchObject({ status: "expired" });
    expect(await client.vectorStores.retrieve(kept.id)).toMatchObject({ status: "completed" });
    expect(await backendTables(kept.id)).toBe(1);

    // A new expires_after revives it: searchable again, chunks intact.
    const revived = await client.vectorStores.update(expiring.id, { expires_after: { anchor: "last_active_at", days: 30 } });
    expect(revived.status).toBe("completed");
    await expect
      .poll(async () => (await client.vectorStores.search(expiring.id, { query: "yellow fruit" }).catch(() => ({ data: [] }))).data[0]?.filename, {
        timeout: 10_000,
        interval: 250,
      })
      .toBe("fruit.txt");
  }, 120_000);
});
