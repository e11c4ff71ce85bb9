import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The official `openai` Python client's interpreter (a venv `scripts/test.mjs` prepares: VS_TEST_OPENAI_PYTHON).
 * Absent locally → undefined (the test says it skipped); absent in CI → an error, never a silent skip.
 */
export function openAIPython(): string | undefined {
  const python = process.env["VS_TEST_OPENAI_PYTHON"];
  if ((!python || !existsSync(python)) && process.env["CI"] === "true")
    throw new Error("VS_TEST_OPENAI_PYTHON is not set in CI: scripts/test.mjs must prepare the openai venv");
  return python && existsSync(python) ? python : undefined;
}

/** Runs `script` with the client in a temporary directory holding `files`; returns the JSON lines it printed. */
export async function runPython(
  python: string,
  script: string,
  files: Record<string, Uint8Array | string>,
  env: Record<string, string>,
): Promise<Array<Record<string, unknown>>> {
  const directory = await mkdtemp(join(tmpdir(), "vs-openai-python-"));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(directory, name), content);
    await writeFile(join(directory, "flow.py"), script);
    const { stdout } = await run(python, ["flow.py"], {
      cwd: directory,
      timeout: 240_000,
      env: { ...process.env, ...env, PYTHONIOENCODING: "utf-8" },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`python failed: ${error.message}\n--- stdout\n${error.stdout ?? ""}\n--- stderr\n${error.stderr ?? ""}`);
    });
    return stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
