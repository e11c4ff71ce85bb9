import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY } from "./test-support/harness.js";
import { describeWithService } from "@vs/test-support/vitest";

// Ingestion survives what happens to real deployments: a proxy killed (SIGKILL) in the middle of a file finishes it
// after it restarts, and two proxy processes on one PostgreSQL ingest each file exactly once. Real processes (the
// built CLI), real Milvus Lite, real databases; the embedding server is slow on purpose and counts what it embeds.

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../dist/cli.js");
const DIMENSIONS = 16;

/** A deterministic unit vector per text, so searches are reproducible. */
function vectorFor(text: string): number[] {
  const digest = createHash("sha256").update(text).digest();
  const vector = Array.from({ length: DIMENSIONS }, (_, index) => digest[index]! / 255 - 0.5);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

interface SlowEmbeddingServer {
  apiBase: string;
  /** Every text embedded, in order, across processes. */
  inputs: string[];
  calls: number;
  delayMs: number;
  close(): Promise<void>;
}

async function startSlowEmbeddingServer(delayMs: number): Promise<SlowEmbeddingServer> {
  const state = { inputs: [] as string[], calls: 0, delayMs };
  const server: Server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => (text += chunk));
    request.on("end", async () => {
      const input = (JSON.parse(text) as { input: string[] }).input;
      state.calls++;
      await sleep(state.delayMs);
      state.inputs.push(...input);
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          object: "list",
          model: "slow",
          data: input.map((item, index) => ({ object: "embedding", index, embedding: vectorFor(item) })),
          usage: { prompt_tokens: input.length, total_tokens: input.length },
        }),
      );
    });
    request.on("error", () => undefined);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return Object.assign(state, {
    apiBase: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  });
}

function config(milvus: string, embeddings: string, databaseUrl?: string): string {
  return `
vector_store_registry:
  - vector_store_name: template
    vector_store_template: true
    litellm_params:
      vector_store_id: template_unused
      custom_llm_provider: milvus
      api_base: grpc://${milvus}
      litellm_embedding_model: openai/slow
      litellm_embedding_config:
        api_base: ${embeddings}
        api_key: test-key
general_settings:
  master_key: ${MASTER_KEY}
  log_level: warn
${databaseUrl ? `  database_url: ${databaseUrl}\n` : ""}  ingestion:
    heartbeat_seconds: 10
    poll_interval_seconds: 0.5
    supervise_interval_seconds: 1
`;
}

interface ProxyChild {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function startProxyProcess(configPath: string, dataDir: string): Promise<ProxyChild> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "--config", configPath, "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, "--workers", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output = (output + chunk).slice(-8000)));
  child.stderr!.on("data", (chunk) => (output = (output + chunk).slice(-8000)));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`proxy exited during start:\n${output}`);
    const ready = await fetch(`${url}/health/liveliness`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`proxy did not start:\n${output}`);
    await sleep(200);
  }
  return {
    url,
    child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

async function call(url: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function upload(url: string, name: string, text: string): Promise<string> {
  const form = new FormData();
  form.set("purpose", "assistants");
  form.set("file", new Blob([text]), name);
  const response = await fetch(`${url}/v1/files`, { method: "POST", headers: { authorization: `Bearer ${MASTER_KEY}` }, body: form });
  const body = (await response.json()) as { id: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.id;
}

async function waitForFile(url: string, store: string, file: string, timeoutMs: number): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call(url, `/v1/vector_stores/${store}/files/${file}`);
    if (answer.body.status !== "in_progress" || Date.now() > deadline) return answer.body;
    await sleep(250);
  }
}

/** Distinct sentences, so every chunk has its own text (and its own vector). */
function longText(tag: string, sentences: number): string {
  return Array.from({ length: sentences }, (_, index) => `In ${tag}, observation number ${index} recorded a distinct measurement of ${index * 7} units.`).join(
    " ",
  );
}

const STATIC_100 = { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };

describeWithService("milvusLite", "ingestion durability", (milvus) => {
  const directories: string[] = [];
  const children: ProxyChild[] = [];
  let embeddings: SlowEmbeddingServer;

  beforeAll(async () => {
    embeddings = await startSlowEmbeddingServer(0);
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.stop("SIGKILL")));
  });
  afterAll(async () => {
    await embeddings?.close();
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  async function workspace(databaseUrl?: string): Promise<{ configPath: string; dataDir: string }> {
    const directory = await mkdtemp(join(tmpdir(), "vs-durability-"));
    directories.push(directory);
    const configPath = join(directory, "config.yaml");
    await writeFile(configPath, config(milvus, embeddings.apiBase, databaseUrl));
    return { configPath, dataDir: join(directory, "data") };
  }

  it("a proxy killed in the middle of a file finishes it after it restarts, with every chunk written once", async () => {
    const { configPath, dataDir } = await workspace();
    embeddings.delayMs = 0;
    const first = await startProxyProcess(configPath, dataDir);
    children.push(first);
    const store = (await call(first.url, "/v1/vector_stores", { name: "durable" })).body.id as string;
    const text = longText("the durable file", 1500);
    const file = await upload(first.url, "long.txt", text);

    embeddings.delayMs = 1500;
    const callsBefore = embeddings.calls;
    const attached = await call(first.url, `/v1/vector_stores/${store}/files`, { file_id: file, chunking_strategy: STATIC_100 });
    expect(attached.body.status).toBe("in_progress");
    // Killed once the file is being embedded: parsed, chunked, with writes under way.
    while (embeddings.calls === callsBefore) await sleep(50);
    await sleep(200);
    await first.stop("SIGKILL");

    embeddings.delayMs = 10;
    const second = await startProxyProcess(configPath, dataDir);
    children.push(second);
    expect(await waitForFile(second.url, store, file, 90_000)).toMatchObject({ status: "completed", last_error: null });

    const retrieved = await call(second.url, `/v1/vector_stores/${store}`);
    expect(retrieved.body.file_counts).toMatchObject({ completed: 1, in_progress: 0, failed: 0 });
    // Each of its chunks is found once: no duplicates from the killed attempt, none missing.
    const content = await call(second.url, `/v1/vector_stores/${store}/files/${file}/content`);
    const chunks = content.body.data.map((part: { text: string }) => part.text) as string[];
    expect(chunks.length).toBeGreaterThan(64);
    for (const chunk of [chunks[0]!, chunks[Math.floor(chunks.length / 2)]!, chunks.at(-1)!]) {
      const hits = (await call(second.url, `/v1/vector_stores/${store}/search`, { query: chunk, max_num_results: 5 })).body.data as Array<{
        content: Array<{ text: string }>;
        file_id: string;
      }>;
      expect(hits[0]).toMatchObject({ file_id: file, content: [{ text: chunk }] });
      expect(hits.filter((hit) => hit.content[0]!.text === chunk)).toHaveLength(1);
    }
  }, 240_000);

  const postgres = process.env["VS_TEST_DATABASE_URL"];
  if (!postgres && process.env["CI"] === "true") throw new Error("VS_TEST_DATABASE_URL is not set in CI");
  (postgres ? describe : describe.skip)("two processes on one PostgreSQL", () => {
    it("ingest each file exactly once", async () => {
      const url = new URL(postgres!);
      url.searchParams.set("schema", `vs_durability_${randomBytes(4).toString("hex")}`);
      const { configPath, dataDir } = await workspace(url.toString());
      embeddings.delayMs = 0;
      const [one, two] = await Promise.all([startProxyProcess(configPath, `${dataDir}-1`), startProxyProcess(configPath, `${dataDir}-2`)]);
      children.push(one!, two!);
      const store = (await call(one!.url, "/v1/vector_stores", { name: "shared" })).body.id as string;
      const texts = Array.from({ length: 8 }, (_, index) => longText(`shared file ${index}`, 40));
      const files = [];
      for (const [index, text] of texts.entries()) files.push(await upload(index % 2 === 0 ? one!.url : two!.url, `f${index}.txt`, text));
      embeddings.delayMs = 300;
      const inputsBefore = embeddings.inputs.length;
      const batch = await call(two!.url, `/v1/vector_stores/${store}/file_batches`, { file_ids: files, chunking_strategy: STATIC_100 });
      expect(batch.status).toBe(200);
      for (const file of files) expect(await waitForFile(one!.url, store, file, 120_000)).toMatchObject({ status: "completed" });
      // Every chunk of every file was embedded exactly once across both processes.
      const embedded = embeddings.inputs.slice(inputsBefore);
      const counts = new Map<string, number>();
      for (const text of embedded) counts.set(text, (counts.get(text) ?? 0) + 1);
      expect(
        [...counts.values()].every((count) => count === 1),
        "a chunk was embedded twice",
      ).toBe(true);
      for (const [index, file] of files.entries()) {
        const content = await call(two!.url, `/v1/vector_stores/${store}/files/${file}/content`);
        for (const part of content.body.data as Array<{ text: string }>) expect(counts.get(part.text), `f${index}.txt`).toBe(1);
      }
    }, 240_000);
  });
});
