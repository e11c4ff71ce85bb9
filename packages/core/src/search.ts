import { z } from "zod";

/** OpenAI comparison filter: `{key, type, value}`. */
export const comparisonFilterSchema = z.strictObject({
  key: z.string().min(1),
  type: z.enum(["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]),
  value: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))], {
    error: "must be a string, number, boolean or a list of strings or numbers",
  }),
});
export type ComparisonFilter = z.infer<typeof comparisonFilterSchema>;

export interface CompoundFilter {
  type: "and" | "or";
  filters: Array<ComparisonFilter | CompoundFilter>;
}

/** OpenAI compound filter: `{type: and|or, filters: [...]}`, nested to any depth. */
export const compoundFilterSchema: z.ZodType<CompoundFilter> = z.lazy(() =>
  z.strictObject({
    type: z.enum(["and", "or"]),
    filters: z.array(z.union([comparisonFilterSchema, compoundFilterSchema])).min(1),
  }),
);

export const filterSchema = z.union([comparisonFilterSchema, compoundFilterSchema], {
  error: "must be a comparison filter {key, type, value} or a compound filter {type: and|or, filters}",
});
export type Filter = ComparisonFilter | CompoundFilter;

/**
 * OpenAI's `ranking_options.hybrid_search` (file_search tool): fuse the embedding search with a full-text search of
 * the query, weighted. Providers that cannot answer it with a 400 naming the field.
 */
export const hybridSearchOptionsSchema = z.strictObject({
  embedding_weight: z.number().min(0),
  text_weight: z.number().min(0),
});
export type HybridSearchOptions = z.infer<typeof hybridSearchOptionsSchema>;

export const rankingOptionsSchema = z.strictObject({
  ranker: z.enum(["auto", "none", "default-2024-11-15"]).optional(),
  score_threshold: z.number().min(0).max(1).optional(),
  hybrid_search: hybridSearchOptionsSchema.optional(),
});
export type RankingOptions = z.infer<typeof rankingOptionsSchema>;

export const MAX_NUM_RESULTS = 50;

/** The fields of OpenAI's `POST /v1/vector_stores/{id}/search` body. */
export const openAISearchFields = {
  query: z.union([z.string().min(1, "must not be empty"), z.array(z.string().min(1, "must not be empty")).min(1, "must not be empty")], {
    error: "must be a string or a list of strings",
  }),
  filters: filterSchema.optional(),
  max_num_results: z.number().int().min(1).max(MAX_NUM_RESULTS).optional(),
  ranking_options: rankingOptionsSchema.optional(),
  rewrite_query: z.boolean().optional(),
};

/** Embedding config as the reference page passes it (`litellm_embedding_config`); unknown keys go to the model. */
export const embeddingConfigSchema = z
  .object({
    api_base: z.string().min(1).optional(),
    api_key: z.string().min(1).optional(),
    api_version: z.string().min(1).optional(),
    dimensions: z.number().int().positive().optional(),
    timeout_ms: z.number().int().positive().optional(),
    max_retries: z.number().int().min(0).max(10).optional(),
    /** Price of one input token in USD, for cost tracking. */
    input_cost_per_token: z.number().min(0).optional(),
  })
  .catchall(z.unknown());
export type EmbeddingConfig = z.infer<typeof embeddingConfigSchema>;

/**
 * `vectorStores.search({...})` parameters: the reference page's names. Provider parameters (for Milvus:
 * `milvus_text_field`, `api_key`, `api_base`, `dbName`, `annsField`, `limit`, …) are kept in the catch-all and
 * validated by the provider's own strict schema, so a typo there is still an error naming the field.
 */
export const vectorStoreSearchParamsSchema = z
  .object({
    vector_store_id: z.string().min(1),
    custom_llm_provider: z.string().min(1).default("milvus"),
    litellm_embedding_model: z.string().min(1),
    litellm_embedding_config: embeddingConfigSchema.optional(),
    ...openAISearchFields,
  })
  .catchall(z.unknown());
export type VectorStoreSearchParamsInput = z.input<typeof vectorStoreSearchParamsSchema>;
export type VectorStoreSearchParams = z.output<typeof vectorStoreSearchParamsSchema>;

export const searchResultContentSchema = z.object({ type: z.literal("text"), text: z.string() });

export const searchResultRowSchema = z.object({
  /** Higher is better, whatever the metric; see the provider's README for the mapping. */
  score: z.number(),
  content: z.array(searchResultContentSchema),
  file_id: z.string().nullable(),
  filename: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  /** The store's own raw distance or similarity, as it returned it. */
  distance: z.number().optional(),
});
export type SearchResultRow = z.infer<typeof searchResultRowSchema>;

export const searchPageSchema = z.object({
  object: z.literal("vector_store.search_results.page"),
  search_query: z.union([z.string(), z.array(z.string())]),
  data: z.array(searchResultRowSchema),
});
export type SearchPage = z.infer<typeof searchPageSchema>;

/** A list query is searched as one text, joined with spaces (as the reference does). */
export function queryText(query: string | string[]): string {
  return typeof query === "string" ? query : query.join(" ");
}
