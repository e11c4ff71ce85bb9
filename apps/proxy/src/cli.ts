#!/usr/bin/env node
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { VsError } from "@vs/core";
import { proxyConfigSchema, type ProxyConfig } from "./config/config.js";
import { loadConfigFile } from "./config-file.js";
import { usesEmbeddedMilvus } from "./embedded.js";
import { resolveMasterKey, type MasterKey } from "./master-key.js";
import { answerPrimaryScrapes, primaryClusterMetrics } from "./observability/cluster-metrics.js";
import { serveMetrics } from "./observability/metrics-server.js";
import { startProxy } from "./server.js";

const HELP = `vs-proxy — the vs vector store gateway

Usage: vs-proxy [--config config.yaml] [--port 4000] [--host 0.0.0.0] [--data-dir .vs-data]

Options:
  --config <file>     Config file (YAML): vector_store_registry, model_list, general_settings.
                      Values written as os.environ/NAME are read from the environment at start.
                      Without --config the proxy runs on embedded defaults: Milvus Lite, a local
                      embedding model and a demo collection ("vs-docs").
  --port <number>     Port to listen on (default: $PORT or 4000).
  --host <address>    Address to bind (default: 0.0.0.0, every interface; use 127.0.0.1 for local only).
  --data-dir <dir>    Where the proxy keeps its state: the generated master key's hash, the embedded
                      database and Milvus Lite data (default: $VS_DATA_DIR or ./.vs-data).
  --workers <n>       Processes serving the same port (Node cluster). Default: the number of CPUs when
                      general_settings.database_url (PostgreSQL) is set and Milvus is not embedded, else 1
                      (the embedded database and Milvus Lite belong to one process).
  --graceful-shutdown-timeout <seconds>
                      On SIGTERM or SIGINT, how long requests in flight may take before the process exits
                      anyway (default: general_settings.graceful_shutdown_timeout_seconds, else 10).
                      A second SIGINT exits at once.
  --help              Show this help.

Environment:
  VS_MASTER_KEY       Master key when general_settings.master_key is not set.
  MILVUS_API_BASE, MILVUS_API_KEY   Milvus for stores that do not set api_base/api_key.
  OPENAI_API_KEY, OPENAI_API_BASE, AZURE_API_KEY, AZURE_API_BASE, AZURE_API_VERSION   Embedding credentials.
`;

function fail(message: string): never {
  process.stderr.write(`vs-proxy: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    // `pnpm start -- --port 4000` hands the `--` through; it is not the end of our options.
    const args = process.argv.slice(2);
    if (args[0] === "--") args.shift();
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        host: { type: "string" },
        "data-dir": { type: "string" },
        workers: { type: "string", short: "w" },
        "graceful-shutdown-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
  if (values["help"]) {
    process.stdout.write(HELP);
    return;
  }
  const portText = (values["port"] as string | undefined) ?? process.env["PORT"] ?? "4000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, got "${portText}"`);

  const configPath = values["config"] as string | undefined;
  const host = (values["host"] as string | undefined) ?? "0.0.0.0";
  const dataDirOption = values["data-dir"] as string | undefined;
  const graceText = values["graceful-shutdown-timeout"] as string | undefined;
  const graceSeconds = graceText === undefined ? undefined : Number(graceText);
  if (graceSeconds !== undefined && !(graceSeconds > 0 && graceSeconds <= 3600))
    fail(`--graceful-shutdown-timeout must be a number of seconds above 0 and at most 3600, got "${graceText}"`);
  const shutdownGraceMs = graceSeconds === undefined ? undefined : graceSeconds * 1000;

  if (cluster.isWorker) {
    // From the start: a scrape while this worker starts (or restarts) must not wait on it; it has counted nothing.
    answerPrimaryScrapes();
    const proxy = await startOrFail(() => startProxy({ configPath, port, host, dataDir: dataDirOption, shutdownGraceMs, clusterWorker: true }), port);
    process.send?.({ type: "listening", url: proxy.url });
    process.once("SIGTERM", () => stopGracefully(proxy));
    process.once("SIGINT", () => undefined); // the primary decides; it sends SIGTERM
    return;
  }

  const config = await startOrFail(async () => (configPath ? loadConfigFile(configPath) : proxyConfigSchema.parse({})), port);
  const shareable = Boolean(config.general_settings.database_url ?? process.env["DATABASE_URL"]) && configPath !== undefined && !usesEmbeddedMilvus(config);
  const workersText = values["workers"] as string | undefined;
  const workers = workersText === undefined ? (shareable ? availableParallelism() : 1) : Number(workersText);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail(`--workers must be a number from 1 to 64, got "${workersText}"`);
  if (workers > 1 && !shareable) {
    fail("--workers above 1 needs a shared database and Milvus: set general_settings.database_url (PostgreSQL) and a Milvus api_base that is not 'embedded'.");
  }
  if (workers === 1) {
    const proxy = await startOrFail(() => startProxy({ configPath, port, host, dataDir: dataDirOption, shutdownGraceMs }), port);
    printBanner(proxy.url, proxy.masterKey, proxy.demo);
    const shutdown = (signal: string) => {
      process.stdout.write(`\n${signal}: shutting down (at most ${proxy.shutdownGraceMs / 1000} s)\n`);
      stopGracefully(proxy);
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => {
      shutdown("SIGINT");
      process.once("SIGINT", () => process.exit(130));
    });
    return;
  }
  const graceMs = shutdownGraceMs ?? config.general_settings.graceful_shutdown_timeout_seconds * 1000;
  await runCluster({
    config,
    workers,
    graceMs,
    host,
    dataDir: resolve(dataDirOption ?? config.general_settings.data_dir ?? process.env["VS_DATA_DIR"] ?? ".vs-data"),
  });
}

/**
 * `close()` drains within the grace period; the timer is the backstop should a cleanup hang (a database that does
 * not answer), so a process manager's SIGKILL never has to come.
 */
function stopGracefully(proxy: { shutdownGraceMs: number; close(): Promise<void> }): void {
  setTimeout(() => {
    process.stderr.write(`vs-proxy: still stopping after ${proxy.shutdownGraceMs / 1000} s; exiting\n`);
    process.exit(1);
  }, proxy.shutdownGraceMs).unref();
  proxy.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}

async function startOrFail<T>(start: () => Promise<T>, port: number): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (VsError.isInstance(error)) fail(error.message);
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") fail(`port ${port} is already in use; pick another with --port`);
    throw error;
  }
}

function printBanner(url: string, masterKey: MasterKey, demo?: { store: string; query: string }): void {
  const lines = [`vs-proxy listening on ${url}`];
  if (masterKey.generated) {
    lines.push(`Master key (generated now, shown only once; its hash is kept in ${masterKey.file}):`, `  ${masterKey.generated}`);
  } else {
    lines.push(
      `Master key: from ${masterKey.source === "config" ? "general_settings.master_key" : masterKey.source === "environment" ? "VS_MASTER_KEY" : `${masterKey.file} (generated on the first start and shown then; delete the file to generate a new one)`}`,
    );
  }
  if (demo) {
    const key = masterKey.generated ?? "$VS_MASTER_KEY";
    lines.push(
      "",
      `Demo collection "${demo.store}" is ready (Milvus Lite + the local embedding model). Try:`,
      "",
      `  curl -s ${url}/v1/vector_stores/${demo.store}/search \\`,
      `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
      `    -d '${JSON.stringify({ query: demo.query, max_num_results: 3 })}'`,
    );
    if (!masterKey.generated) lines.push("", "(set VS_MASTER_KEY to the master key printed on the first start)");
  }
  process.stdout.write(lines.join("\n") + "\n");
}

/** The primary: resolves the master key once (so workers never race to generate one), forks, restarts crashed workers. */
async function runCluster(options: { config: ProxyConfig; workers: number; graceMs: number; host: string; dataDir: string }): Promise<void> {
  const masterKey = await resolveMasterKey({ configured: options.config.general_settings.master_key, dataDir: options.dataDir });
  const metricsSettings = options.config.general_settings.metrics;
  // Listening before any worker asks: a scrape on the gateway's port reaches a worker, which asks the primary.
  const metricsText = metricsSettings.enabled ? primaryClusterMetrics() : null;
  let metricsUrl: string | undefined;
  if (metricsText && metricsSettings.port !== undefined) {
    const metricsHost = metricsSettings.host ?? options.host;
    const server = await serveMetrics({ port: metricsSettings.port, host: metricsHost, text: metricsText }).catch((error: NodeJS.ErrnoException) =>
      fail(`general_settings.metrics.port ${metricsSettings.port} on ${metricsHost} could not be opened: ${error.code ?? error.message}`),
    );
    metricsUrl = `http://${metricsHost === "0.0.0.0" || metricsHost === "::" ? "127.0.0.1" : metricsHost}:${server.port}/metrics`;
  }
  let shuttingDown = false;
  let printed = false;
  let listening = 0;
  const fork = () => {
    const worker = cluster.fork();
    worker.on("message", (message: { type?: string; url?: string }) => {
      // Announced once every worker listens: connections accepted before are all handed to the first ones.
      if (message.type === "listening" && ++listening >= options.workers && !printed && message.url) {
        printed = true;
        printBanner(message.url, masterKey);
        process.stdout.write(`${options.workers} workers\n`);
        if (metricsUrl) process.stdout.write(`metrics (all workers, no authentication) on ${metricsUrl}\n`);
      }
    });
  };
  for (let index = 0; index < options.workers; index++) fork();
  let workerFailed = false;
  cluster.on("exit", (worker, code, signal) => {
    if (shuttingDown) {
      workerFailed ||= code !== 0;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(workerFailed ? 1 : 0);
      return;
    }
    process.stderr.write(`vs-proxy: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    setTimeout(fork, 500);
  });
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stdout.write(`\n${signal}: shutting down ${options.workers} workers\n`);
    // Each worker drains its own connections within the grace period and exits; the margin covers its start-up
    // of the shutdown, so this backstop only fires for a worker that hangs.
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    setTimeout(() => process.exit(1), options.graceMs + 1_000).unref();
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`vs-proxy: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
