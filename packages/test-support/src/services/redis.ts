import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { canConnect, freePort } from "../ports.js";

/** No redis-server here: the caller decides whether that is a skip or a failure. */
export class RedisNotInstalledError extends Error {}

export interface PrivateRedis {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A throwaway redis-server on 127.0.0.1, without persistence, its files under `directory`. */
export async function startPrivateRedis(options: { directory: string; stopGraceMs?: number }): Promise<PrivateRedis> {
  const pathDirectories = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/bin", "/usr/sbin", "/usr/local/bin"].filter(Boolean);
  const redisServer = pathDirectories.map((directory) => join(directory, "redis-server")).find((candidate) => existsSync(candidate));
  if (redisServer === undefined) throw new RedisNotInstalledError("no redis-server on PATH (Debian: apt-get install redis-server)");
  await mkdir(options.directory, { recursive: true });
  const port = await freePort();
  const child = spawn(
    redisServer,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", options.directory, "--daemonize", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolveExit) => {
    child.once("close", () => resolveExit());
    child.once("error", () => resolveExit());
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const stoppedInTime = await Promise.race([exited.then(() => true), sleep(options.stopGraceMs ?? 5_000, false)]);
      if (!stoppedInTime) child.kill("SIGKILL");
    }
    await exited;
  };
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not accept connections on 127.0.0.1:${port}\n${output.trim().split("\n").slice(-10).join("\n")}`);
    }
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}
