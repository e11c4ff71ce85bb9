import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEmbeddingServer } from "@vs/test-support";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";

// What a failing vector store lets through to callers and to the log: a virtual key learns what failed and the
// request id, never the store's address or its real collection names; nobody, the log included, sees its token.

const TOKEN = "root:s3cr3t-Pa55";
const PASSWORD = "s3cr3t-Pa55";

/** A Milvus REST v2 stand-in whose failures quote what real deployments have been seen to quote. */
async function startFakeMilvus(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", () => {
      const { collectionName } = JSON.parse(text) as { collectionName?: string };
      if (collectionName === "boom_collection") {
        response.writeHead(500, { "content-type": "text/plain" }).end(`internal error while authenticating Bearer ${TOKEN}`);
        return;
      }
      response.setHeader("content-type", "application/json");
      if (collectionName === "leaky_collection")
        response.end(JSON.stringify({ code: 1800, message: `user hasn't authenticated: invalid password ${PASSWORD} for root` }));
      else response.end(JSON.stringify({ code: 100, message: `collection not found[database=default][collection=${collectionName}]` }));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe("errors from the vector store", () => {
  let proxy: TestProxy;
  let milvus: { url: string; close(): Promise<void> };
  let embeddings: FakeEmbeddingServer;
  let downPort: number;
  let virtualKey: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    milvus = await startFakeMilvus();
    embeddings = await new FakeEmbeddingServer(4, () => [0.1, 0.2, 0.3, 0.4]).start();
    downPort = await closedPort();
    const store = (name: string, collection: string, apiBase: string) => `
  - vector_store_name: ${name}
    litellm_params:
      vector_store_id: ${collection}
      custom_llm_provider: milvus
      api_base: ${apiBase}
      api_key: "${TOKEN}"
      litellm_embedding_model: test-embedding
      milvus_text_field: text`;
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    proxy = await startTestProxy(
      `
model_list:
  - model_name: test-embedding
    litellm_params: { model: openai/test-embedding, api_base: ${embeddings.apiBase}, api_key: test-key }
vector_store_registry:${store("docs", "hidden_real_collection", milvus.url)}${store("leaky", "leaky_collection", milvus.url)}${store("boom", "boom_collection", milvus.url)}${store("down", "down_collection", `http://127.0.0.1:${downPort}`)}
general_settings:
  master_key: ${MASTER_KEY}
`,
      { extra: { logger: pino({ level: "info" }, logStream) } },
    );
    const grants = [];
    for (const [index, real, storeName] of [
      ["idx-docs", "hidden_real_collection", "docs"],
      ["idx-leaky", "leaky_collection", "leaky"],
      ["idx-boom", "boom_collection", "boom"],
      ["idx-down", "down_collection", "down"],
    ] as const) {
      const created = await proxy.call("/v1/indexes", {
        body: { index_name: index, litellm_params: { vector_store_index: real, vector_store_name: storeName } },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      grants.push({ index_name: index, index_permissions: ["read"] });
    }
    const generated = await proxy.call("/key/generate", { body: { allowed_vector_store_indexes: grants } });
    expect(generated.status).toBe(200);
    virtualKey = generated.body.key;
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await milvus?.close();
    await embeddings?.close();
  });

  const search = (store: string, key: string) => proxy.call(`/v1/vector_stores/${store}/search`, { body: { query: "anything" }, key });
  const has = (index: string, key: string) => proxy.call("/milvus/v2/vectordb/collections/has", { body: { collectionName: index }, key });

  it("tells a virtual key that the collection is missing, without its real name; the master key sees it", async () => {
    const asDeveloper = await search("docs", virtualKey);
    expect(asDeveloper.status).toBe(404);
    expect(asDeveloper.body.error.code).toBe("vector_store_error:100");
    expect(asDeveloper.body.error.message).not.toContain("hidden_real_collection");
    expect(asDeveloper.body.error.message).toContain(`Request id: ${asDeveloper.headers.get("x-request-id")}`);
    const asAdmin = await search("docs", MASTER_KEY);
    expect(asAdmin.status).toBe(404);
    expect(asAdmin.body.error.message).toContain("hidden_real_collection");
  });

  it("tells a virtual key that the store is unreachable, without its address, on search and on the passthrough", async () => {
    for (const response of [await search("down", virtualKey), await has("idx-down", virtualKey)]) {
      expect(response.status).toBe(502);
      expect(response.body.error.message).not.toContain("127.0.0.1");
      expect(response.body.error.message).not.toContain(String(downPort));
      expect(response.body.error.message).toContain(`Request id: ${response.headers.get("x-request-id")}`);
    }
    const asAdmin = await has("idx-down", MASTER_KEY);
    expect(asAdmin.status).toBe(502);
    expect(asAdmin.body.error.message).toContain(`127.0.0.1:${downPort}`);
    expect(asAdmin.body.error.message).toContain("ECONNREFUSED");
    // The log keeps where it failed.
    expect(logLines.join("")).toContain(`127.0.0.1:${downPort}`);
  });

  it("removes the store's token and password from Milvus's messages, in answers and in the log", async () => {
    const passthrough = await has("idx-leaky", virtualKey);
    expect(passthrough.status).toBe(200);
    expect(passthrough.body.code).toBe(1800);
    expect(passthrough.body.message).toContain("[redacted]");
    for (const key of [virtualKey, MASTER_KEY]) {
      const searched = await search("leaky", key);
      expect(searched.status).toBe(401);
      expect(JSON.stringify(searched.body)).not.toContain(PASSWORD);
      const boom = await has("idx-boom", key);
      expect(boom.status).toBe(502);
      expect(JSON.stringify(boom.body)).not.toContain(PASSWORD);
    }
    const adminBoom = await has("idx-boom", MASTER_KEY);
    expect(adminBoom.body.error.message).toContain("internal error while authenticating Bearer [redacted]");
    expect(JSON.stringify(passthrough.body)).not.toContain(PASSWORD);
    const log = logLines.join("");
    expect(log).toContain("[redacted]");
    expect(log).not.toContain(PASSWORD);
  });
});
