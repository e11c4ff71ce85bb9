import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI, { toFile } from "openai";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { describeWithService } from "@vs/test-support/vitest";
import { FRUIT_TXT, HYBRID_QUERY, hybridFixture, milvusTemplate, templateConfig, vectorStoreFlowTests } from "./test-support/vector-store-flow.js";

// The OpenAI Vector Stores + Files API on Milvus Lite, driven by the official clients exactly as a RAG app would
// (the flow itself is in test-support/vector-store-flow.ts; vector-stores-pgvector.e2e.test.ts runs it on pgvector).

describeWithService("milvusLite", "OpenAI vector stores on Milvus Lite", (address) => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startTestProxy(templateConfig(milvusTemplate(address)));
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  vectorStoreFlowTests(() => proxy);

  it("ranking_options.hybrid_search fuses BM25 with the dense search: a keyword-only match ranks first with it, not without", async () => {
    const { storeId, meaning, keyword } = await hybridFixture(proxy);
    const search = async (extra: Record<string, unknown>) => {
      const answer = await proxy.call(`/v1/vector_stores/${storeId}/search`, { body: { query: HYBRID_QUERY, ...extra } });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return (answer.body.data as Array<{ file_id: string; score: number }>).map((row) => row.file_id);
    };
    expect((await search({}))[0]).toBe(meaning);
    expect((await search({ ranking_options: { hybrid_search: { embedding_weight: 0.3, text_weight: 0.7 } } }))[0]).toBe(keyword);
    // The weights are the caller's: all on the embedding, the dense order is back.
    expect((await search({ ranking_options: { hybrid_search: { embedding_weight: 1, text_weight: 0 } } }))[0]).toBe(meaning);
    const invalid = await proxy.call(`/v1/vector_stores/${storeId}/search`, {
      body: { query: HYBRID_QUERY, ranking_options: { hybrid_search: { embedding_weight: 0, text_weight: 0 } } },
    });
    expect(invalid).toMatchObject({ status: 400, body: { error: { param: "ranking_options.hybrid_search" } } });
    await proxy.call(`/v1/vector_stores/${storeId}`, { method: "DELETE" });
  }, 120_000);

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
      const tooSmall = await proxy.call(`/v1/vector_stores/${store}/files`, {
        body: { file_id: good.body.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 } } },
      });
      expect(tooSmall).toMatchObject({ status: 400, body: { error: { param: "chunking_strategy.static.max_chunk_size_tokens" } } });
      const overlap = await proxy.call(`/v1/vector_stores/${store}/files`, {
        body: { file_id: good.body.id, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 150 } } },
      });
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
      const small = await startTestProxy(templateConfig(milvusTemplate(address), "  max_file_upload_bytes: 2048"));
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
