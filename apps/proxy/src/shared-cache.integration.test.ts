import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { startEmbeddingServer } from "./test-support/embedding-server.js";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";

// Two proxies with `cache: {type: redis}` share query embeddings: what one embedded, the other does not embed again.

const redisUrl = process.env["VS_TEST_REDIS_URL"];
if (!redisUrl && process.env["CI"] === "true") throw new Error("VS_TEST_REDIS_URL is not set in CI: scripts/test.mjs must start Redis");
const DIM = 8;

(redisUrl ? describe : describe.skip)(`shared embedding cache in Redis${redisUrl ? "" : " (skipped: VS_TEST_REDIS_URL not set — `pnpm test` starts Redis when redis-server is installed)"}`, () => {
  let embeddingServer: Awaited<ReturnType<typeof startEmbeddingServer>>;
  let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
  let first: TestProxy;
  let second: TestProxy;

  beforeAll(async () => {
    embeddingServer = await startEmbeddingServer((text) => Array.from({ length: DIM }, (_, position) => (text.length + position) % 3));
    const embeddingBase = embeddingServer.apiBase;
    milvus = await startMilvusRestServer();
    const post = (endpoint: string, body: unknown) => fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await post("collections/create", { collectionName: "docs", schema: { fields: [
      { fieldName: "id", dataType: "Int64", isPrimary: true },
      { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
      { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
    ] }, indexParams: [{ fieldName: "vector", metricType: "L2" }] });
    await post("entities/insert", { collectionName: "docs", data: [{ id: 1, text: "one", vector: Array(DIM).fill(1) }] });
    const yaml = `
vector_store_registry:
  - vector_store_name: docs
    litellm_params: { vector_store_id: docs, api_base: "${milvus.url}", milvus_text_field: text, litellm_embedding_model: openai/counting, litellm_embedding_config: { api_base: "${embeddingBase}", api_key: k } }
general_settings:
  master_key: ${MASTER_KEY}
  cache: { type: redis, url: "${redisUrl}", key_prefix: "vs-test-${randomBytes(4).toString("hex")}:" }
`;
    first = await startTestProxy(yaml);
    second = await startTestProxy(yaml);
  }, 60_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await milvus?.close();
    await embeddingServer?.close();
  });

  it("embeds a query once across processes", async () => {
    const embeddingCalls = embeddingServer.inputs;
    embeddingCalls.length = 0;
    const query = `shared question ${randomBytes(4).toString("hex")}`;
    expect((await first.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect(embeddingCalls).toEqual([query]);
    expect((await second.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect((await first.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect(embeddingCalls).toEqual([query]);
    expect((await second.call("/v1/vector_stores/docs/search", { body: { query: `${query} and more` } })).status).toBe(200);
    expect(embeddingCalls).toHaveLength(2);
  });
});
