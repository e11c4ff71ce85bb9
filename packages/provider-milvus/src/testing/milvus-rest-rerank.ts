import { MilvusFailure, isRecord } from "./milvus-rest-body.js";

export type Metric = "L2" | "IP" | "COSINE";

export interface RankedHit {
  /** The primary key as a map key (`JSON.stringify` of the value). */
  key: string;
  distance: number;
}

/** One sub-search's hits, best first, with the metric its scores are in. */
export interface RankedList {
  metric: Metric;
  hits: RankedHit[];
}

const MAX_RRF_K = 16384;

/**
 * `entities/hybrid_search`'s `rerank`: `{strategy: "rrf", params: {k}}` scores each hit Σ 1 / (k + rank) over the
 * lists it is in (rank from 1, k defaults to 60); `{strategy: "weighted", params: {weights, norm_score}}` scores it
 * Σ weight · score, where L2 distances are first turned into "higher is better" with 1 − 2·atan(d)/π and, with
 * `norm_score`, COSINE becomes (1 + c) / 2 and IP 0.5 + atan(ip)/π — Milvus's rerank functions. Best first.
 */
export function fuse(lists: RankedList[], rerank: unknown): RankedHit[] {
  if (!isRecord(rerank)) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'rerank'");
  const params = rerank.params === undefined ? {} : rerank.params;
  if (!isRecord(params)) throw new MilvusFailure(1801, "can only accept json format request, error: rerank.params must be an object");
  const scores = new Map<string, number>();
  const add = (key: string, value: number) => scores.set(key, (scores.get(key) ?? 0) + value);

  if (rerank.strategy === "rrf") {
    const k = params.k ?? 60;
    if (typeof k !== "number" || !(k > 0 && k < MAX_RRF_K))
      throw new MilvusFailure(1100, `invalid parameter: The rank params k should be in range (0, ${MAX_RRF_K})`);
    for (const list of lists) {
      list.hits.forEach((hit, index) => {
        add(hit.key, 1 / (k + index + 1));
      });
    }
  } else if (rerank.strategy === "weighted") {
    const weights = params.weights;
    if (!Array.isArray(weights) || !weights.every((weight) => typeof weight === "number" && weight >= 0 && weight <= 1)) {
      throw new MilvusFailure(1100, "invalid parameter: rerank.params.weights must be a list of numbers in [0, 1]");
    }
    if (weights.length !== lists.length)
      throw new MilvusFailure(
        1100,
        `invalid parameter[expected=${lists.length}][actual=${weights.length}]: the length of weights param mismatch with ann search requests`,
      );
    const normScore = params.norm_score ?? false;
    if (typeof normScore !== "boolean") throw new MilvusFailure(1100, "invalid parameter: norm_score must be true or false");
    lists.forEach((list, index) => {
      const weight = weights[index] as number;
      for (const hit of list.hits) add(hit.key, weight * weightedScore(list.metric, hit.distance, normScore));
    });
  } else {
    throw new MilvusFailure(1100, `invalid parameter: unsupported rerank strategy ${JSON.stringify(rerank.strategy)} (use rrf or weighted)`);
  }
  return [...scores.entries()].map(([key, distance]) => ({ key, distance })).sort((left, right) => right.distance - left.distance);
}

function weightedScore(metric: Metric, distance: number, normScore: boolean): number {
  if (metric === "L2") return 1 - (2 * Math.atan(distance)) / Math.PI;
  if (!normScore) return distance;
  return metric === "COSINE" ? (1 + distance) / 2 : 0.5 + Math.atan(distance) / Math.PI;
}
