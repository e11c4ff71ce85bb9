import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { describeWithService } from "@vs/test-support/vitest";

// The native Milvus passthrough and the admin routes, against Milvus Lite, on both databases the proxy supports.

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const REFERENCE_PAGE = resolve(here, "../../../../shared/reference/milvus-vector-store.md");

function databaseUrl(): string | undefined {
  const url = process.env["VS_TEST_DATABASE_URL"];
  if (!url && process.env["CI"] === "true") throw new Error("VS_TEST_DATABASE_URL is not set in CI: scripts/test.mjs must start PostgreSQL");
  return url || undefined;
}

function inSchema(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("schema", `vs_proxy_test_${randomBytes(5).toString("hex")}`);
  return parsed.toString();
}

function config(address: string, extra = ""): string {
  return `
vector_store_registry:
  - vector_store_name: milvus-store
    litellm_params:
      vector_store_id: can-be-anything
      custom_llm_provider: milvus
      api_base: grpc://${address}
general_settings:
  master_key: ${MASTER_KEY}
${extra}`;
}

/** A TCP relay in front of PostgreSQL that the test can cut, to see the database "go down" under a running proxy. */
async function startRelay(target: URL): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const relayed = new URL(target.toString());
  relayed.hostname = "127.0.0.1";
  relayed.port = String((server.address() as { port: number }).port);
  let cut = false;
  return {
    url: relayed.toString(),
    cut() {
      if (cut) return;
      cut = true;
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((done) => {
        if (!cut) server.close(() => done());
        else done();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describeWithService("milvusLite", "Milvus passthrough", (address) => {
  const url = databaseUrl();
  const databases: Array<{ kind: string; settings: () => string }> = [
    { kind: "PGlite", settings: () => "" },
    ...(url ? [{ kind: "PostgreSQL", settings: () => `  database_url: ${inSchema(url)}` }] : []),
  ];
  if (!url) it.skip("PostgreSQL variant (skipped: VS_TEST_DATABASE_URL not set — `pnpm test` starts PostgreSQL when it is installed)", () => undefined);

  for (const database of databases) {
    describe(`on ${database.kind}`, () => {
      let proxy: TestProxy;
      const suffix = randomBytes(4).toString("hex");
      const collection = (name: string) => `pt_${name}_${suffix}`;
      let readWriteKey: string;
      let readOnlyKey: string;

      async function createIndex(name: string, real: string): Promise<void> {
        const created = await proxy.call("/v1/indexes", {
          body: { index_name: name, litellm_params: { vector_store_index: real, vector_store_name: "milvus-store" } },
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
      }

      async function generate(body: Record<string, unknown>): Promise<string> {
        const generated = await proxy.call("/key/generate", { body });
        expect(generated.status, JSON.stringify(generated.body)).toBe(200);
        expect(generated.body.key).toMatch(/^sk-/);
        return generated.body.key as string;
      }

      const milvus = (endpoint: string, body: unknown, key: string, headers?: Record<string, string>) =>
        proxy.call(`/milvus/v2/vectordb/${endpoint}`, { body, key, ...(headers ? { headers } : {}) });

      beforeAll(async () => {
        proxy = await startTestProxy(config(address, database.settings()));
        await createIndex(`books-${suffix}`, collection("books"));
        await createIndex(`other-${suffix}`, collection("other"));
        readWriteKey = await generate({
          key_alias: `rw-${suffix}`,
          allowed_vector_store_indexes: [{ index_name: `books-${suffix}`, index_permissions: ["read", "write"] }],
        });
        readOnlyKey = await generate({ allowed_vector_store_indexes: [{ index_name: `books-${suffix}`, index_permissions: ["read"] }] });
      }, 120_000);

      afterAll(async () => {
        await milvus("collections/drop", { collectionName: `books-${suffix}` }, MASTER_KEY).catch(() => undefined);
        await proxy?.stop();
      });

      it("runs the reference page's Python Complete Example, changed only in its three settings", async () => {
        if (!existsSync(REFERENCE_PAGE)) {
          expect(process.env["CI"], `the reference page is missing at ${REFERENCE_PAGE}`).not.toBe("true");
          return;
        }
        const page = await readFile(REFERENCE_PAGE, "utf8");
        const blocks = [...page.matchAll(/```python\n([\s\S]*?)```/g)].map((match) => match[1]!);
        const client = blocks.find((block) => block.includes("class MilvusRESTClient"));
        const completeStart = page.indexOf("#### Complete Example");
        const example = [...page.slice(completeStart).matchAll(/```python\n([\s\S]*?)```/g)][0]?.[1];
        expect(client && example).toBeTruthy();
        const settings = example!
          .replace(/^uri = .*$/m, `uri = "${proxy.url}/milvus"`)
          .replace(/^token = .*$/m, `token = "${readWriteKey}"`)
          .replace(/^collection_name = .*$/m, `collection_name = "books-${suffix}"`);
        expect(settings).not.toBe(example);
        const directory = await mkdtemp(join(tmpdir(), "vs-reference-example-"));
        try {
          await writeFile(join(directory, "milvus_rest_client.py"), client!);
          await writeFile(join(directory, "example.py"), settings);
          const { stdout } = await run(process.env["VS_PYTHON"] ?? "python3", ["example.py"], {
            cwd: directory,
            timeout: 120_000,
            env: { ...process.env, PYTHONIOENCODING: "utf-8" },
          });
          expect(stdout).toContain("Collection created");
          expect(stdout).toContain("Insert completed");
          for (let index = 0; index < 5; index++) expect(stdout).toMatch(new RegExp(`Search ${index} results: \\[\\{`));
          // The real collection name never reaches the developer.
          expect(stdout).not.toContain(collection("books"));
        } finally {
          await rm(directory, { recursive: true, force: true });
        }
      }, 180_000);

      it("enforces read/write per index and refuses other indexes", async () => {
        const insert = await milvus(
          "entities/insert",
          { collectionName: `books-${suffix}`, data: [{ book_id: 999999, word_count: 1, book_intro: Array(64).fill(0.5) }] },
          readOnlyKey,
        );
        expect(insert.status).toBe(403);
        expect(insert.body.error.code).toBe("index_not_allowed");
        const otherIndex = await milvus("collections/has", { collectionName: `other-${suffix}` }, readWriteKey);
        expect(otherIndex.status).toBe(403);
        const read = await milvus("collections/has", { collectionName: `books-${suffix}` }, readOnlyKey);
        expect(read.status).toBe(200);
        expect(read.body.code).toBe(0);
        const notAnIndex = await milvus("collections/has", { collectionName: collection("books") }, MASTER_KEY);
        expect(notAnIndex.status).toBe(404);
        expect(notAnIndex.body.error.code).toBe("index_not_found");
      });

      it("fails closed on endpoints outside the allowlist and pins the database", async () => {
        for (const path of ["users/list", "databases/drop", "entities/search/../../users/list", "roles/list"]) {
          const response = await proxy.call(`/milvus/v2/vectordb/${path}`, { body: {}, key: readWriteKey });
          expect(response.status, path).toBe(403);
        }
        expect((await proxy.call("/milvus/v2/vectordb/users/list", { body: {}, key: MASTER_KEY })).status).toBe(403);
        const dbName = await milvus("collections/has", { collectionName: `books-${suffix}`, dbName: "other" }, readWriteKey);
        expect(dbName.status).toBe(400);
        expect(dbName.body.error.param).toBe("dbName");
        const header = await milvus("collections/has", { collectionName: `books-${suffix}` }, readWriteKey, { "DB-Name": "other" });
        expect(header.status).toBe(400);
        const list = await milvus("collections/list", {}, readOnlyKey);
        expect(list.body).toEqual({ code: 0, data: [`books-${suffix}`] });
      });

      it("refuses deleted and expired keys with 401", async () => {
        const doomed = await generate({ allowed_vector_store_indexes: [{ index_name: `books-${suffix}`, index_permissions: ["read"] }] });
        expect((await milvus("collections/has", { collectionName: `books-${suffix}` }, doomed)).status).toBe(200);
        const deleted = await proxy.call("/key/delete", { body: { keys: [doomed] } });
        expect(deleted.status).toBe(200);
        expect((await milvus("collections/has", { collectionName: `books-${suffix}` }, doomed)).status).toBe(401);

        const shortLived = await generate({ duration: "1s", allowed_vector_store_indexes: [{ index_name: `books-${suffix}`, index_permissions: ["read"] }] });
        const info = await proxy.call(`/key/info?key=${encodeURIComponent(shortLived)}`);
        expect(info.status).toBe(200);
        expect(JSON.stringify(info.body)).not.toContain(shortLived);
        const expiresAt = new Date(info.body.info.expires).getTime();
        await new Promise((done) => setTimeout(done, Math.max(0, expiresAt - Date.now()) + 50));
        expect((await milvus("collections/has", { collectionName: `books-${suffix}` }, shortLived)).status).toBe(401);
      });

      it("refuses unknown index names in keys and unknown stores in indexes", async () => {
        const badKey = await proxy.call("/key/generate", {
          body: { allowed_vector_store_indexes: [{ index_name: "no-such-index", index_permissions: ["read"] }] },
        });
        expect(badKey.status).toBe(400);
        expect(badKey.body.error.param).toBe("allowed_vector_store_indexes[0].index_name");
        const badIndex = await proxy.call("/v1/indexes", {
          body: { index_name: "x", litellm_params: { vector_store_index: "y", vector_store_name: "not-in-registry" } },
        });
        expect(badIndex.status).toBe(400);
        expect(badIndex.body.error.param).toBe("litellm_params.vector_store_name");
        const asDeveloper = await proxy.call("/v1/indexes", {
          body: { index_name: "x", litellm_params: { vector_store_index: "y", vector_store_name: "milvus-store" } },
          key: readWriteKey,
        });
        expect(asDeveloper.status).toBe(403);
      });

      it("serves a new index on the very next request and stops serving a deleted one", async () => {
        await createIndex(`fresh-${suffix}`, collection("books"));
        const key = await generate({ allowed_vector_store_indexes: [{ index_name: `fresh-${suffix}`, index_permissions: ["read"] }] });
        const has = await milvus("collections/has", { collectionName: `fresh-${suffix}` }, key);
        expect(has.status).toBe(200);
        expect((await proxy.call(`/v1/indexes/fresh-${suffix}`, { method: "DELETE" })).status).toBe(200);
        const gone = await milvus("collections/has", { collectionName: `fresh-${suffix}` }, key);
        expect(gone.status).toBe(404);
      });
    });
  }

  describe.runIf(url)("two proxy processes on one database", () => {
    it("an index created on one is live on the other at once; deleted, it stops there within the cache TTL", async () => {
      const settings = `  database_url: ${inSchema(url!)}\n  auth_cache_ttl_ms: 1000`;
      const first = await startTestProxy(config(address, settings));
      const second = await startTestProxy(config(address, settings));
      try {
        const name = `shared-${randomBytes(3).toString("hex")}`;
        expect(
          (
            await first.call("/v1/indexes", {
              body: { index_name: name, litellm_params: { vector_store_index: "shared_collection", vector_store_name: "milvus-store" } },
            })
          ).status,
        ).toBe(201);
        const key = (await first.call("/key/generate", { body: { allowed_vector_store_indexes: [{ index_name: name, index_permissions: ["read"] }] } })).body
          .key as string;
        const has = () => second.call("/milvus/v2/vectordb/collections/has", { body: { collectionName: name }, key });
        expect((await has()).status).toBe(200);
        expect((await first.call(`/v1/indexes/${name}`, { method: "DELETE" })).status).toBe(200);
        const deletedAt = Date.now();
        let status = 200;
        while (status === 200 && Date.now() - deletedAt < 5000) {
          await new Promise((done) => setTimeout(done, 100));
          status = (await has()).status;
        }
        expect(status).toBe(404);
        expect(Date.now() - deletedAt).toBeLessThan(3000); // the 1 s TTL plus request time on a busy machine
      } finally {
        await first.stop();
        await second.stop();
      }
    }, 60_000);
  });

  describe.runIf(url)("with the database down", () => {
    it("answers 503 for virtual keys, never access; the master key and health tell the truth", async () => {
      const relay = await startRelay(new URL(inSchema(url!)));
      const proxy = await startTestProxy(config(address, `  database_url: ${relay.url}\n  auth_cache_ttl_ms: 0`));
      try {
        await proxy.call("/v1/indexes", {
          body: { index_name: "down-test", litellm_params: { vector_store_index: "down_test", vector_store_name: "milvus-store" } },
        });
        const key = (await proxy.call("/key/generate", { body: { allowed_vector_store_indexes: [{ index_name: "down-test", index_permissions: ["read"] }] } }))
          .body.key as string;
        expect((await proxy.call("/milvus/v2/vectordb/collections/has", { body: { collectionName: "down-test" }, key })).status).toBe(200);
        relay.cut();
        const during = await proxy.call("/milvus/v2/vectordb/collections/has", { body: { collectionName: "down-test" }, key });
        expect(during.status).toBe(503);
        expect(during.body.error.code).toBe("database_unavailable");
        const search = await proxy.call("/v1/vector_stores/milvus-store/search", { body: { query: "x" }, key });
        expect(search.status).toBe(503);
        expect((await proxy.call("/health/readiness", { key: null })).status).toBe(503);
      } finally {
        await proxy.stop();
        await relay.close();
      }
    }, 60_000);
  });
});
