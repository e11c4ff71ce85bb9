import { z } from "zod";
import { hasNul, withoutNul } from "./nul.js";

const count = z.number().int().min(0);
const usd = z.number().finite().min(0);

/**
 * Text taken from a request (its path, a collection name from its body) may hold a NUL, which PostgreSQL refuses:
 * it is replaced (U+FFFD) so the request keeps its row.
 */
const requestText = z.string().transform(withoutNul);

/**
 * One row per proxied request. Written by the proxy, so a bad row is a bug there: it is refused (and reported) on
 * its own, never costing the other rows of its batch theirs.
 */
export const spendRowInputSchema = z.strictObject({
  /** A UUID; generated when absent. Writing the same id twice stores one row, so a batch can be retried. */
  id: z.uuid().optional(),
  request_id: z.string().min(1).transform(withoutNul),
  /** Defaults to the store's clock. */
  created_at: z.union([z.date(), z.iso.datetime({ offset: true })]).optional(),
  /** sha256 hex of the caller's key (`hashKey`), never the key; null for the master key or a refused request. */
  key_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest, never the key")
    .nullish(),
  key_alias: requestText.nullish(),
  route: z.string().min(1).transform(withoutNul),
  vector_store: requestText.nullish(),
  index_name: requestText.nullish(),
  status_code: z.number().int().min(100).max(599),
  latency_ms: count,
  embedding_tokens: count.default(0),
  embedding_cost_usd: usd.default(0),
  /** Milvus charges nothing per search; kept for providers that do. */
  search_cost_usd: usd.default(0),
  result_count: count.nullish(),
  error_code: requestText.nullish(),
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
  keyHash: z
    .string()
    .refine((text) => !hasNul(text), "contains a NUL character")
    .optional(),
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

/** What `record` did with a batch: rows are refused one by one, for what they hold; the others are written. */
export interface SpendRecordResult {
  written: number;
  rejected: SpendRowRejection[];
  /** Keys whose spend in their budget window reached a budget with these rows (each crossing reported once). */
  budgetCrossings: BudgetCrossing[];
}

export interface BudgetCrossing {
  /** sha256 hex of the key. */
  token: string;
  key_alias: string | null;
  budget: "soft_budget" | "max_budget";
  limit_usd: number;
  /** The window's spend after these rows. */
  spend_usd: number;
}

export interface SpendRowRejection {
  /** `null` when the row had no usable request_id. */
  request_id: string | null;
  /** Why: the invalid field, or the database's refusal. */
  reason: string;
}
