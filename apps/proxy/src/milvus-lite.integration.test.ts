import { afterAll, beforeAll, expect, it } from "vitest";
import { MilvusClient } from "@zilliz/milvus2-sdk-node";
import { createMilvusProvider, isMilvusSuccess, type MilvusTransport } from "@vs/provider-milvus";
import { createVectorStores, type VectorStores } from "@vs/sdk";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { FakeEmbeddingServer, seededRandom, similarity, type Metric } from "@vs/test-support";
import { describeWithService } from "@vs/test-support/vitest";

// One suite, three paths to a real Milvus engine (Milvus Lite):
//   sdk-grpc      vectorStores.search → gRPC transport
//   proxy         POST /v1/vector_stores/{id}/search → the same SDK → gRPC transport
//   sdk-rest      vectorStores.search → REST v2 transport → the proxy's /milvus passthrough → gRPC transport
// Expected results come from a brute-force computation over the inserted rows, never from the engine.

const DIM = 64;
const ROWS = 2000;
const RECENT_FROM = 1901; // ids ≥ this live in partition "recent"
const METRICS: Metric[] = ["L2", "IP", "COSINE"];

interface Row {
  id: number;
  text: string;
  category: number;
  vec: number[];
}

describeWithService("milvusLite", "search against Milvus Lite", (address) => {
  const random = seededRandom(7);
  const rows: Row[] = Array.from({ length: ROWS }, (_, index) => ({
    id: index + 1,
    text: `passage number ${index + 1}`,
    category: index % 10,
    vec: Array.from({ length: DIM }, () => random() * 2 - 1),
  }));
  const queries = Array.from({ length: 4 }, () => Array.from({ length: DIM }, () => random() * 2 - 1));
  const run = `${Date.now().toString(36)}${Math.floor(random() * 1e6)}`;
  const collection = (metric: Metric) => `it_${metric.toLowerCase()}_${run}`;

  let embeddingServer: FakeEmbeddingServer;
  let embeddingBase: string;
  let vectorStores: VectorStores;
  let transport: MilvusTransport;
  let proxy: TestProxy;
  let virtualKey: string;

  function expected(metric: Metric, query: number, options: { filter?: (row: Row) => boolean; limit?: number; offset?: number } = {}): number[] {
    return rows
      .filter(options.filter ?? (() => true))
      .map((row) => ({ id: row.id, value: similarity(metric, queries[query]!, row.vec) }))
      .sort((a, b) => b.value - a.value)
      .slice(options.offset ?? 0, (options.offset ?? 0) + (options.limit ?? 10))
      .map((row) => row.id);
  }

  async function ok(endpoint: string, body: Record<string, unknown>): Promise<unknown> {
    const answer = await transport.call(endpoint, body);
    if (!isMilvusSuccess(answer.code)) throw new Error(`${endpoint}: ${answer.code} ${answer.message}`);
    return answer.data;
  }

  beforeAll(async () => {
    // An OpenAI-compatible embedding server that knows the test's query vectors ("query 0" … "query 3").
    embeddingServer = await new FakeEmbeddingServer(DIM, (text) => queries[Number(text.split(" ")[1])]!).start();
    embeddingBase = embeddingServer.apiBase;

    const provider = createMilvusProvider();
    transport = provider.transportFor({ api_base: `grpc://${address}` }).transport;
    vectorStores = createVectorStores({ providers: [provider], embeddingCache: false });
    const client = new MilvusClient({ address, logLevel: "warn" });
    for (const metric of METRICS) {
      await ok("collections/create", {
        collectionName: collection(metric),
        schema: {
          autoId: false,
          enableDynamicField: false,
          fields: [
            { fieldName: "id", dataType: "Int64", isPrimary: true },
            { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 128 } },
            { fieldName: "category", dataType: "Int64" },
            { fieldName: "vec", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
          ],
        },
        // FLAT: an exact index, so brute force is the right expectation (AUTOINDEX is approximate).
        indexParams: [{ fieldName: "vec", metricType: metric, indexName: "vec_index", indexType: "FLAT" }],
      });
      await client.createPartition({ collection_name: collection(metric), partition_name: "recent" });
      for (let start = 0; start < ROWS; start += 500) {
        const batch = rows.slice(start, start + 500);
        const old = batch.filter((row) => row.id < RECENT_FROM);
        const recent = batch.filter((row) => row.id >= RECENT_FROM);
        if (old.length) await ok("entities/insert", { collectionName: collection(metric), data: old });
        if (recent.length) await ok("entities/insert", { collectionName: collection(metric), data: recent, partitionName: "recent" });
      }
      await ok("collections/flush", { collectionName: collection(metric) });
      await ok("collections/load", { collectionName: collection(metric) });
    }
    await client.closeConnection();

    const stores = METRICS.map(
      (metric) => `
  - vector_store_name: lite-${metric.toLowerCase()}
    litellm_params:
      vector_store_id: ${collection(metric)}
      custom_llm_provider: milvus
      api_base: grpc://${address}
      litellm_embedding_model: test-embedding
      milvus_text_field: text
      annsField: vec`,
    ).join("");
    proxy = await startTestProxy(`
model_list:
  - model_name: test-embedding
    litellm_params: { model: openai/test-embedding, api_base: ${embeddingBase}, api_key: test-key }
vector_store_registry:${stores}
  - vector_store_name: lite-l2-recent
    litellm_params:
      vector_store_id: ${collection("L2")}
      api_base: grpc://${address}
      litellm_embedding_model: test-embedding
      milvus_text_field: text
      partitionNames: [recent]
general_settings: { master_key: ${MASTER_KEY} }
`);
    for (const metric of METRICS) {
      const created = await proxy.call("/v1/indexes", {
        body: {
          index_name: `idx-${metric.toLowerCase()}`,
          litellm_params: { vector_store_index: collection(metric), vector_store_name: `lite-${metric.toLowerCase()}` },
        },
      });
      expect(created.status).toBe(201);
    }
    const generated = await proxy.call("/key/generate", {
      body: {
        key_alias: "integration",
        allowed_vector_store_indexes: METRICS.map((metric) => ({ index_name: `idx-${metric.toLowerCase()}`, index_permissions: ["read"] })),
      },
    });
    expect(generated.status).toBe(200);
    virtualKey = generated.body.key;
  }, 240_000);

  afterAll(async () => {
    if (transport) for (const metric of METRICS) await transport.call("collections/drop", { collectionName: collection(metric) }).catch(() => undefined);
    await proxy?.stop();
    await vectorStores?.close();
    await embeddingServer?.close();
  });

  type Params = Record<string, unknown>;
  type Search = (
    metric: Metric,
    params: Params,
  ) => Promise<{ ids: number[]; data: Array<{ score: number; distance?: number; content: Array<{ text: string }>; attributes: Record<string, unknown> }> }>;

  const toResult = (data: Array<{ score: number; content: Array<{ text: string }>; attributes: Record<string, unknown> }>) => ({
    data,
    ids: data.map((row) => Number(row.attributes["id"])),
  });
  const embedding = () => ({ litellm_embedding_model: "openai/test-embedding", litellm_embedding_config: { api_base: embeddingBase, api_key: "test-key" } });

  const paths: Record<string, Search> = {
    "sdk-grpc": async (metric, params) =>
      toResult(
        (
          await vectorStores.search({
            vector_store_id: collection(metric),
            custom_llm_provider: "milvus",
            api_base: `grpc://${address}`,
            milvus_text_field: "text",
            annsField: "vec",
            ...embedding(),
            ...params,
          } as never)
        ).data,
      ),
    proxy: async (metric, params) => {
      const { partitionNames, annsField: _annsField, ...body } = params;
      const store = partitionNames ? "lite-l2-recent" : `lite-${metric.toLowerCase()}`;
      const response = await proxy.call(`/v1/vector_stores/${store}/search`, { body });
      if (response.status !== 200) throw new Error(JSON.stringify(response.body));
      return toResult(response.body.data);
    },
    "sdk-rest (via the passthrough)": async (metric, params) =>
      toResult(
        (
          await vectorStores.search({
            vector_store_id: `idx-${metric.toLowerCase()}`,
            custom_llm_provider: "milvus",
            api_base: `${proxy.url}/milvus`,
            api_key: virtualKey,
            milvus_text_field: "text",
            annsField: "vec",
            ...embedding(),
            ...params,
          } as never)
        ).data,
      ),
  };

  it("a virtual key searches only the stores its indexes map to, with only its embedding models", async () => {
    const grant = (models: string[]) =>
      proxy.call("/key/generate", { body: { models, allowed_vector_store_indexes: [{ index_name: "idx-l2", index_permissions: ["read"] }] } });
    const key = (await grant([])).body.key as string;
    const allowed = await proxy.call("/v1/vector_stores/lite-l2/search", { body: { query: "query 0" }, key });
    expect(allowed.status).toBe(200);
    expect(allowed.body.data.map((row: { attributes: { id: number } }) => row.attributes.id)).toEqual(expected("L2", 0));
    const otherStore = await proxy.call("/v1/vector_stores/lite-ip/search", { body: { query: "query 0" }, key });
    expect(otherStore.status).toBe(403);
    expect(otherStore.body.error.code).toBe("vector_store_not_allowed");
    const byCollection = await proxy.call(`/v1/vector_stores/${collection("IP")}/search`, { body: { query: "query 0" }, key });
    expect(byCollection.status).toBe(403);
    const wrongModel = await proxy.call("/v1/vector_stores/lite-l2/search", { body: { query: "query 0" }, key: (await grant(["some-other-model"])).body.key });
    expect(wrongModel.status).toBe(403);
    expect(wrongModel.body.error.code).toBe("model_not_allowed");
    const rightModel = await proxy.call("/v1/vector_stores/lite-l2/search", { body: { query: "query 0" }, key: (await grant(["test-embedding"])).body.key });
    expect(rightModel.status).toBe(200);
  });

  for (const [path, search] of Object.entries(paths)) {
    for (const metric of METRICS) {
      it(`${path}: ${metric} ranks like brute force and scores higher-is-better`, async () => {
        const result = await search(metric, { query: "query 0" });
        expect(result.ids).toEqual(expected(metric, 0));
        const scores = result.data.map((row) => row.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        const best = rows.find((row) => row.id === result.ids[0])!;
        const raw = similarity(metric, queries[0]!, best.vec);
        const normalised = metric === "L2" ? 1 - -raw / 4 : (1 + raw) / 2;
        expect(result.data[0]!.score).toBeCloseTo(normalised, 3);
        expect(result.data[0]!.content[0]!.text).toBe(best.text);
      });
    }

    it(`${path}: limit, offset and max_num_results`, async () => {
      expect((await search("L2", { query: "query 1", limit: 5, offset: 5 })).ids).toEqual(expected("L2", 1, { limit: 5, offset: 5 }));
      expect((await search("IP", { query: "query 1", limit: 10, max_num_results: 3 })).ids).toEqual(expected("IP", 1, { limit: 3 }));
    });

    it(`${path}: filter, filters and both combined`, async () => {
      expect((await search("COSINE", { query: "query 2", filter: "category == 3" })).ids).toEqual(
        expected("COSINE", 2, { filter: (row) => row.category === 3 }),
      );
      const compound = {
        type: "and",
        filters: [
          { key: "category", type: "gte", value: 5 },
          { key: "category", type: "ne", value: 7 },
        ],
      };
      expect((await search("COSINE", { query: "query 2", filters: compound })).ids).toEqual(
        expected("COSINE", 2, { filter: (row) => row.category >= 5 && row.category !== 7 }),
      );
      const inList = { key: "category", type: "in", value: [1, 2] };
      expect((await search("L2", { query: "query 2", filter: "id > 1000", filters: inList })).ids).toEqual(
        expected("L2", 2, { filter: (row) => row.id > 1000 && [1, 2].includes(row.category) }),
      );
    });

    it(`${path}: outputFields, searchParams and partitionNames`, async () => {
      const withFields = await search("L2", { query: "query 3", outputFields: ["category"], searchParams: { metric_type: "L2", params: { nprobe: 10 } } });
      expect(withFields.ids).toEqual(expected("L2", 3));
      const first = rows.find((row) => row.id === withFields.ids[0])!;
      expect(withFields.data[0]!.attributes["category"]).toBe(first.category);
      expect(withFields.data[0]!.attributes).not.toHaveProperty("vec");
      expect(withFields.data[0]!.content[0]!.text).toBe(first.text);
      const recent = await search("L2", { query: "query 3", partitionNames: ["recent"] });
      expect(recent.ids).toEqual(expected("L2", 3, { filter: (row) => row.id >= RECENT_FROM }));
    });

    it(`${path}: groupingField keeps the best row of each group`, async () => {
      const grouped = await search("IP", { query: "query 1", groupingField: "category", limit: 4 });
      const bestPerCategory = new Map<number, number>();
      for (const id of expected("IP", 1, { limit: ROWS })) {
        const category = rows[id - 1]!.category;
        if (!bestPerCategory.has(category)) bestPerCategory.set(category, id);
      }
      expect(grouped.ids).toEqual([...bestPerCategory.values()].slice(0, 4));
    });
  }
});
