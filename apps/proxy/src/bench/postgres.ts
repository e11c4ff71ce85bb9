import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.js";

const run = promisify(execFile);

export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:PORT/vs_bench` (trust auth, loopback only). */
  url: string;
  stop(): Promise<void>;
  /** Immediate stop for a process `exit` handler. */
  stopNow(): void;
}

/** Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin; the newest major wins. */
export function findPostgresBinDirectory(): string | null {
  const root = "/usr/lib/postgresql";
  const candidates = existsSync(root)
    ? readdirSync(root)
        .filter((major) => /^\d+$/.test(major))
        .sort((left, right) => Number(right) - Number(left))
        .map((major) => join(root, major, "bin"))
    : [];
  candidates.push(...(process.env["PATH"] ?? "").split(":").filter(Boolean));
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

/**
 * A throwaway PostgreSQL cluster in a temporary directory of its own (its owner must be able to reach it, which a
 * 0700 parent would forbid), on 127.0.0.1, durability off, for the multi-worker rows: workers share state through a
 * real database. initdb refuses root, so as root the cluster belongs to the `postgres` user. Stopping removes it.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binDirectory = findPostgresBinDirectory();
  if (binDirectory === null) throw new Error("PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin or on PATH)");
  const tool = (name: string) => join(binDirectory, name);
  let owner: { name: string; uid: number; gid: number } | null = null;
  if (process.getuid?.() === 0) {
    const ids = await userIds("postgres");
    if (ids === null) throw new Error("running as root and there is no 'postgres' user to own the cluster");
    owner = { name: "postgres", ...ids };
  }
  const asOwner = (command: string, args: string[]): [string, string[]] => (owner === null ? [command, args] : ["runuser", ["-u", owner.name, "--", command, ...args]]);

  const directory = await mkdtemp(join(tmpdir(), "vs-bench-postgres-"));
  if (owner !== null) await chown(directory, owner.uid, owner.gid);
  const dataDirectory = join(directory, "data");
  const logFile = join(directory, "postgres.log");
  const port = await freePort();
  await run(...asOwner(tool("initdb"), ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]));
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k '${directory}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const stopArgs = (mode: "fast" | "immediate") => asOwner(tool("pg_ctl"), ["-D", dataDirectory, "-m", mode, "-w", "-t", "30", "stop"]);
  let running = false;
  try {
    await run(...asOwner(tool("pg_ctl"), ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"]));
    running = true;
    await run(tool("createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "vs_bench"]);
  } catch (error) {
    if (running) await run(...stopArgs("immediate")).catch(() => undefined);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/vs_bench`,
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
