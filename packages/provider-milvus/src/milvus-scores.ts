/**
 * From Milvus's raw `distance` to the gateway's `score`.
 *
 * The rule: a higher score is always better, and for unit-length vectors (what embedding models produce) every
 * metric gives the same score for the same pair of vectors, namely `(1 + cosine) / 2`, in [0, 1]:
 *
 * - `COSINE` returns the cosine similarity c in [-1, 1]          → `(1 + c) / 2`
 * - `IP` returns the dot product, which equals c for unit vectors → `(1 + ip) / 2`
 * - `L2` returns the SQUARED euclidean distance d; for unit vectors d = 2 - 2c, so c = 1 - d/2 → `1 - d / 4`
 *
 * For vectors that are not unit length the mapping stays monotonic (the order Milvus returned is preserved) but the
 * score may leave [0, 1]. `BM25` scores and metrics this package does not know are returned unchanged.
 * `ranking_options.score_threshold` compares against this score.
 */
export function normalizeScore(metric: string, raw: number): number {
  switch (metric.toUpperCase()) {
    case "COSINE":
    case "IP":
      return (1 + raw) / 2;
    case "L2":
      return 1 - raw / 4;
    default:
      return raw;
  }
}
