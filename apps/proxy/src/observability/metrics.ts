import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EmbeddingCacheStore } from "@vs/embeddings";

/**
 * The gateway's Prometheus metrics, on a registry of its own (two proxies in one process, as in tests, do not share
 * counts). Label values are bounded: a route is its pattern (`/v1/vector_stores/:id/search`), never the URL; a vector
 * store is a registry name; a key is its alias (admin-chosen) or `none`, never the key or its hash.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"route" | "method" | "status" | "vector_store" | "key_alias">;
  readonly requestDuration: Histogram<"route" | "method">;
  readonly gatewayDuration: Histogram<"route">;
  readonly embeddingDuration: Histogram<"vector_store">;
  readonly vectorStoreDuration: Histogram<"vector_store">;
  readonly embeddingTokens: Counter<"vector_store" | "key_alias">;
  readonly embeddingCost: Counter<"vector_store" | "key_alias">;
  readonly embeddingCacheHits: Counter;
  readonly embeddingCacheMisses: Counter;
  readonly upstreamErrors: Counter<"upstream" | "code">;
  readonly rateLimitRejections: Counter<"limit" | "key_alias">;
  readonly budgetRejections: Counter<"key_alias">;
  readonly softBudgetCrossings: Counter<"key_alias">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // Seconds, from 1 ms to 10 s: a gateway's own time is sub-millisecond, an embedding call tens to hundreds of ms.
    const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.requests = new Counter({
      name: "vs_http_requests_total",
      help: "Requests answered, by route pattern, method, status, vector store and key alias.",
      labelNames: ["route", "method", "status", "vector_store", "key_alias"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: "vs_http_request_duration_seconds",
      help: "Time from receiving a request to answering it.",
      labelNames: ["route", "method"],
      buckets,
      registers,
    });
    this.gatewayDuration = new Histogram({
      name: "vs_gateway_duration_seconds",
      help: "The gateway's own share of a search: total minus embedding and vector store time.",
      labelNames: ["route"],
      buckets,
      registers,
    });
    this.embeddingDuration = new Histogram({
      name: "vs_embedding_duration_seconds",
      help: "Time to embed a search's query (cache hits included).",
      labelNames: ["vector_store"],
      buckets,
      registers,
    });
    this.vectorStoreDuration = new Histogram({
      name: "vs_vector_store_duration_seconds",
      help: "Time spent waiting on the vector store.",
      labelNames: ["vector_store"],
      buckets,
      registers,
    });
    this.embeddingTokens = new Counter({
      name: "vs_embedding_tokens_total",
      help: "Tokens the embedding model was billed for.",
      labelNames: ["vector_store", "key_alias"],
      registers,
    });
    this.embeddingCost = new Counter({
      name: "vs_embedding_cost_usd_total",
      help: "Cost of those tokens, in US dollars.",
      labelNames: ["vector_store", "key_alias"],
      registers,
    });
    this.embeddingCacheHits = new Counter({ name: "vs_embedding_cache_hits_total", help: "Query embeddings answered from the embedding cache.", registers });
    this.embeddingCacheMisses = new Counter({ name: "vs_embedding_cache_misses_total", help: "Query embeddings the cache did not hold.", registers });
    this.upstreamErrors = new Counter({
      name: "vs_upstream_errors_total",
      help: "Failures of an upstream (embedding model, vector store), by the upstream's own code.",
      labelNames: ["upstream", "code"],
      registers,
    });
    this.rateLimitRejections = new Counter({
      name: "vs_rate_limit_rejections_total",
      help: "Requests refused with 429 by a key's rpm_limit, tpm_limit or max_parallel_requests.",
      labelNames: ["limit", "key_alias"],
      registers,
    });
    this.budgetRejections = new Counter({
      name: "vs_budget_rejections_total",
      help: "Requests refused because the key's max_budget was spent.",
      labelNames: ["key_alias"],
      registers,
    });
    this.softBudgetCrossings = new Counter({
      name: "vs_soft_budget_crossings_total",
      help: "Times a key's spend crossed its soft_budget (once per budget window).",
      labelNames: ["key_alias"],
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts hits and misses of `store` (whatever its tiers) without changing what it answers. */
  countCache(store: EmbeddingCacheStore): EmbeddingCacheStore {
    const hits = this.embeddingCacheHits;
    const misses = this.embeddingCacheMisses;
    return {
      async getMany(keys) {
        const vectors = await store.getMany(keys);
        let found = 0;
        for (const vector of vectors) if (vector !== undefined) found++;
        if (found > 0) hits.inc(found);
        if (keys.length - found > 0) misses.inc(keys.length - found);
        return vectors;
      },
      setMany: (entries) => store.setMany(entries),
    };
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A key alias as a label value: `master`, the alias, or `none` (no alias, or no key). */
export function keyAliasLabel(alias: string | null | undefined): string {
  return alias ?? "none";
}

/** What one answered request adds to the metrics. */
export interface ObservedRequest {
  route: string;
  method: string;
  status: number;
  latencyMs: number;
  keyAlias: string | null | undefined;
  vectorStore?: string | undefined;
  embeddingMs?: number | undefined;
  upstreamMs?: number | undefined;
  embeddingTokens?: number | undefined;
  embeddingCostUsd?: number | undefined;
  upstreamFailure?: { upstream: string; code: string } | undefined;
}

export function observeRequest(metrics: GatewayMetrics, request: ObservedRequest): void {
  const keyAlias = keyAliasLabel(request.keyAlias);
  const vectorStore = request.vectorStore ?? "none";
  metrics.requests.inc({ route: request.route, method: request.method, status: String(request.status), vector_store: vectorStore, key_alias: keyAlias });
  metrics.requestDuration.observe({ route: request.route, method: request.method }, request.latencyMs / 1000);
  if (request.embeddingMs !== undefined) metrics.embeddingDuration.observe({ vector_store: vectorStore }, request.embeddingMs / 1000);
  if (request.upstreamMs !== undefined) metrics.vectorStoreDuration.observe({ vector_store: vectorStore }, request.upstreamMs / 1000);
  if (request.embeddingMs !== undefined || request.upstreamMs !== undefined) {
    const own = Math.max(0, request.latencyMs - (request.embeddingMs ?? 0) - (request.upstreamMs ?? 0));
    metrics.gatewayDuration.observe({ route: request.route }, own / 1000);
  }
  if (request.embeddingTokens) metrics.embeddingTokens.inc({ vector_store: vectorStore, key_alias: keyAlias }, request.embeddingTokens);
  if (request.embeddingCostUsd) metrics.embeddingCost.inc({ vector_store: vectorStore, key_alias: keyAlias }, request.embeddingCostUsd);
  if (request.upstreamFailure) metrics.upstreamErrors.inc(request.upstreamFailure);
}
