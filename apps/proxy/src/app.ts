import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import type { Logger } from "pino";
import type { ErrorBody } from "@vs/core";
import type { VectorStores } from "@vs/sdk";
import type { IndexLookup } from "./access.js";
import { authenticate, type VirtualKeyResolver } from "./http/auth.js";
import type { Caller, Env, RequestRecord } from "./http/context.js";
import { errorResponse } from "./http/errors.js";
import { refuseNulInUrl } from "./http/url.js";
import { healthRoutes, type ReadinessCheck } from "./routes/health.js";
import { searchRoutes } from "./routes/search.js";
import type { StoreRegistry } from "./store-registry.js";
import type { StoreResolver } from "./store-resolver.js";
import { Guardrails } from "./guardrails.js";
import { observeRequest, type GatewayMetrics } from "./observability/metrics.js";
import { traceRequests } from "./observability/tracing.js";
import { enforceKeyLimits, type KeyLimitOptions } from "./limits/enforce.js";

/** One row per request, written off the hot path (batched) by whoever implements it. */
export interface RequestSink {
  record(entry: CompletedRequest): void;
}

export interface CompletedRequest extends RequestRecord {
  request_id: string;
  method: string;
  route: string;
  status: number;
  latency_ms: number;
  caller: Caller | undefined;
}

export interface AppOptions {
  registry: StoreRegistry;
  /** Registry stores and stores created through the API; without it only the registry is searched. */
  stores?: StoreResolver;
  vectorStores: VectorStores;
  masterKeyDigest: Buffer;
  logger: Logger;
  maxBodyBytes: number;
  virtualKeys?: VirtualKeyResolver | null;
  indexes?: IndexLookup | null;
  readiness?: ReadinessCheck[];
  requestSink?: RequestSink | null;
  guardrails?: Guardrails;
  /** Prometheus metrics; null/absent: nothing is counted. */
  metrics?: GatewayMetrics | null;
  /** Whether OpenTelemetry tracing was started: only then is the span middleware added. */
  tracing?: boolean;
  /** Per-key rate limits and budgets; absent: keys' limits are not enforced (tests of other parts). */
  keyLimits?: KeyLimitOptions | null;
  /** Extra authenticated routes (admin, passthrough), mounted after auth. */
  routes?: Array<Hono<Env>>;
}

/**
 * The pattern of the handler the path and method matched (`/v1/vector_stores/:id/search`), known even when a
 * middleware refused the request before it ran; `unmatched` when none did. Never the URL: metric labels stay bounded.
 */
function routePattern(matched: ReadonlyArray<{ method: string; path: string }>): string {
  for (let index = matched.length - 1; index >= 0; index--) if (matched[index]!.method !== "ALL") return matched[index]!.path;
  return "unmatched";
}

/** The gateway as a Hono app: no sockets, no process state; `server.ts` puts it on the network. */
export function createApp(options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const { logger } = options;

  app.use("*", async function trackRequest(c, next) {
    const requestId = c.req.header("x-request-id")?.slice(0, 128) || randomUUID();
    const record: RequestRecord = {};
    c.set("requestId", requestId);
    c.set("startedAt", performance.now());
    c.set("record", record);
    c.set("logger", logger);
    // Before the response exists: a header added afterwards makes Hono rebuild the response around a stream.
    c.header("x-request-id", requestId);
    await next();
    if (c.req.path.startsWith("/health/") || c.req.path === "/metrics") return;
    const caller = c.get("caller") as Caller | undefined;
    const entry: CompletedRequest = {
      request_id: requestId,
      method: c.req.method,
      route: c.req.path,
      status: c.res.status,
      latency_ms: Number((performance.now() - c.get("startedAt")).toFixed(3)),
      caller,
      ...record,
    };
    if (logger.isLevelEnabled("info")) {
      const { caller: _omitted, ...logged } = entry;
      logger.info({ ...logged, key_alias: caller?.alias ?? null }, "request");
    }
    options.requestSink?.record(entry);
    if (options.metrics) {
      observeRequest(options.metrics, {
        route: routePattern(c.req.matchedRoutes),
        method: c.req.method,
        status: c.res.status,
        latencyMs: entry.latency_ms,
        keyAlias: caller?.alias,
        vectorStore: record.vector_store,
        embeddingMs: record.embedding_ms,
        upstreamMs: record.upstream_ms,
        embeddingTokens: record.embedding_tokens,
        embeddingCostUsd: record.embedding_cost_usd,
        upstreamFailure: record.upstream_failure,
      });
    }
  });

  if (options.tracing) app.use("*", traceRequests(routePattern));
  app.use("*", refuseNulInUrl());
  app.route("/", healthRoutes(options.readiness ?? []));
  app.use("*", authenticate({ masterKeyDigest: options.masterKeyDigest, virtualKeys: options.virtualKeys ?? null }));
  if (options.keyLimits) app.use("*", enforceKeyLimits(options.keyLimits));
  app.route(
    "/",
    searchRoutes({
      registry: options.registry,
      stores: options.stores,
      vectorStores: options.vectorStores,
      indexes: options.indexes ?? null,
      maxBodyBytes: options.maxBodyBytes,
      guardrails: options.guardrails ?? new Guardrails([]),
    }),
  );
  for (const routes of options.routes ?? []) app.route("/", routes);

  app.notFound((c) => {
    const body: ErrorBody = { error: { message: `No route ${c.req.method} ${c.req.path}.`, type: "not_found_error", param: null, code: "route_not_found" } };
    return c.json(body, 404);
  });
  app.onError((error, c) => errorResponse(error, c));
  return app;
}
