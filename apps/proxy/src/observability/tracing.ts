import diagnosticsChannel from "node:diagnostics_channel";
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { Attributes, Tracer } from "@opentelemetry/api";
import type { Env } from "../http/context.js";

type OtelApi = typeof import("@opentelemetry/api");

/**
 * OpenTelemetry tracing through the official Node SDK, configured by the standard OTEL_* variables. Nothing of it is
 * loaded unless those say to export traces: with tracing off `traced` is one null check and no middleware is added.
 * Spans carry the store, the key's alias, counts and tokens — never a key, a credential, a URL's query or (unless
 * `general_settings.tracing.record_query_text`) the query text.
 */
interface ActiveTracing {
  api: OtelApi;
  tracer: Tracer;
  recordQueryText: boolean;
}

let active: ActiveTracing | null = null;

/** OTEL_TRACES_EXPORTER (not `none`) or an OTLP endpoint, and the SDK not disabled. */
export function tracingConfigured(env: Record<string, string | undefined>): boolean {
  if (env["OTEL_SDK_DISABLED"]?.trim().toLowerCase() === "true") return false;
  const exporters = (env["OTEL_TRACES_EXPORTER"] ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.length > 0) return exporters.some((name) => name !== "none");
  return Boolean(env["OTEL_EXPORTER_OTLP_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
}

export interface TracingHandle {
  /** Sends the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK once per process (the tracer provider is global). The SDK reads its exporter, endpoint, headers,
 * protocol, sampler and resource from `process.env`, as every OpenTelemetry SDK does.
 */
export async function startTracing(options: {
  env: Record<string, string | undefined>;
  recordQueryText: boolean;
  logger: Logger;
}): Promise<TracingHandle | null> {
  if (!tracingConfigured(options.env)) return null;
  if (active !== null) {
    active.recordQueryText = options.recordQueryText;
    return { shutdown: async () => undefined };
  }
  const [api, sdkNode, resources] = await Promise.all([import("@opentelemetry/api"), import("@opentelemetry/sdk-node"), import("@opentelemetry/resources")]);
  const sdk = new sdkNode.NodeSDK({
    serviceName: options.env["OTEL_SERVICE_NAME"] ?? "vs-proxy",
    // Only OTEL_RESOURCE_ATTRIBUTES: the process detector would export the command line, which may hold anything.
    resourceDetectors: [resources.envDetector],
    instrumentations: [],
  });
  sdk.start();
  const tracer = api.trace.getTracer("vs-proxy");
  active = { api, tracer, recordQueryText: options.recordQueryText };

  // Every undici request (the embedding clients, the Milvus REST transport, fetch) carries the active span's context.
  const onRequestCreated = (message: unknown) => {
    const request = (message as { request?: { addHeader?: (name: string, value: string) => unknown } }).request;
    if (active === null || typeof request?.addHeader !== "function") return;
    active.api.propagation.inject(active.api.context.active(), request, { set: (carrier, name, value) => void carrier.addHeader?.(name, value) });
  };
  diagnosticsChannel.subscribe("undici:request:create", onRequestCreated);
  options.logger.info({ exporter: options.env["OTEL_TRACES_EXPORTER"] ?? "otlp" }, "OpenTelemetry tracing on");
  return {
    async shutdown() {
      diagnosticsChannel.unsubscribe("undici:request:create", onRequestCreated);
      active = null;
      await sdk
        .shutdown()
        .catch((error: unknown) => options.logger.warn({ err_message: (error as Error).message }, "OpenTelemetry: spans not exported at shutdown"));
    },
  };
}

export function tracingActive(): boolean {
  return active !== null;
}

/** Runs `run` inside a child span of the active one; with tracing off, just runs it. */
export function traced<T>(name: string, attributes: Attributes, run: () => Promise<T>, kind: "internal" | "client" = "internal"): Promise<T> {
  if (active === null) return run();
  const { api, tracer } = active;
  return tracer.startActiveSpan(name, { attributes, kind: kind === "client" ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL }, async (span) => {
    try {
      return await run();
    } catch (error) {
      // The code only: an error's message may quote an upstream's answer.
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String((error as { code?: unknown }).code ?? "error") });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The query's text on the request span, when the admin turned that on. */
export function traceQueryText(query: string | string[]): void {
  if (active === null || !active.recordQueryText) return;
  active.api.trace.getActiveSpan()?.setAttribute("vs.query", Array.isArray(query) ? query.join("\n") : query);
}

/** The SDK's search phases as client spans (the hook `searchStore` takes). */
export function searchPhaseSpans(store: { name: string; provider: string }): <T>(phase: "embedding" | "vector_store", run: () => Promise<T>) => Promise<T> {
  return (phase, run) =>
    phase === "embedding"
      ? traced("embedding", { "vs.vector_store": store.name }, run, "client")
      : traced("vector_store search", { "vs.vector_store": store.name, "db.system.name": store.provider }, run, "client");
}

/**
 * The request's span: continues a caller's W3C `traceparent`, named by the route's pattern, with what the request's
 * record says once it is answered. Added only when tracing is on.
 */
export function traceRequests(routeOf: (matched: ReadonlyArray<{ method: string; path: string }>) => string): MiddlewareHandler<Env> {
  return async function traceRequest(c, next) {
    if (active === null || c.req.path.startsWith("/health/") || c.req.path === "/metrics") return next();
    const { api, tracer } = active;
    const parent = api.propagation.extract(api.ROOT_CONTEXT, c.req.raw.headers, {
      get: (headers, name) => headers.get(name) ?? undefined,
      keys: (headers) => [...headers.keys()],
    });
    const route = routeOf(c.req.matchedRoutes);
    const span = tracer.startSpan(
      `${c.req.method} ${route}`,
      { kind: api.SpanKind.SERVER, attributes: { "http.request.method": c.req.method, "http.route": route } },
      parent,
    );
    try {
      await api.context.with(api.trace.setSpan(parent, span), next);
    } finally {
      const record = c.get("record");
      const caller = c.get("caller") as { alias: string | null } | undefined;
      const attributes: Attributes = { "http.response.status_code": c.res.status, "vs.request_id": c.get("requestId") };
      if (caller) attributes["vs.key_alias"] = caller.alias ?? "none";
      if (record.vector_store !== undefined) attributes["vs.vector_store"] = record.vector_store;
      if (record.index_name !== undefined) attributes["vs.index_name"] = record.index_name;
      if (record.result_count !== undefined) attributes["vs.result_count"] = record.result_count;
      if (record.embedding_tokens !== undefined) attributes["vs.embedding.tokens"] = record.embedding_tokens;
      if (record.embedding_cost_usd !== undefined) attributes["vs.embedding.cost_usd"] = record.embedding_cost_usd;
      if (record.error_code !== undefined) attributes["vs.error_code"] = record.error_code;
      span.setAttributes(attributes);
      if (c.res.status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR, message: record.error_code ?? String(c.res.status) });
      span.end();
    }
  };
}
