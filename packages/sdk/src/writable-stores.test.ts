import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVectorStores, openWritableVectorStores, type VectorStores, type WritableVectorStores } from "./index.js";

// The SDK runs the write path without the proxy: same service, same ingestion, same search.
const address = process.env["VS_TEST_MILVUS_ADDRESS"];
if (!address && process.env["CI"] === "true") throw new Error("VS_TEST_MILVUS_ADDRESS is not set in CI");

(address ? describe : describe.skip)("openWritableVectorStores on Milvus Lite and PGlite", () => {
  let dataDir: string;
  let vectorStores: VectorStores;
  let stores: WritableVectorStores;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "vs-sdk-write-"));
    vectorStores = createVectorStores({ embeddingCache: false });
    stores = await openWritableVectorStores({
      vectorStores,
      dataDir,
      template: { custom_llm_provider: "milvus", api_base: `grpc://${address}`, litellm_embedding_model: "local/universal-sentence-encoder-lite" },
      queue: { pollingIntervalSeconds: 0.5 },
    });
  }, 120_000);

  afterAll(async () => {
    await stores?.close();
    await vectorStores?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("creates a store, uploads and waits, searches, lists and deletes", async () => {
    const store = await stores.service.createStore({ name: "sdk-kb" }, { keyHash: null, alias: "test" });
    const file = await stores.uploadAndPoll(store.id, {
      bytes: Buffer.from("Owls hunt at night and sleep during the day."),
      filename: "owls.txt",
      attributes: { animal: "owl" },
    });
    expect(file).toMatchObject({ status: "completed", attributes: { animal: "owl" } });
    const page = await stores.search(store.id, { query: "Which bird is nocturnal?" });
    expect(page.data[0]).toMatchObject({ file_id: file.id, filename: "owls.txt", attributes: { animal: "owl" } });
    expect((await stores.service.listStores({})).data.map((entry) => entry.id)).toContain(store.id);
    await stores.service.deleteStore(store.id);
    await expect(stores.search(store.id, { query: "owls" })).rejects.toMatchObject({ status: 404 });
  }, 120_000);
});
