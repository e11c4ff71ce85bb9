import { openSync, closeSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { stringify } from "yaml";
import {
  BENCH_COLLECTION,
  BENCH_EMBEDDING_API_KEY,
  BENCH_EMBEDDING_MODEL,
  BENCH_INDEX,
  BENCH_MASTER_KEY,
  BENCH_METRIC,
  BENCH_MILVUS_TOKEN,
  BENCH_OUTPUT_FIELDS,
  BENCH_STORE,
  BENCH_TEXT_FIELD,
  BENCH_VIRTUAL_KEY,
} from "./bench-data.js";
import { freePort, type ManagedChild, type ProcessRegistry } from "./processes.js";

/** The proxy's `dist/cli.js`, beside its `dist/index.js` (the package's entry). */
export const CLI_PATH = resolve(dirname(fileURLToPath(import.meta.resolve("@vs/proxy"))), "cli.js");

let cliPath = CLI_PATH;

/** Runs every proxy from another build (a scratch copy with a change to measure); default `dist/cli.js`. */
export function useCli(path: string): void {
  cliPath = resolve(path);
}

export function currentCli(): string {
  return cliPath;
}

export type LogLevel = "warn" | "info";

export interface ProxyProcess {
  name: string;
  url: string;
  /** The process started (the cluster primary when `workers` > 1). */
  child: ManagedChild;
  /** Where the proxy's stdout (its pino request log) goes. */
  logFile: string;
  logBytes(): number;
  stop(options?: { signal?: NodeJS.Signals }): Promise<void>;
}

/** A config whose one store searches the fake Milvus with the fake `openai/bench` embedding model. */
export function benchProxyConfig(options: {
  milvusUrl: string;
  embeddingsUrl: string;
  logLevel: LogLevel;
  embeddingCache: boolean;
  databaseUrl?: string;
  metrics?: boolean;
}): Record<string, unknown> {
  return {
    vector_store_registry: [
      {
        vector_store_name: BENCH_STORE,
        litellm_params: {
          vector_store_id: BENCH_COLLECTION,
          custom_llm_provider: "milvus",
          api_base: options.milvusUrl,
          api_key: BENCH_MILVUS_TOKEN,
          litellm_embedding_model: `openai/${BENCH_EMBEDDING_MODEL}`,
          litellm_embedding_config: { api_base: options.embeddingsUrl, api_key: BENCH_EMBEDDING_API_KEY },
          milvus_text_field: BENCH_TEXT_FIELD,
          // Both set, so the search never needs collections/describe (the fake Milvus answers search only).
          outputFields: BENCH_OUTPUT_FIELDS,
          searchParams: { metricType: BENCH_METRIC },
        },
      },
    ],
    general_settings: {
      master_key: BENCH_MASTER_KEY,
      log_level: options.logLevel,
      embedding_cache: { enabled: options.embeddingCache },
      metrics: { enabled: options.metrics ?? true },
      ...(options.databaseUrl ? { database_url: options.databaseUrl } : {}),
    },
  };
}

/**
 * `node [nodeFlags] dist/cli.js --config <dir>/config.yaml --port <free> --host 127.0.0.1 --data-dir <dir>/data`,
 * its stdout (the request log) into `<dir>/proxy.log`; resolves once `/health/liveliness` answers.
 */
export async function startProxyProcess(
  processes: ProcessRegistry,
  options: {
    name: string;
    directory: string;
    config: Record<string, unknown>;
    nodeFlags?: string[];
    workers?: number;
    startTimeoutMs?: number;
    cli?: string;
    env?: Record<string, string>;
  },
): Promise<ProxyProcess> {
  const { name, directory } = options;
  await mkdir(directory, { recursive: true });
  const configPath = join(directory, "config.yaml");
  await writeFile(configPath, stringify(options.config));
  const logFile = join(directory, "proxy.log");
  const logDescriptor = openSync(logFile, "a");
  const port = await freePort();
  const env = { ...process.env };
  // The bench decides where state lives: a DATABASE_URL or master key from the caller's shell must not leak in.
  delete env["DATABASE_URL"];
  delete env["VS_MASTER_KEY"];
  // Tracing is on only where a proxy is given OTEL_* variables (the bench compares it on and off).
  for (const name of Object.keys(env)) if (name.startsWith("OTEL_")) delete env[name];
  Object.assign(env, options.env);
  const args = [
    ...(options.nodeFlags ?? []),
    options.cli ?? cliPath,
    "--config",
    configPath,
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    "--data-dir",
    join(directory, "data"),
  ];
  if (options.workers !== undefined) args.push("--workers", String(options.workers));
  const child = processes.spawn(name, process.execPath, args, { env, stdout: logDescriptor });
  closeSync(logDescriptor);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  for (;;) {
    if (!child.running()) throw new Error(`${name} exited before it was ready:\n${child.stderrTail()}`);
    if (await answers(`${url}/health/liveliness`)) break;
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error(`${name} did not answer on ${url} within ${options.startTimeoutMs ?? 90_000} ms:\n${child.stderrTail()}`);
    }
    await sleep(100);
  }
  return {
    name,
    url,
    child,
    logFile,
    logBytes: () => {
      try {
        return statSync(logFile).size;
      } catch {
        return 0;
      }
    },
    stop: (stopOptions) => child.stop(stopOptions),
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await request(url, { method: "GET", headersTimeout: 1000, bodyTimeout: 1000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

async function adminCall(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await request(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_MASTER_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: response.statusCode, text: await response.body.text() };
}

/**
 * The admin's set-up, over HTTP as an admin would: the virtual index for the passthrough (`POST /v1/indexes`) and a
 * virtual key that may read the store and the index (`POST /key/generate`), which every benchmarked call uses.
 */
export async function setUpProxy(proxy: Pick<ProxyProcess, "url" | "name">): Promise<void> {
  const index = await adminCall(proxy.url, "/v1/indexes", {
    index_name: BENCH_INDEX,
    litellm_params: { vector_store_index: BENCH_COLLECTION, vector_store_name: BENCH_STORE },
  });
  if (index.status !== 201 && !index.text.includes("index_exists"))
    throw new Error(`${proxy.name}: POST /v1/indexes answered ${index.status}: ${index.text.slice(0, 300)}`);
  const key = await adminCall(proxy.url, "/key/generate", {
    key: BENCH_VIRTUAL_KEY,
    key_alias: "bench",
    allowed_vector_store_indexes: [
      { index_name: BENCH_STORE, index_permissions: ["read"] },
      { index_name: BENCH_INDEX, index_permissions: ["read"] },
    ],
  });
  if (key.status !== 200 && !key.text.includes("key_exists"))
    throw new Error(`${proxy.name}: POST /key/generate answered ${key.status}: ${key.text.slice(0, 300)}`);
}
