import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MilvusLiteDataDirLockedError, MilvusLiteStartError, MilvusLiteUnavailableError } from "./errors.js";
import { isProcessAlive, withDirectoryLock } from "./install-lock.js";
import { OutputTail } from "./output-tail.js";
import { defaultCacheDir, findRepositoryRoot } from "./paths.js";

let temporaryDirectory = "";
beforeAll(async () => {
  temporaryDirectory = await mkdtemp(join(tmpdir(), "vs-milvus-lite-support-"));
});
afterAll(async () => {
  await rm(temporaryDirectory, { recursive: true, force: true });
});

function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", ""]);
    child.once("close", () => resolve(child.pid ?? -1));
  });
}

describe("withDirectoryLock", () => {
  it("lets one holder in at a time", async () => {
    const lockDirectory = join(temporaryDirectory, "serial.lock");
    let holdersInside = 0;
    let mostHoldersInside = 0;
    const finished: string[] = [];
    const holder = (name: string) =>
      withDirectoryLock(lockDirectory, { timeoutMs: 10_000 }, async () => {
        holdersInside += 1;
        mostHoldersInside = Math.max(mostHoldersInside, holdersInside);
        await sleep(50);
        holdersInside -= 1;
        finished.push(name);
      });
    await Promise.all([holder("a"), holder("b"), holder("c")]);
    expect(mostHoldersInside).toBe(1);
    expect(finished.sort()).toEqual(["a", "b", "c"]);
    expect(existsSync(lockDirectory)).toBe(false);
  });

  it("takes over a lock whose owner process is dead", async () => {
    const lockDirectory = join(temporaryDirectory, "stale.lock");
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    await mkdir(lockDirectory);
    await writeFile(join(lockDirectory, "owner.json"), JSON.stringify({ pid, hostname: hostname() }));
    await expect(withDirectoryLock(lockDirectory, { timeoutMs: 5_000 }, async () => "ran")).resolves.toBe("ran");
  });

  it("waits for a live owner and times out naming it", async () => {
    const lockDirectory = join(temporaryDirectory, "live.lock");
    await mkdir(lockDirectory);
    await writeFile(join(lockDirectory, "owner.json"), JSON.stringify({ pid: process.pid, hostname: hostname() }));
    const waitedFor: Array<number | null> = [];
    const attempt = withDirectoryLock(lockDirectory, { timeoutMs: 300, onWait: (pid) => waitedFor.push(pid) }, async () => "ran");
    await expect(attempt).rejects.toThrow(`held by pid ${process.pid}`);
    expect(waitedFor).toEqual([process.pid]);
  });
});

describe("OutputTail", () => {
  it("keeps only the last lines", () => {
    const tail = new OutputTail(2);
    for (const line of ["one", "two", "three"]) tail.push(line);
    expect(tail.lines()).toEqual(["two", "three"]);
  });
});

describe("defaultCacheDir", () => {
  it("uses VS_CACHE_DIR when set, else <repository root>/.cache/vs", async () => {
    const previous = process.env["VS_CACHE_DIR"];
    try {
      process.env["VS_CACHE_DIR"] = join(temporaryDirectory, "custom");
      expect(defaultCacheDir()).toBe(join(temporaryDirectory, "custom"));
      delete process.env["VS_CACHE_DIR"];
      expect(defaultCacheDir()).toBe(join(findRepositoryRoot(process.cwd()) ?? "", ".cache", "vs"));
    } finally {
      if (previous === undefined) delete process.env["VS_CACHE_DIR"];
      else process.env["VS_CACHE_DIR"] = previous;
    }
  });

  it("finds the nearest directory with pnpm-workspace.yaml", async () => {
    const root = join(temporaryDirectory, "repository");
    await mkdir(join(root, "packages", "deep"), { recursive: true });
    await writeFile(join(root, "pnpm-workspace.yaml"), "packages: []\n");
    expect(findRepositoryRoot(join(root, "packages", "deep"))).toBe(root);
  });
});

describe("errors", () => {
  it("tell the reader what to do and carry the server's last output", () => {
    expect(new MilvusLiteUnavailableError("no python").message).toMatch(/no python[\s\S]*MILVUS_API_BASE/);
    const started = new MilvusLiteStartError("did not start", ["line 1", "line 2"]);
    expect(started.message).toContain("line 2");
    expect(started.logTail).toEqual(["line 1", "line 2"]);
    const locked = new MilvusLiteDataDirLockedError("/data", 42, []);
    expect(locked).toBeInstanceOf(MilvusLiteStartError);
    expect(locked.message).toBe(
      "The data directory /data is locked by another Milvus Lite process (pid 42). Stop that server or use a different data directory.",
    );
  });
});
