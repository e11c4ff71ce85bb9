import { expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { makePdf } from "@vs/test-support";
import { MASTER_KEY, type TestProxy } from "./harness.js";
import { openAIPython, runPython } from "./openai-python.js";

// The OpenAI Vector Stores + Files flow as a RAG app runs it with the official clients: create a store →
// upload_and_poll → a batch → search → file content → delete a file → delete the store. One flow, run against every
// provider the proxy can create stores on: only the `vector_store_template: true` registry entry differs.

export const GUIDE_MD = `# Milvus operations guide

## Backups
Milvus collections are backed up with milvus-backup, which copies segment files to object storage every night.

## Compaction
Compaction merges small segments so that searches touch fewer files.
`;
export const FRUIT_TXT = "Bananas are a yellow fruit, rich in potassium, and they ripen quickly at room temperature. Monkeys are famous for loving them.";
export const CSV = "city,country,landmark\nTokyo,Japan,Tokyo Tower\nRome,Italy,Colosseum\nCairo,Egypt,Pyramids of Giza\n";
export const PDF = makePdf([["The Eiffel Tower stands in Paris, France.", "It was completed in 1889 for the World's Fair."]]);

/** The `litellm_params` of a template on Milvus at `address` (host:port of its gRPC endpoint). */
export function milvusTemplate(address: string): string {
  return `
      vector_store_id: template_collection_unused
      custom_llm_provider: milvus
      api_base: grpc://${address}`;
}

/** The `litellm_params` of a template on pgvector at `url` (a PostgreSQL connection URL). */
export function pgvectorTemplate(url: string): string {
  return `
      vector_store_id: template_table_unused
      custom_llm_provider: pg_vector
      api_base: ${url}`;
}

/** A proxy config whose one registry entry is the template new stores are created from. */
export function templateConfig(template: string, extra = ""): string {
  return `
vector_store_registry:
  - vector_store_name: store-template
    vector_store_template: true
    litellm_params:${template}
      litellm_embedding_model: ${LOCAL_EMBEDDING_MODEL}
general_settings:
  master_key: ${MASTER_KEY}
  ingestion:
    poll_interval_seconds: 0.5
${extra}`;
}

const PYTHON_FLOW = String.raw`
import json, os, openai
client = openai.OpenAI(base_url=os.environ["VS_BASE_URL"] + "/v1", api_key=os.environ["VS_KEY"], max_retries=0)
def emit(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)

store = client.vector_stores.create(name="python-kb", metadata={"team": "search"})
emit("created", id=store.id, status=store.status, name=store.name)

md = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open("guide.md", "rb"))
emit("markdown", id=md.id, status=md.status, last_error=md.last_error and md.last_error.model_dump())

txt = client.vector_stores.files.upload_and_poll(vector_store_id=store.id, file=open("fruit.txt", "rb"), attributes={"topic": "fruit", "year": 2024})
emit("text", id=txt.id, status=txt.status, attributes=txt.attributes)

pdf = client.files.create(file=open("eiffel.pdf", "rb"), purpose="assistants")
csv = client.files.create(file=open("cities.csv", "rb"), purpose="assistants")
batch = client.vector_stores.file_batches.create_and_poll(vector_store_id=store.id, file_ids=[pdf.id, csv.id])
emit("batch", id=batch.id, status=batch.status, counts=batch.file_counts.model_dump(), pdf=pdf.id, csv=csv.id)

def search(query, **kwargs):
    page = client.vector_stores.search(vector_store_id=store.id, query=query, max_num_results=5, **kwargs)
    return [{"file_id": row.file_id, "filename": row.filename, "score": row.score, "attributes": row.attributes, "text": row.content[0].text} for row in page.data]

emit("search_fruit", hits=search("Which yellow fruit do monkeys love?"))
emit("search_tower", hits=search("Where is the Eiffel Tower?"))
emit("search_backup", hits=search("How are collections backed up?"))
emit("search_filtered", hits=search("Where is the Eiffel Tower?", filters={"type": "eq", "key": "topic", "value": "fruit"}))

content = client.vector_stores.files.content(file_id=txt.id, vector_store_id=store.id)
emit("content", texts=[part.text for part in content])

listed = client.vector_stores.files.list(vector_store_id=store.id, filter="completed")
emit("listed", ids=[f.id for f in listed.data])

retrieved = client.vector_stores.retrieve(store.id)
emit("retrieved", counts=retrieved.file_counts.model_dump(), usage_bytes=retrieved.usage_bytes, status=retrieved.status)

deleted = client.vector_stores.files.delete(file_id=txt.id, vector_store_id=store.id)
emit("file_deleted", deleted=deleted.deleted, hits=search("Which yellow fruit do monkeys love?"))

gone = client.vector_stores.delete(store.id)
try:
    client.vector_stores.retrieve(store.id)
    emit("after_delete", status=200)
except openai.NotFoundError as error:
    emit("after_delete", status=404, deleted=gone.deleted)
`;

/**
 * The two flows as tests, against the proxy `proxy()` returns (started by the caller's `beforeAll`). `afterStoreDeleted`
 * checks, per provider, that what vs created for a deleted store is gone from the backend.
 */
export function vectorStoreFlowTests(proxy: () => TestProxy, afterStoreDeleted: (storeId: string) => Promise<void> = async () => undefined): void {
  const python = openAIPython();
  (python ? it : it.skip)(
    "the official Python client runs the whole flow",
    async () => {
      const steps = await runPython(
        python!,
        PYTHON_FLOW,
        { "guide.md": GUIDE_MD, "fruit.txt": FRUIT_TXT, "eiffel.pdf": PDF, "cities.csv": CSV },
        { VS_BASE_URL: proxy().url, VS_KEY: MASTER_KEY },
      );
      const step = (name: string) => {
        const found = steps.find((entry) => entry["step"] === name);
        expect(found, `step ${name} missing; got ${JSON.stringify(steps)}`).toBeDefined();
        return found as Record<string, any>;
      };
      expect(step("created").id).toMatch(/^vs_/);
      expect(step("markdown")).toMatchObject({ status: "completed", last_error: null });
      expect(step("text")).toMatchObject({ status: "completed", attributes: { topic: "fruit", year: 2024 } });
      const batch = step("batch");
      expect(batch.counts).toMatchObject({ completed: 2, failed: 0, in_progress: 0, total: 2 });
      expect(batch.status).toBe("completed");

      const text = step("text").id as string;
      const fruit = step("search_fruit").hits;
      expect(fruit[0]).toMatchObject({ file_id: text, filename: "fruit.txt", attributes: { topic: "fruit", year: 2024 } });
      expect(step("search_tower").hits[0]).toMatchObject({ file_id: batch.pdf, filename: "eiffel.pdf" });
      expect(step("search_backup").hits[0]).toMatchObject({ file_id: step("markdown").id, filename: "guide.md" });
      // Four files match the query unfiltered; the attribute filter leaves only the one file that carries it.
      expect(step("search_tower").hits.map((hit: { file_id: string }) => hit.file_id)).toEqual(expect.arrayContaining([text, batch.pdf, batch.csv]));
      const filtered = step("search_filtered").hits;
      expect(filtered.length).toBeGreaterThan(0);
      expect(new Set(filtered.map((hit: { file_id: string }) => hit.file_id))).toEqual(new Set([text]));

      expect(step("content").texts.join(" ")).toContain("Bananas are a yellow fruit");
      expect(step("listed").ids).toHaveLength(4);
      expect(step("retrieved")).toMatchObject({ counts: { completed: 4, total: 4 }, status: "completed" });
      expect(step("retrieved").usage_bytes).toBeGreaterThan(0);

      expect(step("file_deleted").deleted).toBe(true);
      expect(step("file_deleted").hits.map((hit: { file_id: string }) => hit.file_id)).not.toContain(text);
      expect(step("after_delete")).toMatchObject({ status: 404, deleted: true });
      await afterStoreDeleted(step("created").id);
    },
    300_000,
  );

  it("the official Node client runs the whole flow", async () => {
    const client = new OpenAI({ baseURL: `${proxy().url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const store = await client.vectorStores.create({ name: "node-kb" });
    const md = await client.vectorStores.files.uploadAndPoll(store.id, await toFile(Buffer.from(GUIDE_MD), "guide.md"), { pollIntervalMs: 200 });
    expect(md).toMatchObject({ id: expect.stringMatching(/^file-/), status: "completed", last_error: null });
    const uploaded = await client.files.create({ file: await toFile(Buffer.from(FRUIT_TXT), "fruit.txt"), purpose: "assistants" });
    const txt = await client.vectorStores.files.createAndPoll(store.id, { file_id: uploaded.id, attributes: { topic: "fruit" } }, { pollIntervalMs: 200 });
    expect(txt).toMatchObject({ id: uploaded.id, status: "completed", attributes: { topic: "fruit" } });
    const pdf = await client.files.create({ file: await toFile(Buffer.from(PDF), "eiffel.pdf"), purpose: "assistants" });
    const csv = await client.files.create({ file: await toFile(Buffer.from(CSV), "cities.csv"), purpose: "assistants" });
    const batch = await client.vectorStores.fileBatches.createAndPoll(store.id, { file_ids: [pdf.id, csv.id] }, { pollIntervalMs: 200 });
    expect(batch.file_counts).toMatchObject({ completed: 2, total: 2 });

    const search = async (query: string, filters?: OpenAI.ComparisonFilter) =>
      (await client.vectorStores.search(store.id, { query, max_num_results: 5, ...(filters ? { filters } : {}) })).data;
    expect((await search("Which yellow fruit do monkeys love?"))[0]).toMatchObject({ file_id: uploaded.id, filename: "fruit.txt" });
    expect((await search("Where is the Eiffel Tower?"))[0]).toMatchObject({ file_id: pdf.id, filename: "eiffel.pdf" });
    const filtered = await search("Where is the Eiffel Tower?", { type: "eq", key: "topic", value: "fruit" });
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((row) => row.file_id === uploaded.id)).toBe(true);

    const content = [];
    for await (const part of client.vectorStores.files.content(uploaded.id, { vector_store_id: store.id })) content.push(part.text);
    expect(content.join(" ")).toContain("Bananas are a yellow fruit");

    await client.vectorStores.files.delete(uploaded.id, { vector_store_id: store.id });
    expect((await search("Which yellow fruit do monkeys love?")).map((row) => row.file_id)).not.toContain(uploaded.id);
    expect(await client.vectorStores.delete(store.id)).toMatchObject({ deleted: true });
    await expect(client.vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await afterStoreDeleted(store.id);
  }, 300_000);
}

/**
 * Hybrid search: the query's meaning is in one file, its one rare keyword (a part number) only in the other, which is
 * about something else. Dense search alone ranks the first file first; BM25 matches only the second.
 */
export const HYBRID_QUERY = "I forgot my login credentials, how do I get back into my account? qz7781";
export const HYBRID_FILES = {
  meaning: {
    filename: "account-help.txt",
    text: "If you cannot sign in because you no longer remember your password, open the sign-in page and choose Recover access; a recovery link is emailed to you.",
  },
  keyword: { filename: "shipping.txt", text: "Part qz7781 is a steel bracket; it ships from the Rotterdam warehouse on wooden pallets every Tuesday." },
};

/** A store holding the two hybrid files, both ingested; their file ids by role. */
export async function hybridFixture(proxy: TestProxy): Promise<{ storeId: string; meaning: string; keyword: string }> {
  const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  const store = await client.vectorStores.create({ name: "hybrid" });
  const ids: Record<string, string> = {};
  for (const [role, file] of Object.entries(HYBRID_FILES)) {
    const attached = await client.vectorStores.files.uploadAndPoll(store.id, await toFile(Buffer.from(file.text), file.filename), { pollIntervalMs: 200 });
    expect(attached.status).toBe("completed");
    ids[role] = attached.id;
  }
  return { storeId: store.id, meaning: ids["meaning"]!, keyword: ids["keyword"]! };
}
