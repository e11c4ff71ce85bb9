import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, totalmem, type as osType, release } from "node:os";

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** `git rev-parse --short HEAD`, with `+dirty` when the work tree has changes; `unknown` outside git. */
  commit: string;
  date: string;
}

export function machineFacts(repositoryRoot: string): MachineFacts {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    os: `${osType()} ${release()}`,
    node: process.version,
    commit: gitCommit(repositoryRoot),
    date: new Date().toISOString(),
  };
}

function gitCommit(repositoryRoot: string): string {
  try {
    const options = { cwd: repositoryRoot, encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"] };
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], options).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], options).trim() !== "";
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}
