import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAuthStore, type OpenAuthStoreOptions } from "@vs/auth";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { FakeEmbeddingServer } from "@vs/test-support";
import { MASTER_KEY } from "./test-support/harness.js";

// SIGTERM under load, on the real CLI: 64 keep-alive connections each with a search in flight against a slow
// Milvus, plus idle keep-alive connections. Every request in flight must get its 200, the process must exit within
// the grace period although the clients keep their connections, and every request must have its spend row.

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const DIM = 4;
const IN_FLIGHT = 64;
const GRACE_SECONDS = 10;
// Long enough that SIGTERM reaches every worker while the searches still wait on Milvus, even on a loaded machine.
const UPSTREAM_LATENCY_MS = 3_000;

let embeddingServer: FakeEmbeddingServer;
let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
const temporary: string[] = [];

beforeAll(async () => {
  embeddingServer = await new FakeEmbeddingServer(4, () => [1, 0, 0, 0]).start();
  milvus = await startMilvusRestServer({ recordRequests: true });
  const post = (endpoint: string, body: unknown) =>
    fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("collections/create", {
    collectionName: "docs",
    schema: {
      fields: [
        { fieldName: "id", dataType: "Int64", isPrimary: true },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
      ],
    },
    indexParams: [{ fieldName: "vector", metricType: "L2" }],
  });
  await post("entities/insert", { collectionName: "docs", data: [{ id: 1, text: "one", vector: [1, 0, 0, 0] }] });
}, 30_000);

afterAll(async () => {
  await milvus?.close();
  await embeddingServer?.close();
  for (const directory of temporary) await rm(directory, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output: () => string;
}

async function startCli(config: { databaseUrl?: string; args?: string[] }): Promise<Started & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), "vs-shutdown-test-"));
  temporary.push(dataDir);
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
  graceful_shutdown_timeout_seconds: ${GRACE_SECONDS}
${config.databaseUrl ? `  database_url: "${config.databaseUrl}"\n` : ""}`,
  );
  const child = spawn(process.execPath, [CLI, "--config", configPath, "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, ...(config.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /vs-proxy listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the CLI did not start:\n${output}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return { child, url, exited, output: () => output, dataDir };
}

interface Answer {
  status: number;
  connection: string | undefined;
  requestId: string;
}

async function search(pool: Pool, requestId: string): Promise<Answer> {
  const response = await pool.request({
    path: "/v1/vector_stores/docs/search",
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify({ query: "q" }),
  });
  await response.body.text();
  return { status: response.statusCode, connection: response.headers["connection"] as string | undefined, requestId };
}

/**
 * Loads the proxy, sends SIGTERM to `signalled` while every search waits on Milvus, and returns what the clients got
 * and how long the exit took.
 */
async function terminateUnderLoad(started: Started, marker: string, options: { workers?: number } = {}) {
  const busy = new Pool(started.url, { connections: IN_FLIGHT, pipelining: 1 });
  const idle = new Pool(started.url, { connections: 8, pipelining: 1 });
  try {
    milvus.latencyMs = 0;
    // Warm every worker's caches (collection description) and leave idle keep-alive connections behind.
    for (let round = 0; round < 2 * (options.workers ?? 1); round++) expect((await search(busy, `${marker}-warm-${round}`)).status).toBe(200);
    await Promise.all(Array.from({ length: 8 }, () => idle.request({ path: "/health/liveliness", method: "GET" }).then((response) => response.body.text())));

    milvus.latencyMs = UPSTREAM_LATENCY_MS;
    const searchesBefore = milvus.requestsTo("entities/search").length;
    const answers = Array.from({ length: IN_FLIGHT }, (_, position) =>
      search(busy, `${marker}-${position}`).catch((error: Error) => ({ status: 0, connection: error.message, requestId: `${marker}-${position}` })),
    );
    // Every one of them has reached Milvus: all are in flight at the gateway.
    while (milvus.requestsTo("entities/search").length < searchesBefore + IN_FLIGHT) await new Promise((done) => setTimeout(done, 10));
    const signalledAt = performance.now();
    started.child.kill("SIGTERM");
    const results = await Promise.all(answers);
    const exit = await started.exited;
    return { results, exit, exitMs: exit.at - signalledAt };
  } finally {
    milvus.latencyMs = 0;
    await busy.destroy();
    await idle.destroy();
  }
}

async function spendRequestIds(options: OpenAuthStoreOptions, marker: string): Promise<string[]> {
  const store = await openAuthStore(options);
  try {
    return (await store.spend.list({ limit: 1000 })).map((row) => row.request_id).filter((id) => id.startsWith(marker));
  } finally {
    await store.close();
  }
}

function expectAllAnswered(results: Answer[]): void {
  const failed = results.filter((result) => result.status !== 200);
  expect(failed).toEqual([]);
  // Each was told its connection ends, so no client sends another request into a closing socket.
  expect(results.map((result) => result.connection)).toEqual(results.map(() => "close"));
}

describe("SIGTERM", () => {
  it("answers every request in flight, exits within the grace period and writes every spend row", async () => {
    const started = await startCli({});
    const marker = `drain-${randomBytes(4).toString("hex")}`;
    const { results, exit, exitMs } = await terminateUnderLoad(started, marker);
    expectAllAnswered(results);
    expect(exit, started.output()).toMatchObject({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(GRACE_SECONDS * 1000);
    expect(exitMs).toBeGreaterThan(UPSTREAM_LATENCY_MS / 2); // it did wait for the answers
    const ids = await spendRequestIds({ dataDir: started.dataDir }, marker);
    expect(ids.filter((id) => !id.includes("-warm-")).sort()).toEqual(results.map((result) => result.requestId).sort());
  }, 90_000);

  it("cuts what is still unanswered at the end of the grace period, and exits in time", async () => {
    const started = await startCli({ args: ["--graceful-shutdown-timeout", "1"] });
    const busy = new Pool(started.url, { connections: 4 });
    try {
      expect((await search(busy, "cut-warm")).status).toBe(200);
      milvus.latencyMs = 20_000;
      const searchesBefore = milvus.requestsTo("entities/search").length;
      const answers = Array.from({ length: 4 }, (_, position) =>
        search(busy, `cut-${position}`).then(
          (answer) => answer.status,
          () => "cut",
        ),
      );
      while (milvus.requestsTo("entities/search").length < searchesBefore + 4) await new Promise((done) => setTimeout(done, 10));
      const signalledAt = performance.now();
      started.child.kill("SIGTERM");
      const exit = await started.exited;
      expect(exit.code, started.output()).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(1_000 + 3_000); // the grace period, plus slack for a busy machine
      expect(await Promise.all(answers)).toEqual(["cut", "cut", "cut", "cut"]);
    } finally {
      milvus.latencyMs = 0;
      await busy.destroy();
    }
  }, 60_000);
});

const databaseUrl = process.env["VS_TEST_DATABASE_URL"];
if (!databaseUrl && process.env["CI"] === "true") throw new Error("VS_TEST_DATABASE_URL is not set in CI: scripts/test.mjs must start PostgreSQL");

(databaseUrl ? describe : describe.skip)(
  `SIGTERM with --workers 2${databaseUrl ? "" : " (skipped: VS_TEST_DATABASE_URL not set — `pnpm test` starts PostgreSQL when it is installed)"}`,
  () => {
    it("forwards SIGTERM to every worker, each drains its connections, and the spend rows of all are written", async () => {
      // A schema of its own in the runner's throwaway cluster.
      const url = new URL(databaseUrl!);
      url.searchParams.set("schema", `vs_shutdown_test_${randomBytes(5).toString("hex")}`);
      const started = await startCli({ databaseUrl: url.toString(), args: ["--workers", "2"] });
      const marker = `cluster-${randomBytes(4).toString("hex")}`;
      const { results, exit, exitMs } = await terminateUnderLoad(started, marker, { workers: 2 });
      expectAllAnswered(results);
      expect(exit, started.output()).toMatchObject({ code: 0, signal: null });
      expect(exitMs).toBeLessThan(GRACE_SECONDS * 1000);
      const ids = await spendRequestIds({ databaseUrl: url.toString() }, marker);
      expect(ids.filter((id) => !id.includes("-warm-")).sort()).toEqual(results.map((result) => result.requestId).sort());
    }, 120_000);
  },
);
