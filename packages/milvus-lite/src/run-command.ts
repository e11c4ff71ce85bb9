import { spawn } from "node:child_process";
import { OutputTail, forEachLine } from "./output-tail.js";

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** Last lines of stdout and stderr interleaved, for error messages. */
  outputTail: string[];
}

export interface RunCommandOptions {
  onLine?: (line: string) => void;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion. Rejects only when it cannot be started at all (ENOENT, EACCES), so callers can tell
 * "no such program" apart from "the program failed".
 */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
    const outputTail = new OutputTail(30);
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
    });
    const onLine = (line: string): void => {
      outputTail.push(line);
      options.onLine?.(line);
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, outputTail: outputTail.lines() });
    });
  });
}
