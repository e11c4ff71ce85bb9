import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { FakeEmbeddingServer } from "@vs/test-support";
import { MASTER_KEY } from "./test-support/harness.js";

// The real CLI with --workers 2: requests over many connections land on both workers (the cluster's primary hands
// connections round-robin), and every scrape — whichever worker or port it reaches — must count all of them.

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const REQUESTS = 120;
const CONNECTIONS = 24;
const SCRAPES = 6;

const databaseUrl = process.env["VS_TEST_DATABASE_URL"];
if (!databaseUrl && process.env["CI"] === "true") throw new Error("VS_TEST_DATABASE_URL is not set in CI: scripts/test.mjs must start PostgreSQL");

let embeddingServer: FakeEmbeddingServer;
let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
const temporary: string[] = [];
let running: ChildProcess | undefined;

beforeAll(async () => {
  if (!databaseUrl) return;
  embeddingServer = await new FakeEmbeddingServer(4, () => [1, 0, 0, 0]).start();
  milvus = await startMilvusRestServer();
  const post = (endpoint: string, body: unknown) =>
    fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("collections/create", {
    collectionName: "docs",
    schema: {
      fields: [
        { fieldName: "id", dataType: "Int64", isPrimary: true },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: 4 } },
      ],
    },
    indexParams: [{ fieldName: "vector", metricType: "L2" }],
  });
  await post("entities/insert", { collectionName: "docs", data: [{ id: 1, text: "one", vector: [1, 0, 0, 0] }] });
}, 30_000);

afterEach(async () => {
  if (running && running.exitCode === null && running.signalCode === null) {
    const exited = once(running, "exit");
    running.kill("SIGTERM");
    await exited;
  }
  running = undefined;
});

afterAll(async () => {
  await milvus?.close();
  await embeddingServer?.close();
  for (const directory of temporary) await rm(directory, { recursive: true, force: true });
});

async function startCluster(metricsSettings: string): Promise<{ url: string; metricsUrl: string | undefined; output: () => string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "vs-metrics-cluster-test-"));
  temporary.push(dataDir);
  const database = new URL(databaseUrl!);
  database.searchParams.set("schema", `vs_metrics_cluster_test_${randomBytes(5).toString("hex")}`);
  const configPath = join(dataDir, "config.yaml");
  await writeFile(
    configPath,
    `
vector_store_registry:
  - vector_store_name: docs
    litellm_params: { vector_store_id: docs, api_base: "${milvus.url}", milvus_text_field: text, litellm_embedding_model: openai/fixed, litellm_embedding_config: { api_base: "${embeddingServer.apiBase}", api_key: k } }
general_settings:
  master_key: ${MASTER_KEY}
  log_level: warn
  database_url: "${database.toString()}"
  metrics: ${metricsSettings}
`,
  );
  const child = spawn(process.execPath, [CLI, "--config", configPath, "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--workers", "2"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running = child;
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /vs-proxy listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the CLI did not start:\n${output}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return { url, metricsUrl: /metrics \(all workers, no authentication\) on (http:\/\/\S+)/.exec(output)?.[1], output: () => output };
}

/** `REQUESTS` searches over `CONNECTIONS` keep-alive connections, which the primary spreads over both workers. */
async function load(url: string): Promise<void> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  try {
    const statuses = await Promise.all(
      Array.from({ length: REQUESTS }, async () => {
        const response = await pool.request({
          path: "/v1/vector_stores/docs/search",
          method: "POST",
          headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ query: "q" }),
        });
        await response.body.text();
        return response.statusCode;
      }),
    );
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
  } finally {
    await pool.destroy();
  }
}

/** Sum of every series of a counter (or of a histogram's `_count`) in a Prometheus text scrape. */
function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) sum += Number(match[1]);
  }
  return sum;
}

/** A scrape on a fresh connection each time, so the scrapes on the gateway's port reach both workers. */
async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await request(url, { headers: { ...headers, connection: "close" } });
  const body = await response.body.text();
  expect(response.statusCode, body).toBe(200);
  expect(response.headers["content-type"]).toMatch(/^text\/plain/);
  return body;
}

async function expectEveryScrapeCountsAll(scrapeOnce: () => Promise<string>): Promise<void> {
  for (let round = 0; round < SCRAPES; round++) {
    const text = await scrapeOnce();
    expect(total(text, "vs_http_requests_total"), `scrape ${round}`).toBe(REQUESTS);
    expect(total(text, "vs_http_request_duration_seconds_count"), `scrape ${round}`).toBe(REQUESTS);
    // Process metrics are merged by prom-client's aggregators: one version line, no start time.
    expect(text.match(/^nodejs_version_info\{/gm)).toHaveLength(1);
    expect(text).not.toMatch(/^process_start_time_seconds /m);
  }
}

(databaseUrl ? describe : describe.skip)(
  `/metrics with --workers 2${databaseUrl ? "" : " (skipped: VS_TEST_DATABASE_URL not set — `pnpm test` starts PostgreSQL when it is installed)"}`,
  () => {
    it("on the gateway's port: every scrape, whichever worker answers it, sums the requests of both", async () => {
      const { url, output } = await startCluster("{ enabled: true }");
      await load(url);
      await expectEveryScrapeCountsAll(() => scrape(`${url}/metrics`, { authorization: `Bearer ${MASTER_KEY}` }));
      // Still the master key's: the aggregation does not open the route.
      const refused = await request(`${url}/metrics`, { headers: { connection: "close" } });
      await refused.body.text();
      expect(refused.statusCode, output()).toBe(401);
    }, 90_000);

    it("on general_settings.metrics.port: served by the primary, without a key, summing both workers", async () => {
      const { url, metricsUrl, output } = await startCluster("{ port: 0, host: 127.0.0.1 }");
      expect(metricsUrl, output()).toBeDefined();
      await load(url);
      await expectEveryScrapeCountsAll(() => scrape(metricsUrl!));
      // Not on the gateway's port when it has a port of its own.
      const moved = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${MASTER_KEY}`, connection: "close" } });
      await moved.body.text();
      expect(moved.statusCode).toBe(404);
    }, 90_000);
  },
);
