import { execFileSync, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";

/** A child process of the benchmark, with the last lines of its stderr kept for error messages. */
export interface ManagedChild {
  name: string;
  pid: number;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  stderrTail(): string;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

const STDERR_TAIL_CHARS = 4_000;

/**
 * Every process and external service the run starts, so that all of them are stopped at the end, on SIGINT and on an
 * error — each by its own pid, never by name.
 */
export class ProcessRegistry {
  private readonly children = new Set<ManagedChild>();
  private readonly cleanups: Array<{ name: string; run: () => Promise<void>; runNow?: () => void }> = [];

  spawn(
    name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; stdout?: "pipe" | "ignore" | number; ipc?: boolean; cwd?: string } = {},
  ): ManagedChild {
    const stdio: StdioOptions = ["ignore", options.stdout ?? "ignore", "pipe"];
    if (options.ipc) stdio.push("ipc");
    const child = spawn(command, args, { stdio, env: options.env ?? process.env, ...(options.cwd ? { cwd: options.cwd } : {}) });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    let tail = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: null, signal: null }));
    });
    const managed: ManagedChild = {
      name,
      pid: child.pid,
      process: child,
      exited,
      running: () => child.exitCode === null && child.signalCode === null,
      stderrTail: () => tail.trim(),
      stop: async ({ signal = "SIGTERM", graceMs = 10_000 } = {}) => {
        if (managed.running()) {
          child.kill(signal);
          const timer = setTimeout(() => {
            if (managed.running()) child.kill("SIGKILL");
          }, graceMs);
          await exited;
          clearTimeout(timer);
        }
        this.children.delete(managed);
      },
    };
    this.children.add(managed);
    void exited.then(() => {
      if (!managed.running()) this.children.delete(managed);
    });
    return managed;
  }

  /** `run` at the normal end or on SIGINT; `runNow` (synchronous) when the process exits without that chance. */
  onCleanup(name: string, run: () => Promise<void>, runNow?: () => void): () => void {
    const entry = runNow ? { name, run, runNow } : { name, run };
    this.cleanups.push(entry);
    return () => {
      const position = this.cleanups.indexOf(entry);
      if (position >= 0) this.cleanups.splice(position, 1);
    };
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.children].map((child) => child.stop({ graceMs: 5_000 })));
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      await cleanup.run().catch((error: unknown) => process.stderr.write(`cleanup of ${cleanup.name} failed: ${(error as Error).message}\n`));
    }
  }

  /** From a process `exit` handler: nothing asynchronous runs any more. */
  killAllNow(): void {
    for (const child of this.children) {
      if (child.running()) child.process.kill("SIGKILL");
    }
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        cleanup.runNow?.();
      } catch {
        // Best effort: the process is exiting.
      }
    }
  }
}

/** A port that was free a moment ago on 127.0.0.1 (for children that take `--port`). */
export { freePort } from "@vs/test-support";

export interface ProcessMemory {
  /** Peak resident set size since the process started (VmHWM), in MB. */
  peakRssMb: number;
  /** Resident set size now (VmRSS), in MB. */
  rssMb: number;
}

/** From `/proc/<pid>/status`; null when the process is gone or this is not Linux. */
export function processMemory(pid: number): ProcessMemory | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kilobytes = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
    return match ? Number(match[1]) : Number.NaN;
  };
  return { peakRssMb: kilobytes("VmHWM") / 1024, rssMb: kilobytes("VmRSS") / 1024 };
}

/** Direct children of `pid` (cluster workers of a primary), from `/proc/<pid>/task/<tid>/children`. */
export function childPids(pid: number): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text !== "") pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Not Linux, or the process is gone.
  }
  return pids;
}

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/**
 * CPU time (user + system) a process has used so far, in ms, from `/proc/<pid>/stat`; null when unreadable.
 * Unlike wall time this does not grow while the process waits for a core, so it stays meaningful on a busy machine.
 */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return null;
  return ((userTicks + systemTicks) * 1000) / ticksPerSecond();
}

/** CPU ms of a process and its direct children (cluster workers). */
export function processTreeCpuMs(pid: number): number | null {
  const values = [pid, ...childPids(pid)].map(processCpuMs).filter((value): value is number => value !== null);
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0);
}

/** CPU time all cores have spent busy since boot (every state but idle and iowait), in ms, from `/proc/stat`. */
export function systemBusyCpuMs(): number | null {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "utf8");
  } catch {
    return null;
  }
  const line = text.split("\n").find((candidate) => candidate.startsWith("cpu "));
  if (!line) return null;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const busy = (ticks[0] ?? 0) + (ticks[1] ?? 0) + (ticks[2] ?? 0) + (ticks[5] ?? 0) + (ticks[6] ?? 0) + (ticks[7] ?? 0);
  return (busy * 1000) / ticksPerSecond();
}

/**
 * Resets the process's peak RSS (VmHWM) to its current RSS (`echo 5 > /proc/<pid>/clear_refs`, Linux ≥ 4.0), so a
 * later VmHWM is the peak of what happened since — not of the start-up (PGlite's initdb peaks far above the steady
 * state). False when not permitted or not Linux.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
