import { BadRequestError, type HybridSearchOptions } from "@vs/core";
import type { MilvusFilter } from "./milvus-filters.js";
import { MANAGED_FIELDS } from "./milvus-managed.js";
import { MILVUS_MAX_TOP_K } from "./milvus-options.js";

/**
 * Each sub-search brings this many candidates (at least the page asked for): the weighted fusion scores a row missing
 * from one list as 0 there, so short lists would drop rows that rank well in both.
 */
export const HYBRID_MIN_CANDIDATES = 100;

export interface HybridSearchInput {
  collectionName: string;
  dbName: string | undefined;
  queryVector: number[];
  /** The raw query text, matched by BM25 against the `sparse` field. */
  queryText: string;
  /** The dense field's metric (`COSINE`, `L2`, `IP`). */
  metric: string;
  /** The store's `searchParams` without the metric (index parameters such as `ef`). */
  searchParams: Record<string, unknown>;
  filter: MilvusFilter | undefined;
  limit: number;
  offset: number | undefined;
  outputFields: readonly string[];
  consistencyLevel: string | undefined;
  partitionNames: string[] | undefined;
  groupingField: string | undefined;
  groupSize: number | undefined;
  weights: HybridSearchOptions;
}

/** `[embedding, text]` scaled to sum 1: Milvus takes weights in [0, 1], and the fused score then stays in [0, 1]. */
export function hybridWeights(options: HybridSearchOptions, param = "ranking_options.hybrid_search"): [number, number] {
  const { embedding_weight: embedding, text_weight: text } = options;
  const total = embedding + text;
  if (!Number.isFinite(total) || total <= 0) {
    throw new BadRequestError(`${param}: embedding_weight and text_weight must not both be 0.`, { param });
  }
  return [embedding / total, text / total];
}

/**
 * The REST v2 `entities/hybrid_search` body: the dense search of the query vector and the BM25 search of the query
 * text, each with the request's filter, fused by Milvus's weighted ranker with `norm_score`. Milvus normalises each
 * list's scores into [0, 1] before weighting (COSINE `(1 + c) / 2`, IP `0.5 + atan(ip) / π`, L2
 * `1 - 2·atan(d) / π`, BM25 `2·atan(s) / π`, Milvus Lite's negative BM25 distances included), so the fused
 * score is in [0, 1] and higher is better.
 */
export function hybridSearchBody(input: HybridSearchInput): Record<string, unknown> {
  const [embeddingWeight, textWeight] = hybridWeights(input.weights);
  const candidates = Math.min(MILVUS_MAX_TOP_K, Math.max(HYBRID_MIN_CANDIDATES, (input.offset ?? 0) + input.limit));
  const withFilter = (search: Record<string, unknown>): Record<string, unknown> => {
    if (input.filter === undefined) return search;
    search.filter = input.filter.expression;
    if (Object.keys(input.filter.exprParams).length > 0) search.exprParams = input.filter.exprParams;
    return search;
  };
  const dense: Record<string, unknown> = { data: [input.queryVector], annsField: MANAGED_FIELDS.vector, metricType: input.metric, limit: candidates };
  if (Object.keys(input.searchParams).length > 0) dense.params = input.searchParams;
  const text: Record<string, unknown> = { data: [input.queryText], annsField: MANAGED_FIELDS.sparse, metricType: "BM25", limit: candidates };

  const body: Record<string, unknown> = { collectionName: input.collectionName };
  if (input.dbName !== undefined) body.dbName = input.dbName;
  body.search = [withFilter(dense), withFilter(text)];
  body.rerank = { strategy: "weighted", params: { weights: [embeddingWeight, textWeight], norm_score: true } };
  body.limit = input.limit;
  if (input.offset !== undefined) body.offset = input.offset;
  if (input.groupingField !== undefined) body.groupingField = input.groupingField;
  if (input.groupSize !== undefined) body.groupSize = input.groupSize;
  body.outputFields = [...input.outputFields];
  if (input.partitionNames !== undefined) body.partitionNames = input.partitionNames;
  if (input.consistencyLevel !== undefined) body.consistencyLevel = input.consistencyLevel;
  return body;
}
