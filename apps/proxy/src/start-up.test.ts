import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VsError } from "@vs/core";
import { startProxy, type ProxyOptions } from "./server.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, "../test-fixtures");
const CLI = resolve(here, "../dist/cli.js");
const REFERENCE_PAGE = resolve(here, "../../../../shared/reference/milvus-vector-store.md");
const MILVUS_TOKEN = "milvus-token-never-logged";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "vs-start-up-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** The proxy's JSON log lines, captured. */
function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

async function writeConfig(yaml: string): Promise<string> {
  const path = join(directory, `config-${randomBytes(4).toString("hex")}.yaml`);
  await writeFile(path, yaml);
  return path;
}

async function start(configPath: string, extra: Partial<ProxyOptions> = {}) {
  const { logger, lines } = capturedLogger();
  const dataDir = await mkdtemp(join(directory, "data-"));
  const env = { MILVUS_API_KEY: MILVUS_TOKEN, AZURE_API_KEY: "azure-key-for-test" };
  const proxy = await startProxy({ configPath, port: 0, host: "127.0.0.1", dataDir, env, logger, log: () => undefined, ...extra });
  return { proxy, lines, warnings: () => lines.filter((line) => line["level"] === 40).map((line) => String(line["msg"])) };
}

async function startFailure(options: ProxyOptions): Promise<VsError> {
  try {
    const proxy = await startProxy({ port: 0, host: "127.0.0.1", logger: pino({ level: "silent" }), log: () => undefined, ...options });
    await proxy.close();
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected the start to fail");
}

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [CLI, ...args], { env: { ...process.env, VS_MASTER_KEY: "sk-cli-test-master-key" }, timeout: 30_000 });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? "" };
  }
}

describe("the reference page's config files", () => {
  it("are copied verbatim from the page", async () => {
    // The page lives outside the repository (../shared); in CI it is always there, so its absence is a failure.
    if (!existsSync(REFERENCE_PAGE)) {
      expect(process.env["CI"], `the reference page is missing at ${REFERENCE_PAGE}`).not.toBe("true");
      return;
    }
    const page = await readFile(REFERENCE_PAGE, "utf8");
    for (const name of ["reference-search.yaml", "reference-passthrough.yaml"]) expect(page).toContain(await readFile(join(FIXTURES, name), "utf8"));
  });

  it("start unchanged with an unreachable Milvus: one warning naming the store, readiness 503 naming it, liveness 200", async () => {
    const { proxy, warnings } = await start(join(FIXTURES, "reference-search.yaml"));
    try {
      const warned = warnings().filter((line) => line.includes("milvus-knowledgebase"));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain("not reachable at start");
      const ready = await fetch(`${proxy.url}/health/readiness`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean; error: string | null }> };
      expect(body.status).toBe("unhealthy");
      const check = body.checks.find((item) => item.name === "vector_store:milvus-knowledgebase");
      expect(check).toMatchObject({ ok: false });
      expect(check!.error).toContain("your-milvus-instance.milvus.io");
      expect(body.checks.find((item) => item.name === "database")).toEqual({ name: "database", ok: true, error: null });
      expect(JSON.stringify(body)).not.toContain(MILVUS_TOKEN);
      expect(JSON.stringify(warnings())).not.toContain(MILVUS_TOKEN);
      expect((await fetch(`${proxy.url}/health/liveliness`)).status).toBe(200);
      expect((await fetch(`${proxy.url}/health/liveness`)).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  const databaseUrl = process.env["VS_TEST_DATABASE_URL"];
  it.runIf(databaseUrl)(
    "the passthrough admin config (master_key sk-1234) starts; only its placeholder database_url is pointed at a real PostgreSQL",
    async () => {
      const schema = new URL(databaseUrl!);
      schema.searchParams.set("schema", `vs_start_up_${randomBytes(5).toString("hex")}`);
      const text = (await readFile(join(FIXTURES, "reference-passthrough.yaml"), "utf8")).replace(
        "postgresql://user:password@host:port/database",
        schema.toString(),
      );
      const { proxy, warnings } = await start(await writeConfig(text));
      try {
        expect(warnings().filter((line) => line.includes("master key is shorter"))).toHaveLength(1);
        const index = await fetch(`${proxy.url}/v1/indexes`, {
          method: "POST",
          headers: { authorization: "Bearer sk-1234", "content-type": "application/json" },
          body: JSON.stringify({ index_name: "dall-e-6", litellm_params: { vector_store_index: "real-collection-name", vector_store_name: "milvus-store" } }),
        });
        expect(index.status).toBe(201);
        const ready = (await (await fetch(`${proxy.url}/health/readiness`)).json()) as { checks: Array<{ name: string; ok: boolean }> };
        expect(ready.checks.find((item) => item.name === "vector_store:milvus-store")?.ok).toBe(false);
      } finally {
        await proxy.close();
      }
    },
  );
});

describe("start-up notices", () => {
  it("a short master key starts, authenticates, and is warned about once", async () => {
    const { proxy, warnings } = await start(await writeConfig("general_settings:\n  master_key: sk-1234\n"));
    try {
      expect(warnings().filter((line) => line.includes("master key is shorter than 16 characters: for local use only"))).toHaveLength(1);
      expect((await fetch(`${proxy.url}/spend/summary`, { headers: { authorization: "Bearer sk-1234" } })).status).toBe(200);
      expect((await fetch(`${proxy.url}/spend/summary`, { headers: { authorization: "Bearer sk-12345" } })).status).toBe(401);
    } finally {
      await proxy.close();
    }
  });

  it("LiteLLM keys vs does not use produce one line listing them", async () => {
    const yaml = [
      "litellm_settings:\n  drop_params: true\n  success_callback: [langfuse]",
      "router_settings:\n  routing_strategy: simple-shuffle",
      "model_list:\n  - model_name: embedding-model\n    litellm_params:\n      model: openai/text-embedding-3-small\n      api_key: sk-embedding\n      rpm: 100",
      "general_settings:\n  master_key: sk-a-long-enough-master-key\n  alerting: [slack]\n  store_model_in_db: true",
    ].join("\n");
    const { proxy, lines, warnings } = await start(await writeConfig(yaml));
    try {
      const ignored = lines.filter((line) => String(line["msg"]).startsWith("ignoring LiteLLM settings"));
      expect(ignored).toHaveLength(1);
      expect(ignored[0]!["msg"]).toBe(
        "ignoring LiteLLM settings vs does not use: litellm_settings, router_settings, model_list[0].litellm_params.rpm, general_settings.alerting, general_settings.store_model_in_db",
      );
      expect(warnings()).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it("a typo stops the start with the key path and the closest known name", async () => {
    const typos: Array<[string, string]> = [
      ["vector_store_regsitry:\n  - vector_store_name: kb\n", "vector_store_regsitry: unknown key; did you mean vector_store_registry?"],
      ["general_settings:\n  databse_url: postgresql://localhost/vs\n", "general_settings.databse_url: unknown key; did you mean database_url?"],
      [
        "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\n      max_retires: 2\n",
        "model_list[0].litellm_params.max_retires: unknown key; did you mean max_retries?",
      ],
      [
        "vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      anns_field: v\n",
        "vector_store_registry[0].litellm_params.anns_field: unknown key; did you mean annsField?",
      ],
    ];
    for (const [yaml, message] of typos) {
      const path = await writeConfig(yaml);
      const error = await startFailure({ configPath: path, dataDir: join(directory, "unused") });
      expect(error.message).toContain(message);
      expect(error.code).toBe("invalid_config");
    }
  });

  it("the CLI prints a config error and exits 1, without a stack", async () => {
    const path = await writeConfig("general_settings:\n  databse_url: postgresql://localhost/vs\n");
    const { code, stderr } = await cli(["--config", path, "--port", "0", "--data-dir", join(directory, "cli-data")]);
    expect(code).toBe(1);
    expect(stderr).toBe(`vs-proxy: Invalid config ${path}: general_settings.databse_url: unknown key; did you mean database_url?\n`);
  });
});

describe("an unusable data dir", () => {
  it("stops the start naming the path and the reason", async () => {
    const file = join(directory, "a-regular-file");
    await writeFile(file, "not a directory");
    const dataDir = join(file, "data");
    const path = await writeConfig(
      "vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n",
    );
    const error = await startFailure({ configPath: path, dataDir });
    expect(error.message).toBe(
      `The data dir ${dataDir} is not writable (ENOTDIR: a part of the path is a file, not a directory). Point --data-dir, VS_DATA_DIR or general_settings.data_dir at a writable directory.`,
    );

    const { code, stderr } = await cli(["--config", path, "--port", "0", "--data-dir", dataDir]);
    expect(code).toBe(1);
    expect(stderr).toBe(`vs-proxy: ${error.message}\n`);
  });

  it("is not needed when nothing is kept in it (PostgreSQL, a configured master key, a remote Milvus)", async () => {
    const file = join(directory, "another-regular-file");
    await writeFile(file, "");
    const error = await startFailure({
      configPath: await writeConfig("general_settings:\n  master_key: sk-a-long-enough-master-key\n  database_url: postgresql://127.0.0.1:1/vs\n"),
      dataDir: join(file, "data"),
    });
    // It gets as far as the database, which is not there.
    expect(error.message).not.toContain("data dir");
  });
});
