import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { FakeEmbeddingServer } from "@vs/test-support";
import { describeWithService } from "@vs/test-support/vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";

// Two proxies with `cache: {type: redis}` share query embeddings: what one embedded, the other does not embed again.

const DIM = 8;

describeWithService("redis", "shared embedding cache in Redis", (redisUrl) => {
  let embeddingServer: FakeEmbeddingServer;
  let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
  let first: TestProxy;
  let second: TestProxy;

  beforeAll(async () => {
    embeddingServer = await new FakeEmbeddingServer(DIM, (text) => Array.from({ length: DIM }, (_, position) => (text.length + position) % 3)).start();
    const embeddingBase = embeddingServer.apiBase;
    milvus = await startMilvusRestServer();
    const post = (endpoint: string, body: unknown) =>
      fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await post("collections/create", {
      collectionName: "docs",
      schema: {
        fields: [
          { fieldName: "id", dataType: "Int64", isPrimary: true },
          { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
          { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
        ],
      },
      indexParams: [{ fieldName: "vector", metricType: "L2" }],
    });
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
    const embeddingCalls = () => embeddingServer.inputs;
    embeddingServer.requests.length = 0;
    const query = `shared question ${randomBytes(4).toString("hex")}`;
    expect((await first.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect(embeddingCalls()).toEqual([query]);
    expect((await second.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect((await first.call("/v1/vector_stores/docs/search", { body: { query } })).status).toBe(200);
    expect(embeddingCalls()).toEqual([query]);
    expect((await second.call("/v1/vector_stores/docs/search", { body: { query: `${query} and more` } })).status).toBe(200);
    expect(embeddingCalls()).toHaveLength(2);
  });
});
