import type { PgvectorMetric } from "./pgvector-options.js";

/** The pgvector operator of each metric; each answers a distance, smaller is closer. */
export const DISTANCE_OPERATORS: Record<PgvectorMetric, string> = { cosine: "<=>", l2: "<->", ip: "<#>" };

/** The HNSW / IVFFlat operator class that serves each operator. */
export const OPERATOR_CLASSES: Record<PgvectorMetric, string> = { cosine: "vector_cosine_ops", l2: "vector_l2_ops", ip: "vector_ip_ops" };

/**
 * From pgvector's raw distance to the gateway's `score`, with the Milvus provider's rule: higher is better, and for
 * unit-length vectors every metric gives the same score for the same pair, `(1 + cosine) / 2`, in [0, 1].
 *
 * - `<=>` (cosine) answers d = 1 − c                          → `1 − d / 2`
 * - `<->` (l2) answers the euclidean distance d = √(2 − 2c)    → `1 − d² / 4`
 * - `<#>` (ip) answers the NEGATED inner product d = −c       → `(1 − d) / 2`
 *
 * Monotonic in d for every metric, so the order PostgreSQL returned is kept; for vectors that are not unit length the
 * score may leave [0, 1]. `ranking_options.score_threshold` compares against it; `distance` keeps d.
 */
export function normalizeScore(metric: PgvectorMetric, distance: number): number {
  switch (metric) {
    case "cosine":
      return 1 - distance / 2;
    case "l2":
      return 1 - (distance * distance) / 4;
    case "ip":
      return (1 - distance) / 2;
  }
}
