import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { makePdf } from "./test-support/make-pdf.js";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { describeWithService } from "@vs/test-support/vitest";
import { openAIPython, runPython } from "./test-support/openai-python.js";

// The OpenAI Vector Stores + Files API on Milvus Lite, driven by the official clients exactly as a RAG app would:
// create a store → upload_and_poll → a batch → search → file content → delete a file → delete the store.

export const GUIDE_MD = `# Milvus operations guide

## Backups
Milvus collections are backed up with milvus-backup, which copies segment files to object storage every night.

## Compaction
Compaction merges small segments so that searches touch fewer files.
`;
export const FRUIT_TXT = "Bananas are a yellow fruit, rich in potassium, and they ripen quickly at room temperature. Monkeys are famous for loving them.";
export const CSV = "city,country,landmark\nTokyo,Japan,Tokyo Tower\nRome,Italy,Colosseum\nCairo,Egypt,Pyramids of Giza\n";
export const PDF = makePdf([["The Eiffel Tower stands in Paris, France.", "It was completed in 1889 for the World's Fair."]]);

export function templateConfig(address: string, extra = ""): string {
  return `
vector_store_registry:
  - vector_store_name: milvus-template
    vector_store_template: true
    litellm_params:
      vector_store_id: template_collection_unused
      custom_llm_provider: milvus
      api_base: grpc://${address}
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

describeWithService("milvusLite", "OpenAI vector stores on Milvus Lite", (address) => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startTestProxy(templateConfig(address));
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  const python = openAIPython();
  (python ? it : it.skip)("the official Python client runs the whole flow", async () => {
    const steps = await runPython(python!, PYTHON_FLOW, { "guide.md": GUIDE_MD, "fruit.txt": FRUIT_TXT, "eiffel.pdf": PDF, "cities.csv": CSV }, { VS_BASE_URL: proxy.url, VS_KEY: MASTER_KEY });
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
  }, 300_000);

  it("the official Node client runs the whole flow", async () => {
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
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

    const search = async (query: string, filters?: OpenAI.ComparisonFilter) => (await client.vectorStores.search(store.id, { query, max_num_results: 5, ...(filters ? { filters } : {}) })).data;
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
  }, 300_000);

  it("virtual keys: creating needs the grant, the creator reads and writes, others only what they are given", async () => {
    const generate = async (body: Record<string, unknown>) => (await proxy.call("/key/generate", { body })).body.key as string;
    const plain = await generate({});
    const creator = await generate({ can_create_vector_stores: true });
    const refused = await proxy.call("/v1/vector_stores", { body: { name: "nope" }, key: plain });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "vector_store_create_not_allowed" } } });

    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: creator, maxRetries: 0 });
    const store = await client.vectorStores.create({ name: "team-kb" });
    const file = await client.vectorStores.files.uploadAndPoll(store.id, await toFile(Buffer.from(FRUIT_TXT), "fruit.txt"), { pollIntervalMs: 200 });
    expect(file.status).toBe("completed");
    expect((await client.vectorStores.search(store.id, { query: "yellow fruit" })).data[0]).toMatchObject({ file_id: file.id, filename: "fruit.txt" });
    expect((await client.vectorStores.list()).data.map((entry) => entry.id)).toEqual([store.id]);

    // A key granted read on the store searches it, but cannot attach, and cannot use a file it does not own.
    const reader = await generate({ allowed_vector_store_indexes: [{ index_name: store.id, index_permissions: ["read"] }] });
    const readerClient = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: reader, maxRetries: 0 });
    expect((await readerClient.vectorStores.search(store.id, { query: "yellow fruit" })).data[0]?.file_id).toBe(file.id);
    await expect(readerClient.vectorStores.files.create(store.id, { file_id: file.id })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(readerClient.files.retrieve(file.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(readerClient.vectorStores.delete(store.id)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);

    // A key without a grant sees nothing of it.
    const stranger = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: plain, maxRetries: 0 });
    await expect(stranger.vectorStores.search(store.id, { query: "yellow fruit" })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(stranger.vectorStores.retrieve(store.id)).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await stranger.vectorStores.list()).data).toEqual([]);

    await client.vectorStores.delete(store.id);
  }, 120_000);

  describe("bad input is a 4xx naming the field", () => {
    let store: string;
    beforeAll(async () => {
      store = (await proxy.call("/v1/vector_stores", { body: { name: "errors" } })).body.id;
    });

    async function upload(name: string, content: string, purpose = "assistants"): Promise<{ status: number; body: any }> {
      const form = new FormData();
      form.set("purpose", purpose);
      form.set("file", new Blob([content]), name);
      const response = await fetch(`${proxy.url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
      return { status: response.status, body: await response.json() };
    }

    it("refuses unknown file ids, wrong purposes, empty files, bad chunking and too many attributes", async () => {
      const unknown = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: "file-nope" } });
      expect(unknown).toMatchObject({ status: 404, body: { error: { param: "file_id", code: "file_not_found" } } });

      const batchFile = await upload("data.jsonl", '{"a": 1}\n', "batch");
      expect(batchFile.status).toBe(200);
      const wrongPurpose = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: batchFile.body.id } });
      expect(wrongPurpose).toMatchObject({ status: 400, body: { error: { param: "file_id", code: "invalid_file_purpose" } } });

      expect(await upload("empty.txt", "")).toMatchObject({ status: 400, body: { error: { param: "file" } } });
      expect(await upload("x.txt", "text", "nonsense")).toMatchObject({ status: 400, body: { error: { param: "purpose" } } });

      const good = await upload("ok.txt", "some text");
      const tooSmall = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: good.body.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } } });
      expect(tooSmall).toMatchObject({ status: 400, body: { error: { param: "chunking_strategy.static.max_chunk_size_tokens" } } });
      const overlap = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: good.body.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 150 } } } });
      expect(overlap).toMatchObject({ status: 400, body: { error: { param: "chunking_strategy.static.chunk_overlap_tokens" } } });
      const attributes = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, index]));
      const tooMany = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: good.body.id, attributes } });
      expect(tooMany).toMatchObject({ status: 400, body: { error: { param: "attributes" } } });
    });

    it("an unsupported file ends failed with last_error unsupported_file", async () => {
      const zip = await upload("archive.zip", "PK\u0003\u0004 not really");
      expect(zip.status).toBe(200);
      const attached = await proxy.call(`/v1/vector_stores/${store}/files`, { body: { file_id: zip.body.id } });
      expect(attached.status).toBe(200);
      let file = attached.body;
      for (let attempt = 0; attempt < 100 && file.status === "in_progress"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        file = (await proxy.call(`/v1/vector_stores/${store}/files/${zip.body.id}`)).body;
      }
      expect(file).toMatchObject({ status: "failed", last_error: { code: "unsupported_file" } });
    });

    it("an upload past max_file_upload_bytes is a 413", async () => {
      const small = await startTestProxy(templateConfig(address, "  max_file_upload_bytes: 2048"));
      try {
        const form = new FormData();
        form.set("purpose", "assistants");
        form.set("file", new Blob(["x".repeat(4096)]), "big.txt");
        const response = await fetch(`${small.url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
        expect(response.status).toBe(413);
      } finally {
        await small.stop();
      }
    }, 60_000);
  });
});
