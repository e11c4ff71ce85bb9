import { Pool } from "undici";
import { createVectorStores } from "@vs/sdk";
import {
  BENCH_COLLECTION,
  BENCH_DIMENSIONS,
  BENCH_EMBEDDING_API_KEY,
  BENCH_EMBEDDING_MODEL,
  BENCH_INDEX,
  BENCH_METRIC,
  BENCH_MILVUS_TOKEN,
  BENCH_OUTPUT_FIELDS,
  BENCH_QUERY,
  BENCH_RESULT_ROWS,
  BENCH_STORE,
  BENCH_TEXT_FIELD,
  benchSearchBody,
  benchVector,
} from "./bench-data.js";
import type { BenchPath, ClientMode } from "./load.js";

export interface Upstreams {
  milvusUrl: string;
  embeddingsUrl: string;
}

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };

/** Rows of another vector size get their own ids and labels: `unified_1536`, `… [1536-d]`. */
export interface PathSize {
  dimensions?: number;
}

function sized(id: string, label: string, size: PathSize): { id: string; label: string } {
  return size.dimensions === undefined || size.dimensions === BENCH_DIMENSIONS
    ? { id, label }
    : { id: `${id}_${size.dimensions}`, label: `${label} [${size.dimensions}-d]` };
}

function pool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
}

async function readAnswer(response: { statusCode: number; body: { text(): Promise<string> } }, what: string): Promise<string> {
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${what}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
  return text;
}

function checkMilvusAnswer(text: string, mode: ClientMode, what: string): void {
  if (mode === "load") {
    if (!text.startsWith('{"code":0')) throw new Error(`${what}: not a success answer: ${text.slice(0, 200)}`);
    return;
  }
  const answer = JSON.parse(text) as { code?: unknown; data?: unknown };
  if (answer.code !== 0 || !Array.isArray(answer.data) || answer.data.length !== BENCH_RESULT_ROWS) {
    throw new Error(`${what}: expected code 0 and ${BENCH_RESULT_ROWS} rows, got ${text.slice(0, 200)}`);
  }
}

/** (a) What a client does without the gateway: the embedding call, then the Milvus search with its vector. */
export function directPath(upstreams: Upstreams, size: PathSize = {}): BenchPath {
  const embeddingsBase = new URL(upstreams.embeddingsUrl);
  const embeddingsPath = `${embeddingsBase.pathname.replace(/\/$/, "")}/embeddings`;
  return {
    ...sized("direct", "(a) direct: embedding call + Milvus search", size),
    async open(connections, mode: ClientMode = "latency") {
      const embeddings = pool(embeddingsBase.origin, connections);
      const milvus = pool(upstreams.milvusUrl, connections);
      const embeddingBody = JSON.stringify({ model: BENCH_EMBEDDING_MODEL, input: [BENCH_QUERY], encoding_format: "float" });
      const embeddingHeaders = { ...JSON_HEADERS, authorization: `Bearer ${BENCH_EMBEDDING_API_KEY}` };
      const milvusHeaders = { ...JSON_HEADERS, authorization: `Bearer ${BENCH_MILVUS_TOKEN}`, "accept-type-allow-int64": "true" };
      return {
        async operation() {
          const embedded = JSON.parse(
            await readAnswer(await embeddings.request({ path: embeddingsPath, method: "POST", headers: embeddingHeaders, body: embeddingBody }), "embedding"),
          ) as { data: Array<{ embedding: number[] }> };
          const vector = embedded.data[0]?.embedding;
          if (!vector) throw new Error("embedding: no vector in the answer");
          const searched = await milvus.request({
            path: "/v2/vectordb/entities/search",
            method: "POST",
            headers: milvusHeaders,
            body: JSON.stringify(benchSearchBody(BENCH_COLLECTION, vector)),
          });
          checkMilvusAnswer(await readAnswer(searched, "Milvus search"), mode, "Milvus search");
        },
        close: () => Promise.all([embeddings.close(), milvus.close()]).then(() => undefined),
      };
    },
  };
}

/** (a') A Milvus search sent straight to Milvus, with a vector the client already has. */
export function directMilvusPath(upstreams: Upstreams, size: PathSize = {}): BenchPath {
  return {
    ...sized("direct_milvus", "(a') direct Milvus search", size),
    async open(connections, mode: ClientMode = "latency") {
      const milvus = pool(upstreams.milvusUrl, connections);
      const body = JSON.stringify(benchSearchBody(BENCH_COLLECTION, benchVector(size.dimensions)));
      const headers = { ...JSON_HEADERS, authorization: `Bearer ${BENCH_MILVUS_TOKEN}`, "accept-type-allow-int64": "true" };
      return {
        async operation() {
          const searched = await milvus.request({ path: "/v2/vectordb/entities/search", method: "POST", headers, body });
          checkMilvusAnswer(await readAnswer(searched, "Milvus search"), mode, "Milvus search");
        },
        close: () => milvus.close(),
      };
    },
  };
}

/** (b) The SDK in this process: `vectorStores.search(...)` with the cache off, against the same upstreams. */
export function sdkPath(upstreams: Upstreams): BenchPath {
  return {
    id: "sdk",
    label: "(b) SDK in-process (createVectorStores, cache off)",
    async open() {
      const vectorStores = createVectorStores({ embeddingCache: false, env: {} });
      const params = {
        vector_store_id: BENCH_COLLECTION,
        custom_llm_provider: "milvus",
        query: BENCH_QUERY,
        max_num_results: BENCH_RESULT_ROWS,
        litellm_embedding_model: `openai/${BENCH_EMBEDDING_MODEL}`,
        litellm_embedding_config: { api_base: upstreams.embeddingsUrl, api_key: BENCH_EMBEDDING_API_KEY },
        api_base: upstreams.milvusUrl,
        api_key: BENCH_MILVUS_TOKEN,
        milvus_text_field: BENCH_TEXT_FIELD,
        outputFields: BENCH_OUTPUT_FIELDS,
        searchParams: { metricType: BENCH_METRIC },
      };
      return {
        async operation() {
          const page = await vectorStores.search(params);
          if (page.data.length !== BENCH_RESULT_ROWS) throw new Error(`SDK search: expected ${BENCH_RESULT_ROWS} rows, got ${page.data.length}`);
        },
        close: () => vectorStores.close(),
      };
    },
  };
}

/** (c)/(e) `POST /v1/vector_stores/{store}/search` on a proxy, with a virtual key. */
export function unifiedSearchPath(options: { id: string; label: string; proxyUrl: string; key: string; overheadSink?: number[] }): BenchPath {
  const { proxyUrl, key, overheadSink } = options;
  return {
    id: options.id,
    label: options.label,
    async open(connections, mode: ClientMode = "latency") {
      const proxy = pool(proxyUrl, connections);
      const body = JSON.stringify({ query: BENCH_QUERY, max_num_results: BENCH_RESULT_ROWS });
      const headers = { ...JSON_HEADERS, authorization: `Bearer ${key}` };
      const path = `/v1/vector_stores/${encodeURIComponent(BENCH_STORE)}/search`;
      return {
        async operation() {
          const response = await proxy.request({ path, method: "POST", headers, body });
          const text = await readAnswer(response, "unified search");
          if (mode === "load") return;
          const page = JSON.parse(text) as { data?: unknown[] };
          if (!Array.isArray(page.data) || page.data.length !== BENCH_RESULT_ROWS)
            throw new Error(`unified search: expected ${BENCH_RESULT_ROWS} rows, got ${text.slice(0, 200)}`);
          const overhead = Number(response.headers["x-vs-overhead-ms"]);
          if (overheadSink && Number.isFinite(overhead)) overheadSink.push(overhead);
        },
        close: () => proxy.close(),
      };
    },
  };
}

/** (d) `POST /milvus/v2/vectordb/entities/search` on a proxy: the virtual index, the same body as (a'). */
export function passthroughPath(options: { proxyUrl: string; key: string } & PathSize): BenchPath {
  return {
    ...sized("passthrough", "(d) proxy passthrough /milvus/v2/vectordb/entities/search", options),
    async open(connections, mode: ClientMode = "latency") {
      const proxy = pool(options.proxyUrl, connections);
      const body = JSON.stringify(benchSearchBody(BENCH_INDEX, benchVector(options.dimensions)));
      const headers = { ...JSON_HEADERS, authorization: `Bearer ${options.key}` };
      return {
        async operation() {
          const response = await proxy.request({ path: "/milvus/v2/vectordb/entities/search", method: "POST", headers, body });
          checkMilvusAnswer(await readAnswer(response, "passthrough search"), mode, "passthrough search");
        },
        close: () => proxy.close(),
      };
    },
  };
}

/** (f) The calibration hop: the same search body as (a') through a bare Node forwarder (`forwarder-child.ts`). */
export function bareForwarderPath(forwarderUrl: string, size: PathSize = {}): BenchPath {
  return {
    ...sized("bare_forwarder", "(f) bare Node forwarder (node:http + undici, no gateway logic)", size),
    async open(connections, mode: ClientMode = "latency") {
      const forwarder = pool(forwarderUrl, connections);
      const body = JSON.stringify(benchSearchBody(BENCH_COLLECTION, benchVector(size.dimensions)));
      return {
        async operation() {
          const response = await forwarder.request({ path: "/milvus/v2/vectordb/entities/search", method: "POST", headers: JSON_HEADERS, body });
          checkMilvusAnswer(await readAnswer(response, "forwarded search"), mode, "forwarded search");
        },
        close: () => forwarder.close(),
      };
    },
  };
}
