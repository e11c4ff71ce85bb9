import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddingModel, LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startPgvectorTestServer, type PgvectorTestServer } from "@vs/provider-pgvector/testing/pglite";
import { cosine } from "@vs/test-support";
import { startTestProxy, type TestProxy } from "./test-support/harness.js";

// The proxy serving a `custom_llm_provider: pg_vector` store: real pgvector (PGlite over the wire protocol), the real
// offline embedding model, the real proxy over loopback with the master key.

const DOCS = [
  { id: "1", topic: "animals", text: "A cat sleeps on the warm windowsill all afternoon." },
  { id: "2", topic: "animals", text: "Dogs love to chase balls in the park." },
  { id: "3", topic: "finance", text: "Stock markets fell sharply after the interest rate decision." },
  { id: "4", topic: "travel", text: "Paris is the capital of France and famous for the Eiffel Tower." },
  { id: "5", topic: "cooking", text: "Fresh basil makes tomato sauce taste better." },
];
const QUERY = "Where do cats like to nap?";

let database: PgvectorTestServer;
let proxy: TestProxy;
let docVectors: number[][];
let queryVector: number[];

beforeAll(async () => {
  const model = createEmbeddingModel(LOCAL_EMBEDDING_MODEL);
  docVectors = (await model.embed(DOCS.map((doc) => doc.text))).vectors;
  queryVector = (await model.embed([QUERY])).vectors[0]!;
  database = await startPgvectorTestServer();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`CREATE TABLE kb (doc_id text PRIMARY KEY, body text, meta jsonb, source text, vec vector(${docVectors[0]!.length}))`);
  await client.query("CREATE INDEX ON kb USING hnsw (vec vector_cosine_ops)");
  for (const [index, doc] of DOCS.entries()) {
    await client.query("INSERT INTO kb VALUES ($1, $2, $3, $4, $5)", [
      doc.id,
      doc.text,
      { topic: doc.topic },
      `${doc.topic}.txt`,
      `[${docVectors[index]!.join(",")}]`,
    ]);
  }
  await client.end();
  const store = (name: string, table: string) => `
  - vector_store_name: ${name}
    litellm_params:
      vector_store_id: ${table}
      custom_llm_provider: pg_vector
      api_base: os.environ/TEST_PGVECTOR_URL
      api_key: os.environ/TEST_PGVECTOR_PASSWORD
      litellm_embedding_model: embedding-model
      text_column: body
      metadata_column: meta
      vector_column: vec
      id_column: doc_id
      filename_column: source`;
  proxy = await startTestProxy(
    `
model_list:
  - model_name: embedding-model
    litellm_params:
      model: ${LOCAL_EMBEDDING_MODEL}
vector_store_registry:${store("pg-docs", "public.kb")}${store("pg-missing", "no_such_table")}
general_settings:
  master_key: os.environ/TEST_MASTER_KEY
`,
    { env: { TEST_MASTER_KEY: "sk-test-master-key-0001", TEST_PGVECTOR_URL: database.url, TEST_PGVECTOR_PASSWORD: "pg-secret-0001" } },
  );
}, 180_000);

afterAll(async () => {
  await proxy?.stop();
  await database?.close();
});

describe("POST /v1/vector_stores/{name}/search on a pg_vector store", () => {
  it("answers the OpenAI page, best first, with the score (1 + cos) / 2", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/pg-docs/search", { body: { query: QUERY } });
    expect(status).toBe(200);
    expect(body.object).toBe("vector_store.search_results.page");
    expect(body.search_query).toBe(QUERY);
    expect(body.data).toHaveLength(DOCS.length);
    const expected = DOCS.map((doc, index) => ({ doc, score: (1 + cosine(docVectors[index]!, queryVector)) / 2 })).sort((a, b) => b.score - a.score);
    expect(body.data.map((row: { attributes: { doc_id: string } }) => row.attributes.doc_id)).toEqual(expected.map((entry) => entry.doc.id));
    const top = body.data[0];
    expect(top).toMatchObject({
      content: [{ type: "text", text: DOCS[0]!.text }],
      file_id: null,
      filename: "animals.txt",
      attributes: { topic: "animals", doc_id: "1" },
    });
    expect(top.score).toBeCloseTo(expected[0]!.score, 4);
    expect(top.distance).toBeCloseTo(1 - cosine(docVectors[0]!, queryVector), 4);
  });

  it("applies OpenAI filters, max_num_results and the caller's ef_search", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/pg-docs/search", {
      body: {
        query: QUERY,
        max_num_results: 1,
        ef_search: 100,
        filters: {
          type: "or",
          filters: [
            { key: "topic", type: "eq", value: "travel" },
            { key: "topic", type: "eq", value: "finance" },
          ],
        },
      },
    });
    expect(status).toBe(200);
    expect(body.data).toHaveLength(1);
    expect(["travel", "finance"]).toContain(body.data[0].attributes.topic);
  });

  it("refuses what only the admin may set, naming the field", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/pg-docs/search", { body: { query: QUERY, text_column: "source" } });
    expect(status).toBe(400);
    expect(body.error.param).toBe("text_column");
  });

  it("a missing table is a 404 with PostgreSQL's code, and no credential in the answer", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/pg-missing/search", { body: { query: QUERY } });
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ type: "not_found_error", code: "vector_store_error:42P01" });
    expect(JSON.stringify(body)).not.toContain("pg-secret-0001");
  });
});
