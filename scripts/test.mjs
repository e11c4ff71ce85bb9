#!/usr/bin/env node
/**
 * The test runner behind `pnpm test` (= `turbo run build && node scripts/test.mjs`). It starts the services the
 * integration tests need, runs `vitest run <extra args>` with their addresses in the environment, and stops them
 * again — after a failure and on SIGINT/SIGTERM too — exiting with vitest's exit code.
 *
 * Environment given to the tests (a variable is absent when its service was skipped):
 *   VS_TEST_MILVUS_ADDRESS  127.0.0.1:PORT of a Milvus Lite gRPC server on a fresh temporary data dir
 *   VS_TEST_DATABASE_URL    postgresql://postgres@127.0.0.1:PORT/vs_test, a private throwaway cluster (trust auth)
 *   VS_TEST_REDIS_URL       redis://127.0.0.1:PORT, no persistence
 *   VS_TEST_OPENAI_PYTHON   the interpreter of a venv with the official `openai` Python client (cached next to Milvus Lite's)
 * A variable that is already set is used as is, and that service is not started.
 *
 * CI=true: a service that cannot start fails the run (exit 1); integration tests are never silently skipped in CI.
 * VS_CACHE_DIR: where the Milvus Lite venv is cached (default <repo>/.cache/vs).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repositoryRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const isCI = process.env.CI === "true";
const stopGraceMs = 5_000;

/** A service that is not installed here: skipped locally, a failure in CI. */
class ServiceSkipped extends Error {}

/** @typedef {{ name: string, variable: string, start: (root: string) => Promise<{ value: string, address: string, stop: () => Promise<void> }> }} Service */

/** @type {Service[]} */
const services = [
  { name: "milvus-lite", variable: "VS_TEST_MILVUS_ADDRESS", start: startMilvusLiteService },
  { name: "postgres", variable: "VS_TEST_DATABASE_URL", start: startPostgres },
  { name: "redis", variable: "VS_TEST_REDIS_URL", start: startRedis },
  { name: "openai-py", variable: "VS_TEST_OPENAI_PYTHON", start: prepareOpenAIPython },
];

/** The official Python client the vector store tests drive the proxy with; pinned so a new release cannot change a run. */
const openAIPythonPackage = "openai==3.57.0";

/** @type {Array<() => Promise<void>>} */
const stoppers = [];
/** @type {string[]} */
const temporaryDirectories = [];
/** @type {import("node:child_process").ChildProcess | undefined} */
let vitest;
/** @type {Promise<void> | undefined} */
let cleaning;

function report(name, status) {
  console.log(`[test.mjs] ${name.padEnd(11)} ${status}`);
}

function cleanUp() {
  cleaning ??= (async () => {
    const results = await Promise.allSettled(stoppers.reverse().map((stop) => stop()));
    for (const result of results) if (result.status === "rejected") console.error(`[test.mjs] stopping a service failed: ${result.reason}`);
    await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
  })();
  return cleaning;
}

// Whoever reads our output may go away first (`| head`, a killed pnpm): the services must still be stopped, so a
// broken stdout must not crash this process, and neither may anything else before clean-up ran.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (error) => {
    console.error(`[test.mjs] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    void cleanUp().finally(() => process.exit(1));
  });
}

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
/** @type {keyof typeof signalNumbers | undefined} */
let receivedSignal;
for (const signal of Object.keys(signalNumbers)) {
  process.on(signal, () => {
    if (receivedSignal !== undefined) {
      // A second signal: stop waiting for anything and leave.
      void cleanUp().finally(() => process.exit(128 + signalNumbers[signal]));
      return;
    }
    receivedSignal = signal;
    console.error(`[test.mjs] ${signal}: stopping (send it again to force)`);
    // A terminal's Ctrl-C reaches vitest too; a SIGTERM sent to this process alone has to be passed on.
    if (vitest && vitest.exitCode === null) vitest.kill(signal);
  });
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), "vs-test-"));
  temporaryDirectories.push(root);
  const environment = { ...process.env };

  const outcomes = await Promise.all(
    services.map(async (service) => {
      const preset = process.env[service.variable];
      if (preset) {
        report(service.name, `using ${service.variable}=${redact(preset)} from the environment`);
        return true;
      }
      try {
        const started = await service.start(root);
        stoppers.push(started.stop);
        environment[service.variable] = started.value;
        report(service.name, `started ${started.address}`);
        return true;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const kind = error instanceof ServiceSkipped ? "not available" : "failed to start";
        report(service.name, `${isCI ? "FAILED" : "SKIPPED"} (${kind}: ${reason})`);
        return !isCI;
      }
    }),
  );
  if (receivedSignal !== undefined) return 128 + signalNumbers[receivedSignal];
  if (outcomes.includes(false)) {
    console.error("[test.mjs] CI=true: every service must start; not running the tests.");
    return 1;
  }

  // vitest's own entry run by this Node, not `npx vitest`: npm exec and its shell would sit between a forwarded signal and vitest.
  const vitestEntry = join(repositoryRoot, "node_modules", "vitest", "vitest.mjs");
  const [command, commandArguments] = existsSync(vitestEntry) ? [process.execPath, [vitestEntry]] : ["npx", ["vitest"]];
  vitest = spawn(command, [...commandArguments, "run", ...process.argv.slice(2)], { stdio: "inherit", env: environment, cwd: repositoryRoot });
  const [exitCode, signal] = await new Promise((resolveExit) => vitest.once("exit", (code, exitSignal) => resolveExit([code, exitSignal])));
  if (receivedSignal !== undefined) return 128 + signalNumbers[receivedSignal];
  return exitCode ?? (signal ? 1 : 0);
}

// ---------------------------------------------------------------- Milvus Lite

async function startMilvusLiteService(root) {
  const entry = join(repositoryRoot, "packages", "milvus-lite", "dist", "index.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm test runs turbo run build)`);
  const { startMilvusLite, MilvusLiteUnavailableError } = await import(pathToFileURL(entry).href);
  try {
    const server = await startMilvusLite({
      dataDir: join(root, "milvus-lite"),
      cacheDir: process.env.VS_CACHE_DIR || join(repositoryRoot, ".cache", "vs"),
      onProgress: (line) => console.log(`[milvus-lite] ${line}`),
    });
    return { value: server.address, address: server.address, stop: () => server.stop() };
  } catch (error) {
    if (error instanceof MilvusLiteUnavailableError) throw new ServiceSkipped(error.message.replaceAll("\n", " "));
    throw error;
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** A private throwaway cluster (@vs/test-support, the same one the benchmark uses; built by `pnpm build`). */
async function startPostgres() {
  const { startPrivatePostgres, PostgresNotInstalledError } = await import(testSupportEntry());
  try {
    const postgres = await startPrivatePostgres({ database: "vs_test" });
    return { value: postgres.url, address: `127.0.0.1:${postgres.port} (database vs_test)`, stop: () => postgres.stop() };
  } catch (error) {
    if (error instanceof PostgresNotInstalledError) throw new ServiceSkipped(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------- Redis

async function startRedis(root) {
  const { startPrivateRedis, RedisNotInstalledError } = await import(testSupportEntry());
  try {
    const redis = await startPrivateRedis({ directory: join(root, "redis"), stopGraceMs });
    return { value: redis.url, address: `127.0.0.1:${redis.port}`, stop: () => redis.stop() };
  } catch (error) {
    if (error instanceof RedisNotInstalledError) throw new ServiceSkipped(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------- the official openai Python client

/** A venv under the cache dir with `openai` installed, made once and reused while the pinned version stays the same. */
async function prepareOpenAIPython() {
  const cacheDir = process.env.VS_CACHE_DIR || join(repositoryRoot, ".cache", "vs");
  const venv = join(cacheDir, "openai-python-venv");
  const python = join(venv, "bin", "python");
  const marker = join(venv, "vs-installed.txt");
  const installed = await readFile(marker, "utf8").catch(() => "");
  if (installed.trim() !== openAIPythonPackage) {
    const base = process.env.VS_PYTHON || "python3";
    await mkdir(cacheDir, { recursive: true });
    await runQuietly(base, ["-m", "venv", "--clear", venv]).catch((error) => {
      throw new ServiceSkipped(`${base} cannot create a venv (${error.message.split("\n")[0]}); Debian: apt-get install python3-venv`);
    });
    await runQuietly(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", openAIPythonPackage]);
    await writeFile(marker, openAIPythonPackage + "\n");
  }
  return { value: python, address: `${python} (${openAIPythonPackage})`, stop: async () => undefined };
}

function runQuietly(command, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk) => {
      output = (output + chunk).slice(-4_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}\n${lastLines(output, 10)}`)),
    );
  });
}

// ---------------------------------------------------------------- helpers

function lastLines(text, count) {
  return text.trim().split("\n").slice(-count).join("\n");
}

function testSupportEntry() {
  const entry = join(repositoryRoot, "packages", "test-support", "dist", "index.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm test runs turbo run build)`);
  return pathToFileURL(entry).href;
}

/** A preset URL may carry a password; only its host part is printed. */
function redact(value) {
  return value.replace(/\/\/[^@/]*@/, "//***@");
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`[test.mjs] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await cleanUp();
}
process.exit(exitCode);
