import { Hono } from "hono";
import { z } from "zod";
import { BadRequestError, openAISearchFields, parseInput } from "@vs/core";
import { milvusOptionsSchema } from "@vs/provider-milvus";
import type { VectorStores } from "@vs/sdk";
import { authorizeStore, type IndexLookup } from "../access.js";
import { clientSignal, readJsonObject } from "../http/body.js";
import type { Env } from "../http/context.js";
import { concealFromCaller } from "../http/errors.js";
import type { StoreRegistry } from "../store-registry.js";
import type { Guardrails } from "../guardrails.js";

/**
 * The body of `POST /v1/vector_stores/{id}/search`: OpenAI's fields plus the Milvus search knobs a caller may turn.
 * Credentials, `api_base`, `dbName`, `partitionNames`, `annsField`, the text field and the embedding model are the
 * admin's (the registry's) — sending them is a 400 naming the field. A caller's `filter` is ANDed with the admin's.
 */
export const searchBodySchema = z.strictObject({
  ...openAISearchFields,
  ...milvusOptionsSchema.pick({ limit: true, offset: true, filter: true, outputFields: true, searchParams: true, consistencyLevel: true, groupingField: true, groupSize: true }).shape,
});
export type SearchBody = z.infer<typeof searchBodySchema>;

export function searchRoutes(options: { registry: StoreRegistry; vectorStores: VectorStores; indexes: IndexLookup | null; maxBodyBytes: number; guardrails: Guardrails }): Hono<Env> {
  const { registry, vectorStores, indexes, maxBodyBytes, guardrails } = options;
  const app = new Hono<Env>();

  const handler = async (c: import("hono").Context<Env, "/:id/search">) => {
    const store = registry.get(c.req.param("id"));
    const record = c.get("record");
    record.vector_store = store.name;
    await authorizeStore(c.get("caller"), store, "read", indexes);
    if (typeof store.params["vector_store_id"] === "string") concealFromCaller(c, [{ text: store.params["vector_store_id"], replacement: store.name }]);
    const body = parseInput(searchBodySchema, await readJsonObject(c, maxBodyBytes), { what: "search request" });
    if (!store.embeddingModel) {
      throw new BadRequestError(`Vector store "${store.name}" has no litellm_embedding_model in its registry entry, so it cannot be searched by text.`, { param: "vector_store_id", code: "vector_store_not_searchable" });
    }
    const storeGuardrails = guardrails.forStore(store.name);
    storeGuardrails.checkQuery(body.query);
    const adminFilter = typeof store.params["filter"] === "string" ? store.params["filter"] : undefined;
    const filter = adminFilter && body.filter ? `(${adminFilter}) and (${body.filter})` : body.filter ?? adminFilter;
    const params = { ...store.params, ...body, litellm_embedding_model: store.embeddingModel, ...(filter === undefined ? {} : { filter }) };
    const outcome = await vectorStores.searchWithOutcome(params, { signal: clientSignal(c) });

    record.result_count = outcome.page.data.length;
    record.embedding_ms = outcome.timings.embeddingMs;
    record.upstream_ms = outcome.timings.searchMs;
    record.embedding_tokens = outcome.embeddingTokens;
    record.embedding_cost_usd = outcome.embeddingCostUsd;
    const total = performance.now() - c.get("startedAt");
    const overhead = Math.max(0, total - outcome.timings.embeddingMs - outcome.timings.searchMs);
    c.header("x-vs-overhead-ms", overhead.toFixed(3));
    c.header("server-timing", `embedding;dur=${outcome.timings.embeddingMs.toFixed(3)}, upstream;dur=${outcome.timings.searchMs.toFixed(3)}, gateway;dur=${overhead.toFixed(3)}`);
    return c.json(storeGuardrails.redact(outcome.page));
  };
  app.post("/v1/vector_stores/:id/search", handler);
  app.post("/vector_stores/:id/search", handler);
  return app;
}
