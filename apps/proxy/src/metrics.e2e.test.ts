import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";
import { INPUT_COST_PER_TOKEN, startSearchBackends, type SearchBackends } from "./test-support/search-backends.js";

// Known traffic, then a scrape parsed by a Prometheus text-format parser: every count and bucket is predictable.

const EMBEDDING_DELAY_MS = 600;

function family(families: ParsedFamily[], name: string): ParsedFamily {
  const found = families.find((entry) => entry.name === name);
  if (!found) throw new Error(`no metric family ${name}; have: ${families.map((entry) => entry.name).join(", ")}`);
  return found;
}

/**
 * One histogram series. The parser folds every series of a histogram family into one (it keys buckets by `le` only,
 * and keeps `_count`/`_sum` only when unlabelled), so the family's lines are narrowed to the series and its labels
 * other than `le` dropped first; the parsing stays the parser's.
 */
function histogram(text: string, name: string, labels: Record<string, string>) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const lines = text
    .split("\n")
    .filter((line) => line === `# TYPE ${name} histogram` || (line.startsWith(`${name}_`) && wanted.every((pair) => line.includes(pair))))
    .map((line) =>
      line.replace(/\{([^}]*)\}/, (_, inside: string) => {
        const le = /le="[^"]*"/.exec(inside);
        return le ? `{${le[0]}}` : "";
      }),
    );
  const parsed = parsePrometheusTextFormat(lines.join("\n") + "\n");
  expect(parsed).toHaveLength(1);
  expect(parsed[0]!.type).toBe("HISTOGRAM");
  return parsed[0]!.metrics[0]!;
}

function sample(families: ParsedFamily[], name: string, labels: Record<string, string>) {
  return family(families, name).metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
}

describe("GET /metrics", () => {
  let backends: SearchBackends;
  let proxy: TestProxy;
  let alphaKey: string;

  beforeAll(async () => {
    backends = await startSearchBackends({ embeddingDelayMs: EMBEDDING_DELAY_MS, tokensPerCall: 5 });
    proxy = await startTestProxy(backends.yaml());
    const generated = await proxy.call("/key/generate", {
      body: { key_alias: "alpha", allowed_vector_store_indexes: [{ index_name: "docs", index_permissions: ["read"] }] },
    });
    alphaKey = generated.body.key;
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await backends?.close();
  });

  it("needs the master key by default", async () => {
    expect((await proxy.call("/metrics", { key: null })).status).toBe(401);
    expect((await proxy.call("/metrics", { key: alphaKey })).status).toBe(403);
  });

  it("counts requests, phases, tokens, cost, cache and upstream errors exactly", async () => {
    const search = (query: string, key: string | null = alphaKey) => proxy.call("/v1/vector_stores/docs/search", { body: { query }, key });
    expect((await search("first question")).status).toBe(200); // embedding: miss
    expect((await search("first question")).status).toBe(200); // embedding: cache hit
    expect((await search("second question")).status).toBe(200); // miss
    backends.milvus.failNext({ code: 1100, message: "collection not loaded", endpoint: "entities/search" });
    expect((await search("first question")).status).toBeGreaterThanOrEqual(400); // hit, then the vector store fails
    expect((await search("x", null)).status).toBe(401);
    expect((await proxy.call("/v1/vector_stores/missing/search", { body: { query: "q" } })).status).toBe(404);
    expect((await proxy.call("/no/such/route?token=sk-secret-in-url")).status).toBe(404);

    const scrape = await fetch(`${proxy.url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get("content-type")).toContain("text/plain");
    const text = await scrape.text();
    const families = parsePrometheusTextFormat(text);

    const searchRoute = "/v1/vector_stores/:id/search";
    const requests = family(families, "vs_http_requests_total");
    expect(requests.type).toBe("COUNTER");
    expect(sample(families, "vs_http_requests_total", { route: searchRoute, status: "200", vector_store: "docs", key_alias: "alpha" })?.value).toBe("3");
    const failed = requests.metrics.filter((metric) => metric.labels?.["key_alias"] === "alpha" && metric.labels?.["status"] !== "200");
    expect(failed).toHaveLength(1);
    expect(sample(families, "vs_http_requests_total", { route: searchRoute, status: "401", key_alias: "none", vector_store: "none" })?.value).toBe("1");
    expect(sample(families, "vs_http_requests_total", { route: searchRoute, status: "404", key_alias: "master" })?.value).toBe("1");
    expect(sample(families, "vs_http_requests_total", { route: "unmatched", status: "404" })?.value).toBe("1");
    // No label value carries a URL, a query or a key.
    for (const metric of requests.metrics) for (const value of Object.values(metric.labels ?? {})) expect(value).not.toMatch(/sk-|\?|question/);
    expect(text).not.toContain("first question");
    expect(text).not.toContain(alphaKey);

    // Embedding time: two misses took at least the embedding server's delay (> 0.5 s), the hit did not. Only the bounds
    // that load cannot move are asserted: a busy machine may slow anything down, never speed a miss up.
    const embedding = histogram(text, "vs_embedding_duration_seconds", { vector_store: "docs" });
    expect(Number(embedding.buckets?.["0.5"])).toBeLessThanOrEqual(1);
    expect(embedding.buckets?.["+Inf"]).toBe("3");
    expect(embedding.count).toBe("3");
    expect(Number(embedding.sum)).toBeGreaterThanOrEqual((2 * EMBEDDING_DELAY_MS) / 1000);
    expect(histogram(text, "vs_vector_store_duration_seconds", { vector_store: "docs" }).count).toBe("3");
    const gateway = histogram(text, "vs_gateway_duration_seconds", { route: searchRoute });
    expect(gateway.count).toBe("3");
    const total = histogram(text, "vs_http_request_duration_seconds", { route: searchRoute, method: "POST" });
    expect(total.count).toBe("6");
    expect(Number(total.buckets?.["0.5"])).toBeLessThanOrEqual(4); // the two misses are never under 0.5 s
    expect(total.buckets?.["+Inf"]).toBe("6");
    // The gateway's own share never includes the embedding delay: its sum stays under the misses' embedding time.
    expect(Number(gateway.sum)).toBeLessThan(Number(embedding.sum));

    expect(sample(families, "vs_embedding_tokens_total", { vector_store: "docs", key_alias: "alpha" })?.value).toBe("10");
    expect(Number(sample(families, "vs_embedding_cost_usd_total", { vector_store: "docs", key_alias: "alpha" })?.value)).toBeCloseTo(
      10 * INPUT_COST_PER_TOKEN,
      12,
    );
    expect(sample(families, "vs_embedding_cache_hits_total", {})?.value).toBe("2");
    expect(sample(families, "vs_embedding_cache_misses_total", {})?.value).toBe("2");
    expect(sample(families, "vs_upstream_errors_total", { upstream: "vector_store", code: "1100" })?.value).toBe("1");
    expect(family(families, "process_cpu_seconds_total").type).toBe("COUNTER");
    expect(family(families, "nodejs_eventloop_lag_seconds").type).toBe("GAUGE");
    for (const entry of families.filter((candidate) => candidate.name.startsWith("vs_") && candidate.type === "COUNTER")) expect(entry.name).toMatch(/_total$/);
  });
});

describe("GET /metrics on a port of its own", () => {
  let backends: SearchBackends;
  let proxy: TestProxy;

  beforeAll(async () => {
    backends = await startSearchBackends();
    proxy = await startTestProxy(backends.yaml("  metrics: { port: 0, host: 127.0.0.1 }"));
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await backends?.close();
  });

  it("is open there and absent from the gateway's port", async () => {
    expect((await proxy.call("/v1/vector_stores/docs/search", { body: { query: "q" } })).status).toBe(200);
    const scrape = await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    const families = parsePrometheusTextFormat(await scrape.text());
    expect(sample(families, "vs_http_requests_total", { status: "200", key_alias: "master" })?.value).toBe("1");
    expect((await proxy.call("/metrics")).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${proxy.metricsPort}/other`)).status).toBe(404);
  });
});
