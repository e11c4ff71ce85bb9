import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface DirectoryLockOptions {
  timeoutMs: number;
  /** Called once when the lock is busy, with the holder's pid when known. */
  onWait?: (holderPid: number | null) => void;
}

interface LockOwner {
  pid: number;
  hostname: string;
}

/** A lock directory older than this without an owner file was left by a process that died between mkdir and write. */
const ownerlessLockStaleAfterMs = 30_000;
const pollIntervalMs = 250;

/**
 * Runs `work` while holding `lockDirectory` (mkdir is atomic on every filesystem we care about, flock is not
 * reachable from Node). A lock whose owner process is gone (same host, pid dead) is taken over.
 */
export async function withDirectoryLock<T>(lockDirectory: string, options: DirectoryLockOptions, work: () => Promise<T>): Promise<T> {
  await acquire(lockDirectory, options);
  try {
    return await work();
  } finally {
    await rm(lockDirectory, { recursive: true, force: true });
  }
}

async function acquire(lockDirectory: string, options: DirectoryLockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let hasReportedWait = false;
  for (;;) {
    try {
      await mkdir(lockDirectory);
      const owner: LockOwner = { pid: process.pid, hostname: hostname() };
      await writeFile(join(lockDirectory, "owner.json"), JSON.stringify(owner));
      return;
    } catch (error) {
      if (!isErrorWithCode(error, "EEXIST")) throw error;
    }
    const owner = await readOwner(lockDirectory);
    if (await isStale(lockDirectory, owner)) {
      // Renaming first means only one waiter removes a given stale lock; the others see ENOENT and retry mkdir.
      const graveyard = `${lockDirectory}.stale-${process.pid}-${Date.now()}`;
      try {
        await rename(lockDirectory, graveyard);
        await rm(graveyard, { recursive: true, force: true });
      } catch (error) {
        if (!isErrorWithCode(error, "ENOENT")) throw error;
      }
      continue;
    }
    if (Date.now() > deadline) {
      const holder = owner === null ? "another process" : `pid ${owner.pid} on ${owner.hostname}`;
      throw new Error(
        `Timed out after ${options.timeoutMs} ms waiting for the lock ${lockDirectory} held by ${holder}. If no install is running, delete that directory.`,
      );
    }
    if (!hasReportedWait) {
      hasReportedWait = true;
      options.onWait?.(owner?.pid ?? null);
    }
    await sleep(pollIntervalMs);
  }
}

async function readOwner(lockDirectory: string): Promise<LockOwner | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(lockDirectory, "owner.json"), "utf8"));
    if (typeof parsed !== "object" || parsed === null) return null;
    const { pid, hostname: ownerHostname } = parsed as Record<string, unknown>;
    return typeof pid === "number" && typeof ownerHostname === "string" ? { pid, hostname: ownerHostname } : null;
  } catch {
    return null;
  }
}

async function isStale(lockDirectory: string, owner: LockOwner | null): Promise<boolean> {
  if (owner !== null) return owner.hostname === hostname() && !isProcessAlive(owner.pid);
  try {
    const { mtimeMs } = await stat(lockDirectory);
    return Date.now() - mtimeMs > ownerlessLockStaleAfterMs;
  } catch {
    return false;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isErrorWithCode(error, "EPERM");
  }
}

export function isErrorWithCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
