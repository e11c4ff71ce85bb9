import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VsError } from "@vs/core";
import { LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { createVectorStores, type VectorStores } from "./index.js";

// The SDK end to end in-process: the real local embedding model and a Milvus REST v2 server on loopback.

const PASSAGES = [
  { id: 1, text: "The Eiffel Tower is in Paris, the capital of France." },
  { id: 2, text: "Photosynthesis turns sunlight into chemical energy in plants." },
  { id: 3, text: "Berlin is the capital of Germany." },
];

let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
let vectorStores: VectorStores;

async function rejection(promise: Promise<unknown>): Promise<VsError> {
  try {
    await promise;
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  milvus = await startMilvusRestServer();
  vectorStores = createVectorStores({ env: { MILVUS_API_BASE: milvus.url } });
  const model = vectorStores.embeddingModel(LOCAL_EMBEDDING_MODEL);
  const { vectors } = await model.embed(PASSAGES.map((passage) => passage.text));
  const post = (endpoint: string, body: unknown) =>
    fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(
      (response) => response.json() as Promise<{ code: number }>,
    );
  expect(
    (
      await post("collections/create", {
        collectionName: "books",
        schema: {
          fields: [
            { fieldName: "id", dataType: "Int64", isPrimary: true },
            { fieldName: "book_intro", dataType: "VarChar", elementTypeParams: { max_length: 512 } },
            { fieldName: "book_intro_vector", dataType: "FloatVector", elementTypeParams: { dim: vectors[0]!.length } },
          ],
        },
        indexParams: [{ fieldName: "book_intro_vector", metricType: "COSINE" }],
      })
    ).code,
  ).toBe(0);
  expect(
    (
      await post("entities/insert", {
        collectionName: "books",
        data: PASSAGES.map((passage, index) => ({ id: passage.id, book_intro: passage.text, book_intro_vector: vectors[index] })),
      })
    ).code,
  ).toBe(0);
}, 60_000);

afterAll(async () => {
  await vectorStores?.close();
  await milvus?.close();
});

const base = { vector_store_id: "books", custom_llm_provider: "milvus", litellm_embedding_model: LOCAL_EMBEDDING_MODEL, milvus_text_field: "book_intro" };

describe("vectorStores.search", () => {
  it("embeds the query, searches and answers the page (a list query is joined with spaces)", async () => {
    const page = await vectorStores.search({ ...base, query: ["What is the capital", "of France?"] });
    expect(page.object).toBe("vector_store.search_results.page");
    expect(page.search_query).toEqual(["What is the capital", "of France?"]);
    expect(page.data[0]!.content[0]!.text).toContain("Paris");
    expect(page.data[0]!.attributes["id"]).toBe(1);
    const search = milvus.requestsTo("entities/search").at(-1)! as { body: Record<string, unknown> };
    expect(search.body).not.toHaveProperty("annsField"); // never a hard-coded field name
    expect(search.body["searchParams"]).toMatchObject({ metricType: "COSINE" });
  });

  it("reports timings and usage", async () => {
    const outcome = await vectorStores.searchWithOutcome({ ...base, query: "plants and sunlight", max_num_results: 1 });
    expect(outcome.page.data).toHaveLength(1);
    expect(outcome.page.data[0]!.attributes["id"]).toBe(2);
    expect(outcome.embeddingTokens).toBeGreaterThan(0);
    expect(outcome.timings.totalMs).toBeGreaterThanOrEqual(outcome.timings.searchMs);
  });

  it("names the bad field of a provider parameter and of the OpenAI ones", async () => {
    const typo = await rejection(vectorStores.search({ ...base, query: "x", milvus_textfield: "book_intro" } as never));
    expect(typo.status).toBe(400);
    expect(typo.message).toContain("milvus_textfield: unknown field");
    const tooMany = await rejection(vectorStores.search({ ...base, query: "x", max_num_results: 0 }));
    expect(tooMany.param).toBe("max_num_results");
    const provider = await rejection(vectorStores.search({ ...base, query: "x", custom_llm_provider: "qdrant" }));
    expect(provider.param).toBe("custom_llm_provider");
    const rewrite = await rejection(vectorStores.search({ ...base, query: "x", rewrite_query: true }));
    expect(rewrite.param).toBe("rewrite_query");
  });

  it("surfaces Milvus's error instead of an empty result", async () => {
    const missing = await rejection(vectorStores.search({ ...base, vector_store_id: "no_such_collection", query: "x" }));
    expect(missing.status).toBe(404);
    expect(missing.code).toBe("vector_store_error:100");
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    controller.abort();
    const aborted = await rejection(vectorStores.search({ ...base, query: "anything at all" }, { signal: controller.signal }));
    expect(aborted.code).toBe("aborted");
  });
});
