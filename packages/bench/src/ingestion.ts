import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createEmbeddingModel, LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startMilvusLite } from "@vs/milvus-lite";
import { demoCorpusPath } from "@vs/proxy/internal";
import { BENCH_MASTER_KEY } from "./bench-data.js";
import { describeError } from "./load.js";
import type { ProcessRegistry } from "./processes.js";
import { startProxyProcess } from "./proxy-process.js";

export interface IngestionResult {
  status: "measured" | "skipped" | "failed";
  reason?: string;
  files?: number;
  chunks?: number;
  /** Upload of every file → the batch `completed`, through the proxy (parse, chunk, embed, upsert, bookkeeping). */
  ingestionMs?: number;
  chunksPerSecond?: number;
  /** The same chunk texts embedded by the same model in the bench process, batches and concurrency as ingestion's. */
  modelMs?: number;
  modelChunksPerSecond?: number;
  /** chunksPerSecond ÷ modelChunksPerSecond: how much of the model's own rate ingestion keeps. */
  share?: number;
}

/** Tokens per chunk (`static`, no overlap): a few hundred chunks from the demo corpus, each file a different order. */
const CHUNK_TOKENS = 100;
/** What ingestion uses per file (`@vs/stores` defaults): 64 chunks per embedding call, 2 calls in flight, 2 files at once. */
const BATCH = 64;
const IN_FLIGHT = 4;

interface Passage {
  title: string;
  text: string;
}

async function apiCall(base: string, path: string, init: { method?: string; body?: unknown; form?: FormData } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${BENCH_MASTER_KEY}` };
  let body: string | FormData | undefined;
  if (init.form) body = init.form;
  else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  const method = init.method ?? (body === undefined ? "GET" : "POST");
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      // The local model runs on the proxy's event loop: while it embeds a batch, the server's keep-alive timer can
      // close a connection a poll was just sent on. A GET is retried on a connection error, as the official clients do.
      if (method === "GET" && attempt < 3) continue;
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      throw new Error(`${method} ${path} failed${cause}`);
    }
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
    return { status: response.status, body: JSON.parse(text) as unknown };
  }
}

async function upload(base: string, filename: string, text: string): Promise<string> {
  const form = new FormData();
  form.set("purpose", "assistants");
  form.set("file", new Blob([text]), filename);
  return (await apiCall(base, "/v1/files", { form })).body.id as string;
}

/** Attaches `files` as one batch and waits until it leaves in_progress; its final state. */
async function ingest(base: string, storeId: string, fileIds: string[]): Promise<{ status: string; counts: Record<string, number> }> {
  const chunking = { type: "static", static: { max_chunk_size_tokens: CHUNK_TOKENS, chunk_overlap_tokens: 0 } };
  let batch = (await apiCall(base, `/v1/vector_stores/${storeId}/file_batches`, { body: { file_ids: fileIds, chunking_strategy: chunking } })).body;
  while (batch.status === "in_progress") {
    await sleep(50);
    batch = (await apiCall(base, `/v1/vector_stores/${storeId}/file_batches/${batch.id}`)).body;
  }
  return { status: batch.status, counts: batch.file_counts };
}

/** The model's own rate on these texts: batches of `BATCH`, `IN_FLIGHT` calls at once, as ingestion calls it. */
async function modelRate(texts: string[]): Promise<number> {
  const model = createEmbeddingModel(LOCAL_EMBEDDING_MODEL);
  try {
    await model.embed(texts.slice(0, BATCH), { inputType: "document" });
    const batches = Array.from({ length: Math.ceil(texts.length / BATCH) }, (_, index) => texts.slice(index * BATCH, (index + 1) * BATCH));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batches.length) await model.embed(batches[next++]!, { inputType: "document" });
      }),
    );
    return performance.now() - started;
  } finally {
    await model.close?.();
  }
}

/**
 * Ingestion end to end on Milvus Lite with the local model: a store created through the proxy, `files` uploads, one
 * batch, polled until completed; then the same chunks embedded directly by the model in this process, so the row says
 * what share of the model's own rate ingestion keeps. A small warm-up file first loads the proxy's model.
 */
export async function runIngestion(
  processes: ProcessRegistry,
  options: { directory: string; files: number; log: (line: string) => void },
): Promise<IngestionResult> {
  const { directory, log } = options;
  let milvusLite: Awaited<ReturnType<typeof startMilvusLite>>;
  try {
    milvusLite = await startMilvusLite({ dataDir: join(directory, "milvus-lite"), onProgress: (line) => log(`  milvus-lite: ${line}`) });
  } catch (error) {
    return { status: "skipped", reason: `Milvus Lite could not start: ${describeError(error)}` };
  }
  const removeCleanup = processes.onCleanup("Milvus Lite (ingestion)", () => milvusLite.stop());
  try {
    const passages = JSON.parse(await readFile(demoCorpusPath(), "utf8")) as Passage[];
    const proxy = await startProxyProcess(processes, {
      name: "proxy (ingestion)",
      directory: join(directory, "proxy"),
      config: {
        vector_store_registry: [
          {
            vector_store_name: "ingestion-template",
            vector_store_template: true,
            litellm_params: {
              vector_store_id: "unused",
              custom_llm_provider: "milvus",
              api_base: `grpc://${milvusLite.address}`,
              litellm_embedding_model: LOCAL_EMBEDDING_MODEL,
            },
          },
        ],
        general_settings: { master_key: BENCH_MASTER_KEY, log_level: "warn", embedding_cache: { enabled: false }, ingestion: { poll_interval_seconds: 0.5 } },
      },
    });
    let ingestionMs: number;
    const texts: string[] = [];
    try {
      const store = (await apiCall(proxy.url, "/v1/vector_stores", { body: { name: "bench-ingestion" } })).body.id as string;
      const warm = await ingest(proxy.url, store, [
        await upload(
          proxy.url,
          "warm-up.txt",
          passages
            .slice(0, 5)
            .map((passage) => passage.text)
            .join("\n\n"),
        ),
      ]);
      if (warm.status !== "completed") throw new Error(`the warm-up file ended ${warm.status}`);
      // Each file is the whole corpus from another starting passage: the same size, different chunks.
      const contents = Array.from({ length: options.files }, (_, file) => {
        const start = Math.floor((file * passages.length) / options.files);
        return [...passages.slice(start), ...passages.slice(0, start)].map((passage) => `## ${passage.title}\n${passage.text}`).join("\n\n");
      });
      log(
        `Ingestion: ${options.files} files (${contents.reduce((sum, text) => sum + text.length, 0).toLocaleString("en-US")} characters), static ${CHUNK_TOKENS}-token chunks …`,
      );
      const started = performance.now();
      const fileIds = await Promise.all(contents.map((text, index) => upload(proxy.url, `corpus-${index}.md`, text)));
      const result = await ingest(proxy.url, store, fileIds);
      ingestionMs = performance.now() - started;
      if (result.status !== "completed" || result.counts["completed"] !== options.files)
        throw new Error(`the batch ended ${result.status}: ${JSON.stringify(result.counts)}`);
      for (const fileId of fileIds) {
        const page = (await apiCall(proxy.url, `/v1/vector_stores/${store}/files/${fileId}/content`)).body as { data: Array<{ text: string }> };
        texts.push(...page.data.map((part) => part.text));
      }
    } finally {
      await proxy.stop();
    }
    log(`  ${texts.length} chunks in ${(ingestionMs / 1000).toFixed(2)} s; embedding them directly with ${LOCAL_EMBEDDING_MODEL} …`);
    const modelMs = await modelRate(texts);
    const chunksPerSecond = texts.length / (ingestionMs / 1000);
    const modelChunksPerSecond = texts.length / (modelMs / 1000);
    return {
      status: "measured",
      files: options.files,
      chunks: texts.length,
      ingestionMs,
      chunksPerSecond,
      modelMs,
      modelChunksPerSecond,
      share: chunksPerSecond / modelChunksPerSecond,
    };
  } catch (error) {
    return { status: "failed", reason: describeError(error) };
  } finally {
    removeCleanup();
    await milvusLite.stop();
  }
}

export function formatIngestion(result: IngestionResult): string {
  if (result.status !== "measured") return `ingestion ${result.status}: ${result.reason ?? ""}`;
  return `ingestion: ${result.chunks} chunks (${result.files} files) upload → completed in ${((result.ingestionMs ?? 0) / 1000).toFixed(2)} s = ${result.chunksPerSecond?.toFixed(1)} chunks/s; the model alone ${result.modelChunksPerSecond?.toFixed(1)} chunks/s → ingestion keeps ${((result.share ?? 0) * 100).toFixed(0)} % of the model's rate`;
}
