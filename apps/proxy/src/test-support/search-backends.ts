import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { startMilvusRestServer, type MilvusRestServer } from "@vs/provider-milvus/testing";
import { MASTER_KEY } from "./harness.js";

export const DIM = 4;

/**
 * A fake Milvus (REST v2) with a `docs` collection and an OpenAI-shaped embedding server whose answers take
 * `embeddingDelayMs` and always bill `tokensPerCall` tokens: what the observability tests count on being exact.
 */
export interface SearchBackends {
  milvus: MilvusRestServer;
  embeddingUrl: string;
  /** Headers of each embedding request, in order. */
  embeddingHeaders: IncomingHttpHeaders[];
  embeddingDelayMs: number;
  /** A config with the store `docs` (and `extra` appended under general_settings). */
  yaml(generalSettings?: string): string;
  close(): Promise<void>;
}

export const INPUT_COST_PER_TOKEN = 0.0001;

export async function startSearchBackends(options: { embeddingDelayMs?: number; tokensPerCall?: number } = {}): Promise<SearchBackends> {
  const tokens = options.tokensPerCall ?? 5;
  const embeddingHeaders: IncomingHttpHeaders[] = [];
  const state = { embeddingDelayMs: options.embeddingDelayMs ?? 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      embeddingHeaders.push(request.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string[] };
      const data = body.input.map((text, index) => ({
        object: "embedding",
        index,
        embedding: Array.from({ length: DIM }, (_, position) => ((text.length + position) % 5) + 1),
      }));
      setTimeout(() => {
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ object: "list", data, model: "slow", usage: { prompt_tokens: tokens, total_tokens: tokens } }));
      }, state.embeddingDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const embeddingUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const milvus = await startMilvusRestServer();
  const post = (endpoint: string, body: unknown) =>
    fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("collections/create", {
    collectionName: "docs",
    schema: {
      fields: [
        { fieldName: "id", dataType: "Int64", isPrimary: true },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
      ],
    },
    indexParams: [{ fieldName: "vector", metricType: "L2" }],
  });
  await post("entities/insert", { collectionName: "docs", data: [1, 2, 3].map((id) => ({ id, text: `passage ${id}`, vector: Array(DIM).fill(id) })) });

  return {
    milvus,
    embeddingUrl,
    embeddingHeaders,
    get embeddingDelayMs() {
      return state.embeddingDelayMs;
    },
    set embeddingDelayMs(value: number) {
      state.embeddingDelayMs = value;
    },
    yaml: (generalSettings = "") => `
model_list:
  - model_name: slow-model
    litellm_params: { model: openai/slow, api_base: "${embeddingUrl}", api_key: embedding-secret-credential }
    model_info: { input_cost_per_token: ${INPUT_COST_PER_TOKEN} }
vector_store_registry:
  - vector_store_name: docs
    litellm_params: { vector_store_id: docs, api_base: "${milvus.url}", milvus_text_field: text, litellm_embedding_model: slow-model }
general_settings:
  master_key: ${MASTER_KEY}
${generalSettings}`,
    async close() {
      await milvus.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
