import { runCommand } from "./run-command.js";

export const minimumPythonVersion = [3, 10] as const;

export interface PythonInterpreter {
  /** Absolute path of the interpreter (`sys.executable`), stable across pyenv shims. */
  executable: string;
  version: readonly [number, number, number];
  /** `venv` and `ensurepip` import: Debian ships them apart from python3, in python3-venv. */
  hasVenv: boolean;
}

const inspectScript = [
  "import json, sys",
  "try:",
  "    import venv, ensurepip",
  "    has_venv = True",
  "except ImportError:",
  "    has_venv = False",
  "print(json.dumps({'executable': sys.executable, 'version': list(sys.version_info[:3]), 'hasVenv': has_venv}))",
].join("\n");

/** What `command` is, or null when it cannot be run as a Python interpreter at all. */
export async function inspectPython(command: string): Promise<PythonInterpreter | null> {
  try {
    const result = await runCommand(command, ["-c", inspectScript], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) return null;
    const lastLine = result.stdout.trim().split("\n").at(-1) ?? "";
    const parsed: unknown = JSON.parse(lastLine);
    return isPythonInterpreter(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export function isSupportedPython(interpreter: PythonInterpreter): boolean {
  const [major, minor] = interpreter.version;
  return major > minimumPythonVersion[0] || (major === minimumPythonVersion[0] && minor >= minimumPythonVersion[1]);
}

export function describePython(interpreter: PythonInterpreter): string {
  return `Python ${interpreter.version.join(".")} at ${interpreter.executable}`;
}

/** The first of `VS_PYTHON`, python3, python3.13 … python3.10, python that is ≥ 3.10 and can create venvs. */
export async function findPython(): Promise<string | null> {
  const fromEnvironment = process.env["VS_PYTHON"];
  const candidates = [
    ...(fromEnvironment === undefined || fromEnvironment === "" ? [] : [fromEnvironment]),
    "python3",
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python",
  ];
  for (const candidate of candidates) {
    const interpreter = await inspectPython(candidate);
    if (interpreter !== null && interpreter.hasVenv && isSupportedPython(interpreter)) return interpreter.executable;
  }
  return null;
}

function isPythonInterpreter(value: unknown): value is PythonInterpreter {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate["executable"] === "string" &&
    typeof candidate["hasVenv"] === "boolean" &&
    Array.isArray(candidate["version"]) &&
    candidate["version"].length === 3 &&
    candidate["version"].every((part) => typeof part === "number")
  );
}
