import { z } from "zod";

const count = z.number().int().min(0);
const usd = z.number().finite().min(0);

/** One row per proxied request. Written by the proxy, so a bad row is a bug there and fails loudly. */
export const spendRowInputSchema = z.strictObject({
  /** A UUID; generated when absent. */
  id: z.uuid().optional(),
  request_id: z.string().min(1),
  /** Defaults to the store's clock. */
  created_at: z.union([z.date(), z.iso.datetime({ offset: true })]).optional(),
  /** sha256 hex of the caller's key (`hashKey`), never the key; null for the master key or a refused request. */
  key_hash: z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest, never the key").nullish(),
  key_alias: z.string().nullish(),
  route: z.string().min(1),
  vector_store: z.string().nullish(),
  index_name: z.string().nullish(),
  status_code: z.number().int().min(100).max(599),
  latency_ms: count,
  embedding_tokens: count.default(0),
  embedding_cost_usd: usd.default(0),
  /** Milvus charges nothing per search; kept for providers that do. */
  search_cost_usd: usd.default(0),
  result_count: count.nullish(),
  error_code: z.string().nullish(),
});
export type SpendRowInput = z.input<typeof spendRowInputSchema>;

/** A stored row. It is also a valid `SpendRowInput`, so rows can be copied from one store to another. */
export const spendRowSchema = z.object({
  id: z.string(),
  request_id: z.string(),
  created_at: z.date(),
  key_hash: z.string().nullable(),
  key_alias: z.string().nullable(),
  route: z.string(),
  vector_store: z.string().nullable(),
  index_name: z.string().nullable(),
  status_code: z.number(),
  latency_ms: z.number(),
  embedding_tokens: z.number(),
  embedding_cost_usd: z.number(),
  search_cost_usd: z.number(),
  result_count: z.number().nullable(),
  error_code: z.string().nullable(),
});
export type SpendRow = z.infer<typeof spendRowSchema>;

export const spendFilterSchema = z.strictObject({
  keyHash: z.string().optional(),
  /** Rows created at or after this instant. */
  since: z.date().optional(),
  /** Rows created before this instant. */
  until: z.date().optional(),
  /** For `list`: newest first, 100 by default, at most 1000. */
  limit: z.number().int().min(1).max(1000).optional(),
});
export type SpendFilter = z.infer<typeof spendFilterSchema>;

export interface SpendSummary {
  requests: number;
  embedding_tokens: number;
  /** Embedding plus search cost. */
  cost_usd: number;
}
