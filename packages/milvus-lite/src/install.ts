import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MilvusLiteUnavailableError } from "./errors.js";
import { withDirectoryLock } from "./install-lock.js";
import { defaultCacheDir } from "./paths.js";
import { describePython, findPython, inspectPython, isSupportedPython, minimumPythonVersion, type PythonInterpreter } from "./python.js";
import { runCommand } from "./run-command.js";

/** Versions known to work together here; changing one makes the next run reinstall the venv. */
export const milvusLitePackages = ["milvus-lite==3.2.2", "pymilvus==3.0.2"] as const;

export interface InstallOptions {
  /** Where the venv lives (`<cacheDir>/milvus-lite-venv`). Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Interpreter that creates the venv. Default: `VS_PYTHON`, else the first suitable python3 on PATH. */
  python?: string;
  /** Receives pip's output and waiting notices, one line at a time. */
  onProgress?: (line: string) => void;
  /** How long to wait for another process's install to finish. Default 10 minutes. */
  lockTimeoutMs?: number;
}

export interface MilvusLiteInstallation {
  /** The `milvus-lite` console script inside the venv. */
  executable: string;
  /** The venv's own interpreter. */
  python: string;
  venvDirectory: string;
}

interface InstallMarker {
  packages: string[];
  basePython: string;
}

const markerFileName = "vs-milvus-lite-install.json";
const howToGetPython =
  `Install Python ≥ ${minimumPythonVersion.join(".")} with the venv module (Debian/Ubuntu: apt-get install python3 python3-venv), ` +
  "or set VS_PYTHON to such an interpreter.";

/** Makes sure the venv with Milvus Lite exists and matches the pinned versions; installs it once otherwise. */
export async function ensureMilvusLiteInstalled(options: InstallOptions = {}): Promise<MilvusLiteInstallation> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const installation = installationIn(join(cacheDir, "milvus-lite-venv"));
  if (await isInstalled(installation)) return installation;

  const basePython = await resolveBasePython(options.python);
  await mkdir(cacheDir, { recursive: true });
  const lockOptions = {
    timeoutMs: options.lockTimeoutMs ?? 10 * 60_000,
    onWait: (holderPid: number | null) =>
      options.onProgress?.(`Waiting for another process${holderPid === null ? "" : ` (pid ${holderPid})`} to finish installing Milvus Lite…`),
  };
  await withDirectoryLock(join(cacheDir, "milvus-lite-venv.lock"), lockOptions, async () => {
    // Another process may have finished the install while we waited for the lock.
    if (await isInstalled(installation)) return;
    await install(installation, basePython, options.onProgress);
  });
  return installation;
}

function installationIn(venvDirectory: string): MilvusLiteInstallation {
  const binDirectory = join(venvDirectory, process.platform === "win32" ? "Scripts" : "bin");
  return {
    venvDirectory,
    executable: join(binDirectory, process.platform === "win32" ? "milvus-lite.exe" : "milvus-lite"),
    python: join(binDirectory, process.platform === "win32" ? "python.exe" : "python"),
  };
}

async function isInstalled(installation: MilvusLiteInstallation): Promise<boolean> {
  // existsSync follows the venv's python symlink, so a venv whose base interpreter was removed counts as missing.
  if (!existsSync(installation.executable) || !existsSync(installation.python)) return false;
  try {
    const marker = JSON.parse(await readFile(join(installation.venvDirectory, markerFileName), "utf8")) as Partial<InstallMarker>;
    return Array.isArray(marker.packages) && marker.packages.join(" ") === milvusLitePackages.join(" ");
  } catch {
    return false;
  }
}

async function resolveBasePython(explicitPython: string | undefined): Promise<PythonInterpreter> {
  const fromEnvironment = process.env["VS_PYTHON"];
  const requested = explicitPython ?? (fromEnvironment === undefined || fromEnvironment === "" ? undefined : fromEnvironment);
  if (requested === undefined) {
    const found = await findPython();
    const interpreter = found === null ? null : await inspectPython(found);
    if (interpreter === null)
      throw new MilvusLiteUnavailableError(`no python3 ≥ ${minimumPythonVersion.join(".")} with the venv module was found on PATH. ${howToGetPython}`);
    return interpreter;
  }
  const interpreter = await inspectPython(requested);
  if (interpreter === null) throw new MilvusLiteUnavailableError(`"${requested}" could not be run as a Python interpreter. ${howToGetPython}`);
  if (!isSupportedPython(interpreter))
    throw new MilvusLiteUnavailableError(`${describePython(interpreter)} is older than ${minimumPythonVersion.join(".")}. ${howToGetPython}`);
  if (!interpreter.hasVenv) throw new MilvusLiteUnavailableError(`${describePython(interpreter)} lacks the venv/ensurepip modules. ${howToGetPython}`);
  return interpreter;
}

async function install(installation: MilvusLiteInstallation, basePython: PythonInterpreter, onProgress: ((line: string) => void) | undefined): Promise<void> {
  // A venv cannot be moved (its scripts hard-code their path), so a half-finished one is rebuilt in place.
  await rm(installation.venvDirectory, { recursive: true, force: true });
  onProgress?.(`Creating a venv for Milvus Lite with ${describePython(basePython)} in ${installation.venvDirectory}`);
  const createVenv = await runStep(basePython.executable, ["-m", "venv", installation.venvDirectory], onProgress);
  if (createVenv.exitCode !== 0) {
    throw new MilvusLiteUnavailableError(`"${basePython.executable} -m venv" failed. ${howToGetPython}\n${createVenv.outputTail.join("\n")}`);
  }
  onProgress?.(`Installing ${milvusLitePackages.join(" ")} from PyPI`);
  const pipArguments = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", ...milvusLitePackages];
  const pipInstall = await runStep(installation.python, pipArguments, onProgress);
  if (pipInstall.exitCode !== 0 || !existsSync(installation.executable)) {
    throw new MilvusLiteUnavailableError(
      `pip could not install ${milvusLitePackages.join(" ")} (PyPI must be reachable, or configure pip's index with PIP_INDEX_URL).\n${pipInstall.outputTail.join("\n")}`,
    );
  }
  const marker: InstallMarker = { packages: [...milvusLitePackages], basePython: basePython.executable };
  await writeFile(join(installation.venvDirectory, markerFileName), `${JSON.stringify(marker, null, 2)}\n`);
  onProgress?.("Milvus Lite installed");
}

async function runStep(command: string, args: readonly string[], onProgress: ((line: string) => void) | undefined) {
  try {
    return await runCommand(command, args, { onLine: onProgress, timeoutMs: 15 * 60_000 });
  } catch (error) {
    throw new MilvusLiteUnavailableError(`"${command}" could not be started. ${howToGetPython}`, { cause: error });
  }
}
