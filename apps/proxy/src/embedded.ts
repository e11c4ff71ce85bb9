import { createHash } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpstreamError } from "@vs/core";
import type { ProxyConfig, ProxyConfigInput } from "./config/config.js";
import { LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startMilvusLite, type MilvusLiteServer } from "@vs/milvus-lite";
import { isMilvusSuccess, type MilvusProvider, type MilvusTransport } from "@vs/provider-milvus";
import type { VectorStores } from "@vs/sdk";

/** `api_base: embedded` in a store: the proxy runs Milvus Lite itself. */
export const EMBEDDED_API_BASE = "embedded";
export const DEMO_STORE_NAME = "vs-docs";
export const DEMO_COLLECTION = "vs_docs";
export const DEMO_QUERY = "How do I give a developer access to only one collection?";

/**
 * The config the proxy runs with when none is given: the local model and the demo collection, on Milvus Lite — or on
 * the Milvus of `MILVUS_API_BASE` (and `MILVUS_API_KEY`) when that is set, e.g. where Python is not available.
 */
export function embeddedDefaultConfig(env: Record<string, string | undefined> = process.env): ProxyConfigInput {
  const external = env["MILVUS_API_BASE"];
  return {
    vector_store_registry: [
      {
        vector_store_name: DEMO_STORE_NAME,
        vector_store_description: "The vs documentation, embedded at first start (demo).",
        // Stores created through the API go to the same Milvus, with the same local model.
        vector_store_template: true,
        litellm_params: {
          vector_store_id: DEMO_COLLECTION,
          custom_llm_provider: "milvus",
          api_base: external || EMBEDDED_API_BASE,
          litellm_embedding_model: LOCAL_EMBEDDING_MODEL,
          milvus_text_field: "text",
          annsField: "embedding",
        },
      },
    ],
  };
}

export function usesEmbeddedMilvus(config: ProxyConfig): boolean {
  return config.vector_store_registry.some((entry) => entry.litellm_params["api_base"] === EMBEDDED_API_BASE);
}

/** Starts Milvus Lite under the data dir and points every `api_base: embedded` store at it. */
export async function startEmbeddedMilvus(
  config: ProxyConfig,
  dataDir: string,
  log: (line: string) => void,
): Promise<{ config: ProxyConfig; server: MilvusLiteServer }> {
  log("Starting Milvus Lite (embedded) …");
  const server = await startMilvusLite({ dataDir: join(dataDir, "milvus-lite"), onProgress: (line: string) => log(`  ${line}`) });
  log(`Milvus Lite listening on ${server.address}`);
  const apiBase = `grpc://${server.address}`;
  const registry = config.vector_store_registry.map((entry) =>
    entry.litellm_params["api_base"] === EMBEDDED_API_BASE ? { ...entry, litellm_params: { ...entry.litellm_params, api_base: apiBase } } : entry,
  );
  return { config: { ...config, vector_store_registry: registry }, server };
}

interface CorpusPassage {
  id: number;
  title: string;
  topic: string;
  text: string;
}

export function demoCorpusPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "demo", "corpus.json");
}

async function expectSuccess(transport: MilvusTransport, endpoint: string, body: Record<string, unknown>): Promise<unknown> {
  const answer = await transport.call(endpoint, body);
  if (!isMilvusSuccess(answer.code))
    throw new UpstreamError({
      upstream: "vector_store",
      message: `Milvus ${endpoint} failed while loading the demo collection: ${answer.message ?? "unknown error"}`,
      upstreamCode: answer.code,
    });
  return answer.data;
}

/**
 * Loads the shipped corpus into the demo collection once: embeds it with the local model (progress on stderr) and
 * inserts it. A marker with the corpus hash makes later starts skip the work; a changed corpus reloads.
 */
export async function loadDemoCollection(options: {
  vectorStores: VectorStores;
  milvus: MilvusProvider;
  apiBase: string;
  dataDir: string;
  log: (line: string) => void;
  progress?: (done: number, total: number) => void;
}): Promise<void> {
  const { vectorStores, milvus, apiBase, dataDir, log } = options;
  const text = await readFile(demoCorpusPath(), "utf8");
  const corpusHash = createHash("sha256").update(text).digest("hex");
  const markerFile = join(dataDir, "demo-collection.json");
  const { transport } = milvus.transportFor({ api_base: apiBase });
  const marker = await readFile(markerFile, "utf8").then(
    (content) => JSON.parse(content) as { corpus_sha256?: string },
    () => null,
  );
  const exists = ((await expectSuccess(transport, "collections/has", { collectionName: DEMO_COLLECTION })) as { has?: boolean } | undefined)?.has === true;
  if (exists && marker?.corpus_sha256 === corpusHash) return;

  const passages = JSON.parse(text) as CorpusPassage[];
  const model = vectorStores.embeddingModel(LOCAL_EMBEDDING_MODEL);
  log(`Loading the demo collection "${DEMO_COLLECTION}" (${passages.length} passages, embedded with ${LOCAL_EMBEDDING_MODEL}) …`);
  if (exists) await expectSuccess(transport, "collections/drop", { collectionName: DEMO_COLLECTION });
  const dimension = (await model.embed(["dimension probe"])).vectors[0]!.length;
  await expectSuccess(transport, "collections/create", {
    collectionName: DEMO_COLLECTION,
    schema: {
      autoId: false,
      enableDynamicField: false,
      fields: [
        { fieldName: "id", dataType: "Int64", isPrimary: true },
        { fieldName: "title", dataType: "VarChar", elementTypeParams: { max_length: 256 } },
        { fieldName: "topic", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 4096 } },
        { fieldName: "embedding", dataType: "FloatVector", elementTypeParams: { dim: dimension } },
      ],
    },
    indexParams: [{ fieldName: "embedding", metricType: "COSINE", indexName: "embedding_index" }],
  });
  const batchSize = 50;
  for (let start = 0; start < passages.length; start += batchSize) {
    const batch = passages.slice(start, start + batchSize);
    const { vectors } = await model.embed(
      batch.map((passage) => `${passage.title}. ${passage.text}`),
      { inputType: "document" },
    );
    await expectSuccess(transport, "entities/insert", {
      collectionName: DEMO_COLLECTION,
      data: batch.map((passage, index) => ({ id: passage.id, title: passage.title, topic: passage.topic, text: passage.text, embedding: vectors[index] })),
    });
    options.progress?.(Math.min(start + batchSize, passages.length), passages.length);
  }
  await expectSuccess(transport, "collections/flush", { collectionName: DEMO_COLLECTION });
  await expectSuccess(transport, "collections/load", { collectionName: DEMO_COLLECTION });
  await mkdir(dataDir, { recursive: true });
  await writeFile(markerFile, JSON.stringify({ corpus_sha256: corpusHash, passages: passages.length, loaded_at: new Date().toISOString() }, null, 2) + "\n");
}

/** A one-line progress bar for a terminal (stderr), plain lines otherwise. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number) => void {
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
    if (stream.isTTY) stream.write(`\r${line}${done === total ? "\n" : ""}`);
    else if (done === total || done % 100 < 50) stream.write(line + "\n");
  };
}

/** Resolves when something accepts a TCP connection at `host:port` within `timeoutMs`. */
export function probeTcp(address: string, timeoutMs = 1000): Promise<void> {
  const separator = address.lastIndexOf(":");
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolvePromise();
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error(`no answer from ${address} within ${timeoutMs} ms`));
    });
    socket.once("error", (error) => reject(new Error(`cannot connect to ${address}: ${error.message}`)));
  });
}
