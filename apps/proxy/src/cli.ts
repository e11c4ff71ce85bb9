#!/usr/bin/env node
import { parseArgs } from "node:util";
import { VsError } from "@vs/core";
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
    ({ values } = parseArgs({
      options: {
        config: { type: "string", short: "c" },
        port: { type: "string", short: "p" },
        host: { type: "string" },
        "data-dir": { type: "string" },
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

  let proxy;
  try {
    proxy = await startProxy({
      configPath: values["config"] as string | undefined,
      port,
      host: (values["host"] as string | undefined) ?? "0.0.0.0",
      dataDir: values["data-dir"] as string | undefined,
    });
  } catch (error) {
    if (VsError.isInstance(error)) fail(error.message);
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") fail(`port ${port} is already in use; pick another with --port`);
    throw error;
  }
  const { url, masterKey } = proxy;
  const lines = [`vs-proxy listening on ${url}`];
  if (masterKey.generated) {
    lines.push(`Master key (generated now, shown only once; its hash is kept in ${masterKey.file}):`, `  ${masterKey.generated}`);
  } else {
    lines.push(`Master key: from ${masterKey.source === "config" ? "general_settings.master_key" : masterKey.source === "environment" ? "VS_MASTER_KEY" : `${masterKey.file} (generated on the first start and shown then; delete the file to generate a new one)`}`);
  }
  if (proxy.demo) {
    const key = masterKey.generated ?? "$VS_MASTER_KEY";
    lines.push(
      "",
      `Demo collection "${proxy.demo.store}" is ready (Milvus Lite + the local embedding model). Try:`,
      "",
      `  curl -s ${url}/v1/vector_stores/${proxy.demo.store}/search \\`,
      `    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
      `    -d '${JSON.stringify({ query: proxy.demo.query, max_num_results: 3 })}'`,
    );
    if (!masterKey.generated) lines.push("", "(set VS_MASTER_KEY to the master key printed on the first start)");
  }
  process.stdout.write(lines.join("\n") + "\n");

  const shutdown = (signal: string) => {
    process.stdout.write(`\n${signal}: shutting down\n`);
    proxy.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`vs-proxy: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
