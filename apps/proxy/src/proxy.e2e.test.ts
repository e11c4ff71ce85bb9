import { createServer } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddingModel, LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { cosine, squaredL2 } from "@vs/test-support";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";

// End to end over loopback: the real proxy, the real local embedding model, and a Milvus REST v2 server built from
// the contract (data set up through its HTTP API, exactly as a client would).

const DOCS = [
  { doc_id: 1, topic: "animals", text: "A cat sleeps on the warm windowsill all afternoon." },
  { doc_id: 2, topic: "animals", text: "Dogs love to chase balls in the park." },
  { doc_id: 3, topic: "animals", text: "The kitten curled up on a soft rug." },
  { doc_id: 4, topic: "finance", text: "Stock markets fell sharply after the interest rate decision." },
  { doc_id: 5, topic: "finance", text: "Investors moved money into government bonds." },
  { doc_id: 6, topic: "travel", text: "Paris is the capital of France and famous for the Eiffel Tower." },
  { doc_id: 7, topic: "travel", text: "Rome has ancient ruins and wonderful food." },
  { doc_id: 8, topic: "cooking", text: "Bake the bread at two hundred degrees for forty minutes." },
  { doc_id: 9, topic: "cooking", text: "Fresh basil makes tomato sauce taste better." },
  { doc_id: 10, topic: "tech", text: "Vector databases search embeddings by similarity." },
];
const QUERY = "Where do cats like to nap?";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
let proxy: TestProxy;
let docVectors: number[][];
let queryVector: number[];

async function milvusCall(endpoint: string, body: unknown): Promise<{ code: number; message?: string }> {
  const response = await fetch(`${milvus.url}/v2/vectordb/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { code: number; message?: string };
}

async function createCollection(name: string, metricType: "L2" | "COSINE" | "IP"): Promise<void> {
  const created = await milvusCall("collections/create", {
    collectionName: name,
    schema: {
      autoId: false,
      enableDynamicField: false,
      fields: [
        { fieldName: "doc_id", dataType: "Int64", isPrimary: true },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 1024 } },
        { fieldName: "topic", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "embedding", dataType: "FloatVector", elementTypeParams: { dim: docVectors[0]!.length } },
      ],
    },
    indexParams: [{ fieldName: "embedding", metricType, indexName: "embedding_index" }],
  });
  expect(created.code).toBe(0);
  const inserted = await milvusCall("entities/insert", { collectionName: name, data: DOCS.map((doc, index) => ({ ...doc, embedding: docVectors[index] })) });
  expect(inserted.code).toBe(0);
}

function storeEntry(name: string, collection: string, apiBase: string): string {
  return `
  - vector_store_name: ${name}
    litellm_params:
      vector_store_id: ${collection}
      custom_llm_provider: milvus
      api_base: ${apiBase}
      api_key: os.environ/TEST_MILVUS_TOKEN
      litellm_embedding_model: embedding-model
      milvus_text_field: text`;
}

beforeAll(async () => {
  const model = createEmbeddingModel(LOCAL_EMBEDDING_MODEL);
  docVectors = (await model.embed(DOCS.map((doc) => doc.text))).vectors;
  queryVector = (await model.embed([QUERY])).vectors[0]!;
  milvus = await startMilvusRestServer();
  await createCollection("docs_cosine", "COSINE");
  await createCollection("docs_l2", "L2");
  const downPort = await closedPort();
  proxy = await startTestProxy(
    `
model_list:
  - model_name: embedding-model
    litellm_params:
      model: ${LOCAL_EMBEDDING_MODEL}
vector_store_registry:${storeEntry("docs-cosine", "docs_cosine", milvus.url)}${storeEntry("docs-l2", "docs_l2", milvus.url)}${storeEntry("missing-collection", "no_such_collection", milvus.url)}${storeEntry("milvus-down", "docs_cosine", `http://127.0.0.1:${downPort}`)}
guardrails:
  - guardrail_name: no-secrets
    litellm_params: { guardrail: block_patterns, patterns: ['\\bpassword\\b'], vector_stores: [docs-l2] }
  - guardrail_name: hide-landmarks
    litellm_params: { guardrail: redact_patterns, patterns: ["eiffel tower"], vector_stores: [docs-l2] }
  - guardrail_name: short-queries
    litellm_params: { guardrail: max_query_length, max_characters: 200, vector_stores: [docs-l2] }
general_settings:
  master_key: os.environ/TEST_MASTER_KEY
`,
    { env: { TEST_MASTER_KEY: MASTER_KEY, TEST_MILVUS_TOKEN: "root:Milvus" } },
  );
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await milvus?.close();
});

describe("POST /v1/vector_stores/{id}/search", () => {
  it("answers the standard page with text content, attributes and normalised scores", async () => {
    const { status, body, headers } = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY } });
    expect(status).toBe(200);
    expect(body.object).toBe("vector_store.search_results.page");
    expect(body.search_query).toBe(QUERY);
    expect(body.data.length).toBe(DOCS.length); // default limit 10 covers the 10 documents
    const top = body.data[0];
    expect(top.content).toEqual([{ type: "text", text: DOCS.find((doc) => doc.doc_id === Number(top.attributes.doc_id ?? top.attributes.id))!.text }]);
    expect(top.file_id).toBeNull();
    expect(top.filename).toBeNull();
    expect(top.attributes).not.toHaveProperty("text");
    expect(top.attributes).not.toHaveProperty("embedding");
    expect(top.attributes.topic).toBe("animals");
    expect(Number(headers.get("x-vs-overhead-ms"))).toBeGreaterThanOrEqual(0);
    expect(headers.get("server-timing")).toMatch(/embedding;dur=.*upstream;dur=.*gateway;dur=/);
  });

  it("orders COSINE and L2 results as a brute-force computation does, with the same scores for both metrics", async () => {
    const expectedByCosine = DOCS.map((doc, index) => ({ id: doc.doc_id, value: cosine(queryVector, docVectors[index]!) })).sort((a, b) => b.value - a.value);
    const expectedByL2 = DOCS.map((doc, index) => ({ id: doc.doc_id, value: squaredL2(queryVector, docVectors[index]!) })).sort((a, b) => a.value - b.value);
    const cosineResult = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY } });
    const l2Result = await proxy.call("/vector_stores/docs-l2/search", { body: { query: QUERY } });
    const idOf = (row: { attributes: Record<string, unknown> }) => Number(row.attributes["doc_id"] ?? row.attributes["id"]);
    expect(cosineResult.body.data.map(idOf)).toEqual(expectedByCosine.map((row) => row.id));
    expect(l2Result.body.data.map(idOf)).toEqual(expectedByL2.map((row) => row.id));
    for (const page of [cosineResult.body, l2Result.body]) {
      const scores = page.data.map((row: { score: number }) => row.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    // Unit-length vectors: (1 + cos) / 2 and 1 - d²/4 are the same number.
    cosineResult.body.data.forEach((row: { score: number }, index: number) => {
      expect(row.score).toBeCloseTo(l2Result.body.data[index].score, 4);
      expect(row.score).toBeCloseTo((1 + expectedByCosine[index]!.value) / 2, 4);
    });
    expect(l2Result.body.data[0].distance).toBeCloseTo(expectedByL2[0]!.value, 4);
  });

  it("honours max_num_results, filters and score_threshold", async () => {
    const limited = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY, max_num_results: 3 } });
    expect(limited.body.data).toHaveLength(3);
    const filtered = await proxy.call("/v1/vector_stores/docs-cosine/search", {
      body: { query: QUERY, filters: { type: "eq", key: "topic", value: "finance" } },
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body.data.map((row: { attributes: { topic: string } }) => row.attributes.topic)).toEqual(["finance", "finance"]);
    const all = (await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY } })).body.data;
    const threshold = (all[2].score + all[3].score) / 2;
    const thresholded = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY, ranking_options: { score_threshold: threshold } } });
    expect(thresholded.body.data).toHaveLength(3);
  });

  it("applies a store's guardrails: blocked queries, a length limit, redacted results; other stores untouched", async () => {
    const blocked = await proxy.call("/v1/vector_stores/docs-l2/search", { body: { query: "what is the admin password?" } });
    expect(blocked.status).toBe(400);
    expect(blocked.body.error).toMatchObject({ code: "guardrail_blocked", param: "query" });
    expect(blocked.body.error.message).toContain("no-secrets");
    expect((await proxy.call("/v1/vector_stores/docs-l2/search", { body: { query: "x".repeat(201) } })).body.error.code).toBe("guardrail_blocked");
    const redacted = await proxy.call("/v1/vector_stores/docs-l2/search", { body: { query: "famous tower in Paris" } });
    const paris = redacted.body.data.find((row: { attributes: Record<string, unknown> }) => Number(row.attributes["doc_id"] ?? row.attributes["id"]) === 6);
    expect(paris.content[0].text).toBe("Paris is the capital of France and famous for the [REDACTED].");
    const untouched = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: "what is the admin password?" } });
    expect(untouched.status).toBe(200);
  });

  it("is what the official openai client's vectorStores.search gets", async () => {
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const page = await client.vectorStores.search("docs-cosine", { query: QUERY, max_num_results: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.data[0]!.content[0]!.type).toBe("text");
    expect(page.data[0]!.attributes?.["topic"]).toBe("animals");
  });
});

describe("errors", () => {
  it("400 names the bad field; caller may not override the admin's settings", async () => {
    const tooMany = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY, max_num_results: 51 } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.param).toBe("max_num_results");
    expect(tooMany.body.error.type).toBe("invalid_request_error");
    const noQuery = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: {} });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.error.param).toBe("query");
    const override = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY, api_base: "http://169.254.169.254" } });
    expect(override.status).toBe(400);
    expect(override.body.error.message).toContain("api_base: unknown field");
    const huge = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: "x".repeat(1024 * 1024 + 10) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    // No Content-Length (chunked): the limit is counted as the bytes arrive.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
        controller.close();
      },
    });
    const streamed = await fetch(`${proxy.url}/v1/vector_stores/docs-cosine/search`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const empty = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: "" });
    expect(empty.status).toBe(400);
    const badJson = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("invalid_json");
  });

  it("401 without a key or with a wrong one; 404 for an unknown store", async () => {
    expect((await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY }, key: null })).status).toBe(401);
    const wrong = await proxy.call("/v1/vector_stores/docs-cosine/search", { body: { query: QUERY }, key: "sk-wrong" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.type).toBe("authentication_error");
    const unknown = await proxy.call("/v1/vector_stores/nope/search", { body: { query: QUERY } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("vector_store_not_found");
  });

  it("Milvus code 100 becomes a 404 carrying Milvus's code; Milvus down becomes a 502", async () => {
    const missing = await proxy.call("/v1/vector_stores/missing-collection/search", { body: { query: QUERY } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("vector_store_error:100");
    const down = await proxy.call("/v1/vector_stores/milvus-down/search", { body: { query: QUERY } });
    expect(down.status).toBe(502);
    expect(down.body.error.message).not.toContain("root:Milvus");
  });

  it("writes one spend row per request, with the query embedding's tokens attributed to the search", async () => {
    const before = (await proxy.call("/spend/summary")).body as { requests: number; embedding_tokens: number };
    const searched = await proxy.call("/v1/vector_stores/docs-cosine/search", {
      body: { query: "a completely new question about bread" },
      headers: { "x-request-id": "spend-test-1" },
    });
    expect(searched.status).toBe(200);
    type SpendRow = { request_id: string; route: string; vector_store: string; status_code: number; embedding_tokens: number; key_hash: string | null };
    let row: SpendRow | undefined;
    for (let attempt = 0; attempt < 40 && !row; attempt++) {
      await new Promise((done) => setTimeout(done, 100));
      row = ((await proxy.call("/spend/logs?limit=50")).body.data as SpendRow[]).find((entry) => entry.request_id === "spend-test-1");
    }
    expect(row).toMatchObject({ route: "/v1/vector_stores/docs-cosine/search", vector_store: "docs-cosine", status_code: 200, key_hash: null });
    expect(row!.embedding_tokens).toBeGreaterThan(0);
    const after = (await proxy.call("/spend/summary")).body as { requests: number; embedding_tokens: number };
    expect(after.requests).toBeGreaterThan(before.requests);
    expect(after.embedding_tokens).toBeGreaterThan(before.embedding_tokens);
    expect((await proxy.call("/spend/summary?since=yesterday")).status).toBe(400);
  });

  it("health needs no key", async () => {
    expect((await proxy.call("/health/liveliness", { key: null })).status).toBe(200);
    // "milvus-down" has no Milvus behind it: readiness says so, naming it, and only it.
    const ready = await proxy.call("/health/readiness", { key: null });
    expect(ready.status).toBe(503);
    expect((ready.body.checks as Array<{ name: string; ok: boolean }>).filter((check) => !check.ok).map((check) => check.name)).toEqual([
      "vector_store:milvus-down",
    ]);
  });
});
