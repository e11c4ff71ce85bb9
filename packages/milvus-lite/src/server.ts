import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MilvusLiteDataDirLockedError, MilvusLiteStartError } from "./errors.js";
import { ensureMilvusLiteInstalled, type MilvusLiteInstallation } from "./install.js";
import { forEachLine, OutputTail } from "./output-tail.js";

export interface MilvusLiteOptions {
  /** Where the venv is cached. Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Milvus Lite's data directory (created when missing). One server per directory. */
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 or absent: a free port picked by the kernel when Milvus Lite binds. */
  port?: number;
  /** Interpreter for the venv. Default: `VS_PYTHON`, else python3. */
  python?: string;
  /** Receives install progress and the server's start-up output, one line at a time. */
  onProgress?: (line: string) => void;
  /** How long to wait for the server to accept connections. Default 60 s. */
  startTimeoutMs?: number;
}

export interface MilvusLiteServer {
  /** `host:port`, what a Milvus gRPC client connects to. */
  address: string;
  port: number;
  pid: number;
  dataDir: string;
  /** Graceful stop (SIGTERM, 5 s), then SIGKILL. Safe to call more than once. */
  stop(): Promise<void>;
}

const stopGraceMs = 5_000;
const listeningLine = /MilvusLite gRPC server listening on \S+:(\d+)/;

/**
 * Milvus Lite's own `milvus-lite server` stops cleanly (drain requests, flush the memtable, release the data-dir lock)
 * only on a KeyboardInterrupt that lands inside its wait loop; a SIGTERM kills it mid-write, and a signal just after
 * its "listening" line escapes the cleanup. This launcher runs the same server through Milvus Lite's
 * `start_server_in_thread` with handlers installed before anything starts, so SIGTERM, SIGINT and the parent going
 * away (EOF on the stdin pipe, even after a SIGKILL of the parent) all end in the same clean shutdown.
 * Port 0 lets the kernel pick the port at bind time: no window in which another process can take it.
 */
const launcherScript = `
import argparse, os, signal, sys, threading

stop_requested = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
signal.signal(signal.SIGINT, lambda *_: stop_requested.set())

def stop_when_parent_exits():
    # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader aborts interpreter shutdown.
    while os.read(0, 65536):
        pass
    stop_requested.set()

threading.Thread(target=stop_when_parent_exits, daemon=True).start()

parser = argparse.ArgumentParser(prog="vs-milvus-lite")
parser.add_argument("--data-dir", required=True)
parser.add_argument("--host", required=True)
parser.add_argument("--port", type=int, required=True)
arguments = parser.parse_args()

from milvus_lite.adapter.grpc.server import start_server_in_thread

server, database, port = start_server_in_thread(data_dir=arguments.data_dir, host=arguments.host, port=arguments.port)
print(f"MilvusLite gRPC server listening on {arguments.host}:{port} (data_dir={arguments.data_dir!r})", flush=True)
while not stop_requested.wait(0.5):
    pass
print("Shutting down...", flush=True)
server.stop(grace=3).wait()
database.close()
`;

export interface MilvusLiteCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** The command that runs Milvus Lite; its stdin must be a pipe the parent keeps open for the server's lifetime. */
export function milvusLiteCommand(installation: MilvusLiteInstallation, server: { dataDir: string; host: string; port: number }): MilvusLiteCommand {
  return {
    command: installation.python,
    args: ["-c", launcherScript, "--data-dir", server.dataDir, "--host", server.host, "--port", String(server.port)],
    // Python block-buffers a piped stdout, which would hide start-up errors until exit.
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  };
}

/** Installs Milvus Lite when needed, starts it, and resolves once it accepts TCP connections. */
export async function startMilvusLite(options: MilvusLiteOptions): Promise<MilvusLiteServer> {
  const host = options.host ?? "127.0.0.1";
  const dataDir = resolve(options.dataDir);
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  await mkdir(dataDir, { recursive: true });
  const installation = await ensureMilvusLiteInstalled({ cacheDir: options.cacheDir, python: options.python, onProgress: options.onProgress });
  const { command, args, env } = milvusLiteCommand(installation, { dataDir, host, port: options.port ?? 0 });
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env, detached: false });
  const outputTail = new OutputTail(40);
  let isStarting = true;
  let markListening = (_port: number): void => {};
  const listening = new Promise<number>((resolveListening) => {
    markListening = resolveListening;
  });
  const onLine = (line: string): void => {
    outputTail.push(line);
    if (!isStarting) return;
    options.onProgress?.(line);
    const listeningOn = listeningLine.exec(line);
    if (listeningOn !== null) markListening(Number(listeningOn[1]));
  };
  // Both pipes are read for the server's whole life: a full pipe would block its writes.
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  // 'close' never comes when the spawn itself failed, only 'error'.
  const exited = new Promise<void>((resolveExit) => {
    child.once("close", () => resolveExit());
    child.once("error", () => resolveExit());
  });

  let port = options.port ?? 0;
  try {
    port = await waitUntilListening(child, listening, startTimeoutMs);
    await waitForTcp(host, port, Date.now() + startTimeoutMs, () => child.exitCode === null && child.signalCode === null);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    const logTail = outputTail.lines();
    if (logTail.some((line) => line.includes("DataDirLockedError"))) {
      throw new MilvusLiteDataDirLockedError(dataDir, await findMilvusLiteHolding(dataDir), logTail);
    }
    throw new MilvusLiteStartError(
      `Milvus Lite did not start on ${host}:${port === 0 ? "<free port>" : port}: ${error instanceof Error ? error.message : String(error)}`,
      logTail,
    );
  }
  isStarting = false;

  const killOnParentExit = (): void => {
    child.kill("SIGTERM");
  };
  process.on("exit", killOnParentExit);
  // The server lives as long as its parent, not the other way round: it must not keep Node's event loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Socket).unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off("exit", killOnParentExit);
      // Whoever awaits stop() expects to resume afterwards, so the loop must stay alive until the child is gone.
      child.ref();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const stoppedInTime = await Promise.race([exited.then(() => true), sleep(stopGraceMs, false)]);
        if (!stoppedInTime) child.kill("SIGKILL");
      }
      await exited;
    })();
    return stopping;
  };

  return { address: `${host}:${port}`, port, pid: child.pid ?? -1, dataDir, stop };
}

function waitUntilListening(child: ChildProcess, listening: Promise<number>, timeoutMs: number): Promise<number> {
  return new Promise((resolveListening, reject) => {
    const timer = setTimeout(() => finish(new Error(`no "listening" line within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`the process exited (${signal === null ? `code ${code}` : `signal ${signal}`}) before listening`));
    const onError = (error: Error): void => finish(error);
    function finish(error?: Error, port?: number): void {
      clearTimeout(timer);
      child.off("exit", onExit);
      child.off("error", onError);
      if (port !== undefined) resolveListening(port);
      else reject(error);
    }
    child.once("exit", onExit);
    child.once("error", onError);
    void listening.then((port) => finish(undefined, port));
  });
}

async function waitForTcp(host: string, port: number, deadline: number, isServerAlive: () => boolean): Promise<void> {
  for (;;) {
    if (await canConnect(host, port)) return;
    if (!isServerAlive()) throw new Error("the process exited before accepting connections");
    if (Date.now() > deadline) throw new Error(`nothing accepts TCP connections on ${host}:${port}`);
    await sleep(100);
  }
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    const finish = (connected: boolean): void => {
      socket.destroy();
      resolveConnect(connected);
    };
    socket.once("connect", () => finish(true));
    socket.once("timeout", () => finish(false));
    socket.once("error", () => finish(false));
  });
}

/** Best effort (Linux /proc): the pid of a Milvus Lite server started on `dataDir`, for the lock error message. */
async function findMilvusLiteHolding(dataDir: string): Promise<number | null> {
  let entries: string[];
  try {
    entries = await readdir("/proc");
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = (await readFile(`/proc/${entry}/cmdline`, "utf8")).split("\0");
      const dataDirIndex = commandLine.indexOf("--data-dir");
      const isMilvusLite = commandLine.some((part) => part.includes("milvus-lite") || part.includes("milvus_lite"));
      if (isMilvusLite && dataDirIndex !== -1 && resolve(commandLine[dataDirIndex + 1] ?? "") === dataDir) return Number(entry);
    } catch {
      // The process ended while we looked, or belongs to someone else.
    }
  }
  return null;
}
