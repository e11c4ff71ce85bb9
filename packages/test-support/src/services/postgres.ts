import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../ports.js";

/**
 * A throwaway PostgreSQL cluster for the test runner (`scripts/test.mjs`) and the benchmark: one implementation
 * for both. It lives in a temporary directory of its own, listens on 127.0.0.1 only (trust auth), runs with
 * durability off, and is removed when stopped.
 */

const run = promisify(execFile);

export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:PORT/<database>`. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Immediate, synchronous stop for a process `exit` handler. */
  stopNow(): void;
}

/** No PostgreSQL server binaries here: the caller decides whether that is a skip or a failure. */
export class PostgresNotInstalledError extends Error {}

/** Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin; the newest major wins. */
export function findPostgresBinDirectory(): string | null {
  const root = "/usr/lib/postgresql";
  const candidates = existsSync(root)
    ? readdirSync(root)
        .filter((major) => /^\d+$/.test(major))
        .sort((left, right) => Number(right) - Number(left))
        .map((major) => join(root, major, "bin"))
    : [];
  candidates.push(...(process.env["PATH"] ?? "").split(delimiter).filter(Boolean));
  return candidates.find((directory) => ["initdb", "pg_ctl", "createdb"].every((tool) => existsSync(join(directory, tool)))) ?? null;
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | null> {
  try {
    const uid = await run("id", ["-u", name]);
    const gid = await run("id", ["-g", name]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

/** initdb refuses root: the `postgres` OS user when the package made one, else a system user created once. */
async function unprivilegedOwner(): Promise<{ name: string; uid: number; gid: number }> {
  for (const name of ["postgres", "vs-postgres"]) {
    const ids = await userIds(name);
    if (ids !== null) return { name, ...ids };
  }
  await run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "vs-postgres"]);
  const ids = await userIds("vs-postgres");
  if (ids === null) throw new Error("created the user vs-postgres but cannot look it up");
  return { name: "vs-postgres", ...ids };
}

export async function startPrivatePostgres(options: { database: string; maxConnections?: number }): Promise<PrivatePostgres> {
  const binDirectory = findPostgresBinDirectory();
  if (binDirectory === null)
    throw new PostgresNotInstalledError("no initdb/pg_ctl/createdb under /usr/lib/postgresql/*/bin or on PATH (Debian: apt-get install postgresql)");
  const tool = (name: string) => join(binDirectory, name);
  const owner = process.getuid?.() === 0 ? await unprivilegedOwner() : null;
  const asOwner = (command: string, args: string[]): [string, string[]] =>
    owner === null ? [command, args] : ["runuser", ["-u", owner.name, "--", command, ...args]];

  // Its own directory: the owner must be able to reach it, which a 0700 parent would forbid.
  const directory = await mkdtemp(join(tmpdir(), "vs-postgres-"));
  if (owner !== null) await chown(directory, owner.uid, owner.gid);
  const dataDirectory = join(directory, "data");
  const logFile = join(directory, "postgres.log");
  const port = await freePort();
  const stopArgs = (mode: "fast" | "immediate") => asOwner(tool("pg_ctl"), ["-D", dataDirectory, "-m", mode, "-w", "-t", "30", "stop"]);
  let running = false;
  try {
    await run(...asOwner(tool("initdb"), ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]));
    const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k '${directory}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=${options.maxConnections ?? 200}`;
    await run(...asOwner(tool("pg_ctl"), ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"]));
    running = true;
    await run(tool("createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", options.database]);
  } catch (error) {
    const log = await readFile(logFile, "utf8").catch(() => "");
    if (running) await run(...stopArgs("immediate")).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
    const tail = log.trim().split("\n").slice(-15).join("\n");
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}${tail ? `\n${tail}` : ""}`);
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/${options.database}`,
    port,
    async stop() {
      if (!running) return;
      running = false;
      try {
        await run(...stopArgs("fast"));
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
    stopNow() {
      if (!running) return;
      running = false;
      spawnSync(...stopArgs("immediate"), { stdio: "ignore" });
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
