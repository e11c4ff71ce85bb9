import { Hono } from "hono";
import { z } from "zod";
import { BadRequestError, openAISearchFields, parseInput, type AnyVectorStoreProvider, type Filter, type RankingOptions } from "@vs/core";
import type { VectorStores } from "@vs/sdk";
import { authorizeStore, type IndexLookup } from "../access.js";
import { clientSignal, readJsonObject } from "../http/body.js";
import type { Env } from "../http/context.js";
import { concealFromCaller } from "../http/errors.js";
import type { StoreRegistry } from "../store-registry.js";
import type { StoreResolver } from "../store-resolver.js";
import type { Guardrails } from "../guardrails.js";
import { searchPhaseSpans, traceQueryText, tracingActive } from "../observability/tracing.js";

/**
 * The body of `POST /v1/vector_stores/{id}/search`: OpenAI's fields plus what the store's provider lets a caller add
 * (its `callerOptionsSchema`; for Milvus the search knobs). Credentials, addresses, the database, the text field and
 * the embedding model are the admin's — sending them is a 400 naming the field. Built once per provider.
 */
const bodySchemas = new WeakMap<AnyVectorStoreProvider, z.ZodType<SearchBody>>();

export interface SearchBody {
  query: string | string[];
  filters?: Filter | undefined;
  max_num_results?: number | undefined;
  ranking_options?: RankingOptions | undefined;
  rewrite_query?: boolean | undefined;
  [callerOption: string]: unknown;
}

export function searchBodySchema(provider: AnyVectorStoreProvider): z.ZodType<SearchBody> {
  let schema = bodySchemas.get(provider);
  if (!schema) {
    schema = z.strictObject({ ...provider.callerOptionsSchema.shape, ...openAISearchFields }) as unknown as z.ZodType<SearchBody>;
    bodySchemas.set(provider, schema);
  }
  return schema;
}

export function searchRoutes(options: {
  registry: StoreRegistry;
  stores?: StoreResolver | undefined;
  vectorStores: VectorStores;
  indexes: IndexLookup | null;
  maxBodyBytes: number;
  guardrails: Guardrails;
}): Hono<Env> {
  const { registry, stores, vectorStores, indexes, maxBodyBytes, guardrails } = options;
  const app = new Hono<Env>();

  const handler = async (c: import("hono").Context<Env, "/:id/search">) => {
    const store = stores ? await stores.getForSearch(c.req.param("id")) : registry.get(c.req.param("id"));
    const record = c.get("record");
    record.vector_store = store.name;
    await authorizeStore(c.get("caller"), store, "read", indexes);
    concealFromCaller(c, [{ text: store.id, replacement: store.name }]);
    const provider = store.prepared.provider;
    const { query, filters, max_num_results, ranking_options, rewrite_query, ...callerOptions } = parseInput(
      searchBodySchema(provider),
      await readJsonObject(c, maxBodyBytes),
      { what: "search request" },
    );
    if (rewrite_query === true) {
      throw new BadRequestError(
        "rewrite_query: query rewriting is not supported by this gateway (no rewriting model is configured); send the query as it should be searched.",
        { param: "rewrite_query", code: "unsupported_parameter" },
      );
    }
    if (!store.embeddingModel) {
      throw new BadRequestError(`Vector store "${store.name}" has no litellm_embedding_model in its registry entry, so it cannot be searched by text.`, {
        param: "vector_store_id",
        code: "vector_store_not_searchable",
      });
    }
    const storeGuardrails = guardrails.forStore(store.name);
    storeGuardrails.checkQuery(query);
    traceQueryText(query);
    const callOptions = tracingActive()
      ? { signal: clientSignal(c), phase: searchPhaseSpans({ name: store.name, provider: provider.id }) }
      : { signal: clientSignal(c) };
    const outcome = await vectorStores.searchStore(store.prepared, { query, filters, max_num_results, ranking_options, callerOptions }, callOptions);

    stores?.touch(store.id);
    record.result_count = outcome.page.data.length;
    record.embedding_ms = outcome.timings.embeddingMs;
    record.upstream_ms = outcome.timings.searchMs;
    record.embedding_tokens = outcome.embeddingTokens;
    record.embedding_cost_usd = outcome.embeddingCostUsd;
    const total = performance.now() - c.get("startedAt");
    const overhead = Math.max(0, total - outcome.timings.embeddingMs - outcome.timings.searchMs);
    c.header("x-vs-overhead-ms", overhead.toFixed(3));
    c.header(
      "server-timing",
      `embedding;dur=${outcome.timings.embeddingMs.toFixed(3)}, upstream;dur=${outcome.timings.searchMs.toFixed(3)}, gateway;dur=${overhead.toFixed(3)}`,
    );
    return c.json(storeGuardrails.redact(outcome.page));
  };
  app.post("/v1/vector_stores/:id/search", handler);
  app.post("/vector_stores/:id/search", handler);
  return app;
}
