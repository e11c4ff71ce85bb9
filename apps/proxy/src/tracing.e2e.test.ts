import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { startSearchBackends, type SearchBackends } from "./test-support/search-backends.js";

// The proxy exports its spans over OTLP/HTTP (the official SDK, configured by OTEL_* variables) to a receiver in
// this test; a caller's traceparent is continued and handed on to both upstreams.

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}

function attributes(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries(
    (span.attributes ?? []).map(({ key, value }) => [
      key,
      value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.doubleValue ?? value.boolValue,
    ]),
  );
}

describe("OpenTelemetry traces", () => {
  let receiver: Server;
  const bodies: string[] = [];
  const spans: OtlpSpan[] = [];
  let backends: SearchBackends;
  let proxy: TestProxy;
  let key: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (request.url === "/v1/traces") {
          bodies.push(text);
          const body = JSON.parse(text) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
          for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    // The SDK reads process.env, as every OpenTelemetry SDK does.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "50",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_SERVICE_NAME: "vs-under-test",
    });
    backends = await startSearchBackends();
    proxy = await startTestProxy(backends.yaml());
    key = (
      await proxy.call("/key/generate", { body: { key_alias: "tracer", allowed_vector_store_indexes: [{ index_name: "docs", index_permissions: ["read"] }] } })
    ).body.key;
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await backends?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  });

  it("a span per request, child spans for embedding, vector store and database, traceparent in and out, no secrets", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpanId = randomBytes(8).toString("hex");
    const query = `a private question ${randomBytes(4).toString("hex")}`;
    const answer = await proxy.call("/v1/vector_stores/docs/search", { body: { query }, key, headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(answer.status).toBe(200);

    const deadline = Date.now() + 10_000;
    const serverSpan = () => spans.find((span) => span.traceId === traceId && span.kind === 2);
    while ((!serverSpan() || spans.filter((span) => span.traceId === traceId).length < 4) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const root = serverSpan();
    expect(root).toBeDefined();
    expect(root!.name).toBe("POST /v1/vector_stores/:id/search");
    expect(root!.parentSpanId).toBe(callerSpanId);
    expect(attributes(root!)).toMatchObject({
      "http.route": "/v1/vector_stores/:id/search",
      "http.response.status_code": 200,
      "vs.vector_store": "docs",
      "vs.key_alias": "tracer",
      "vs.result_count": 3,
      "vs.embedding.tokens": 5,
    });

    const children = spans.filter((span) => span.traceId === traceId && span.parentSpanId === root!.spanId);
    expect(children.map((span) => span.name).sort()).toEqual(["db key lookup", "embedding", "vector_store search"]);
    const embedding = children.find((span) => span.name === "embedding")!;
    const vectorStore = children.find((span) => span.name === "vector_store search")!;
    expect(attributes(vectorStore)).toMatchObject({ "vs.vector_store": "docs", "db.system.name": "milvus" });

    // Each upstream was called inside its span, and told so.
    expect(backends.embeddingHeaders.at(-1)?.["traceparent"]).toBe(`00-${traceId}-${embedding.spanId}-01`);
    const milvusSearch = backends.milvus.requestsTo("entities/search").at(-1);
    expect(milvusSearch?.headers["traceparent"]).toBe(`00-${traceId}-${vectorStore.spanId}-01`);

    const exported = bodies.join("\n");
    for (const secret of [key, MASTER_KEY, "embedding-secret-credential", query]) expect(exported).not.toContain(secret);
    expect(exported).toContain("vs-under-test");
  });
});

describe("tracingConfigured", () => {
  it("is on only when the OTEL_* variables ask for traces", async () => {
    const { tracingConfigured } = await import("./observability/tracing.js");
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
    expect(tracingConfigured({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(true);
    expect(tracingConfigured({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(false);
    expect(tracingConfigured({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(false);
  });
});
