import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Pool } from "undici";
import { LOCAL_EMBEDDING_MODEL } from "@vs/embeddings";
import { startMilvusLite } from "@vs/milvus-lite";
import { createMilvusProvider } from "@vs/provider-milvus";
import { createVectorStores } from "@vs/sdk";
import { DEMO_COLLECTION, demoCorpusPath, loadDemoCollection } from "@vs/proxy/internal";
import { BENCH_MASTER_KEY } from "./bench-data.js";
import { describeError } from "./load.js";
import type { ProcessRegistry } from "./processes.js";
import { startProxyProcess } from "./proxy-process.js";
import { summarize, type LatencySummary } from "./statistics.js";

export interface EndToEndResult {
  status: "measured" | "skipped" | "failed";
  /** Why it was skipped or failed. */
  reason?: string;
  rows?: number;
  searches?: number;
  errors?: number;
  firstError?: string;
  milvusLiteStartMs?: number;
  loadMs?: number;
  /** Client wall time per search. */
  total?: LatencySummary;
  /** From `server-timing`: the query embedding (local model, in the proxy process). */
  embedding?: LatencySummary;
  /** From `server-timing`: the Milvus Lite search (gRPC). */
  upstream?: LatencySummary;
  /** `x-vs-overhead-ms`: the gateway's own time between receiving the request and sending the answer. */
  gateway?: LatencySummary;
  /** Client wall time minus the three above: HTTP on both sides, the client, the loopback. */
  httpAndClient?: LatencySummary;
}

export const END_TO_END_STORE = "e2e-docs";

interface CorpusPassage {
  title: string;
  topic: string;
}

/** Varied questions a user could ask of the demo corpus: one per passage title, phrased a few different ways. */
export function endToEndQueries(passages: CorpusPassage[], count: number): string[] {
  const phrasings = [
    (title: string) => `How does ${title} work?`,
    (title: string) => `What should I know about ${title}?`,
    (title: string) => `Explain ${title} in the gateway`,
    (title: string) => `${title}: where is it configured?`,
  ];
  return Array.from({ length: count }, (_, index) => {
    const passage = passages[index % passages.length] as CorpusPassage;
    // Another phrasing on every pass over the corpus, so no two queries are the same text.
    const phrase = phrasings[(index + Math.floor(index / passages.length)) % phrasings.length] as (title: string) => string;
    return phrase(passage.title.toLowerCase());
  });
}

function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  const timings: Record<string, number> = {};
  for (const part of text.split(",")) {
    const match = /^\s*([\w-]+)\s*;\s*dur=([\d.]+)/.exec(part);
    if (match) timings[match[1] as string] = Number(match[2]);
  }
  return timings;
}

/**
 * Milvus Lite (gRPC) + the local embedding model + the real proxy: the demo corpus (300 passages) embedded and
 * loaded, then `searches` sequential unified searches with different queries (embedding cache off), broken down
 * with the proxy's own `server-timing` and `x-vs-overhead-ms` headers.
 */
export async function runEndToEnd(
  processes: ProcessRegistry,
  options: { directory: string; searches: number; warmup: number; log: (line: string) => void },
): Promise<EndToEndResult> {
  const { directory, log } = options;
  let milvusLite: Awaited<ReturnType<typeof startMilvusLite>>;
  const startStarted = performance.now();
  try {
    milvusLite = await startMilvusLite({ dataDir: join(directory, "milvus-lite"), onProgress: (line) => log(`  milvus-lite: ${line}`) });
  } catch (error) {
    return { status: "skipped", reason: `Milvus Lite could not start: ${describeError(error)}` };
  }
  const removeCleanup = processes.onCleanup("Milvus Lite", () => milvusLite.stop());
  const milvusLiteStartMs = performance.now() - startStarted;
  const apiBase = `grpc://${milvusLite.address}`;
  log(`Milvus Lite on ${milvusLite.address} (${(milvusLiteStartMs / 1000).toFixed(1)} s); loading the demo corpus with ${LOCAL_EMBEDDING_MODEL} …`);

  try {
    const passages = JSON.parse(await readFile(demoCorpusPath(), "utf8")) as CorpusPassage[];
    const loadStarted = performance.now();
    const vectorStores = createVectorStores({ embeddingCache: false, env: {} });
    const milvus = createMilvusProvider({ env: {} });
    try {
      await loadDemoCollection({ vectorStores, milvus, apiBase, dataDir: join(directory, "loader"), log: (line) => log(`  ${line}`) });
    } finally {
      await Promise.allSettled([vectorStores.close(), milvus.close()]);
    }
    const loadMs = performance.now() - loadStarted;

    const proxy = await startProxyProcess(processes, {
      name: "proxy (Milvus Lite)",
      directory: join(directory, "proxy"),
      config: {
        vector_store_registry: [
          {
            vector_store_name: END_TO_END_STORE,
            litellm_params: {
              vector_store_id: DEMO_COLLECTION,
              custom_llm_provider: "milvus",
              api_base: apiBase,
              litellm_embedding_model: LOCAL_EMBEDDING_MODEL,
              milvus_text_field: "text",
              annsField: "embedding",
              outputFields: ["title", "topic"],
              searchParams: { metricType: "COSINE" },
            },
          },
        ],
        general_settings: { master_key: BENCH_MASTER_KEY, log_level: "warn", embedding_cache: { enabled: false } },
      },
    });
    const client = new Pool(proxy.url, { connections: 1, keepAliveTimeout: 60_000 });
    const queries = endToEndQueries(passages, options.warmup + options.searches);
    const totals: number[] = [];
    const embedding: number[] = [];
    const upstream: number[] = [];
    const gateway: number[] = [];
    const httpAndClient: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    try {
      log(`${options.searches} sequential unified searches through the proxy (after ${options.warmup} warm-up) …`);
      for (const [position, query] of queries.entries()) {
        const started = performance.now();
        try {
          const response = await client.request({
            path: `/v1/vector_stores/${END_TO_END_STORE}/search`,
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_MASTER_KEY}` },
            body: JSON.stringify({ query, max_num_results: 5 }),
          });
          const text = await response.body.text();
          if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
          const page = JSON.parse(text) as { data?: unknown[] };
          if (!Array.isArray(page.data) || page.data.length === 0) throw new Error(`no results for "${query}"`);
          const elapsed = performance.now() - started;
          if (position < options.warmup) continue;
          const timing = parseServerTiming(response.headers["server-timing"]);
          const overhead = Number(response.headers["x-vs-overhead-ms"]);
          const embeddingMs = timing["embedding"] ?? Number.NaN;
          const upstreamMs = timing["upstream"] ?? Number.NaN;
          totals.push(elapsed);
          embedding.push(embeddingMs);
          upstream.push(upstreamMs);
          gateway.push(overhead);
          httpAndClient.push(elapsed - embeddingMs - upstreamMs - overhead);
        } catch (error) {
          if (position < options.warmup) continue;
          errors++;
          firstError ??= describeError(error);
        }
      }
    } finally {
      await client.close();
      await proxy.stop();
    }
    return {
      status: "measured",
      rows: passages.length,
      searches: totals.length,
      errors,
      ...(firstError === undefined ? {} : { firstError }),
      milvusLiteStartMs,
      loadMs,
      total: summarize(totals),
      embedding: summarize(embedding),
      upstream: summarize(upstream),
      gateway: summarize(gateway),
      httpAndClient: summarize(httpAndClient),
    };
  } catch (error) {
    return { status: "failed", reason: describeError(error) };
  } finally {
    removeCleanup();
    await milvusLite.stop();
  }
}
