import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError } from "@vs/core";

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file, not a directory",
  EEXIST: "it exists and is not a directory",
  EISDIR: "a directory is where a file should be",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links in the path",
};

/** A start-up error naming the data dir and the system's reason, without a stack: the CLI prints the message. */
export function dataDirError(dataDir: string, error: unknown, what: "writable" | "readable" = "writable"): ConfigurationError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === undefined ? (error as Error).message : `${code}: ${REASONS[code] ?? (error as Error).message}`;
  return new ConfigurationError(
    `The data dir ${dataDir} is not ${what} (${reason}). Point --data-dir, VS_DATA_DIR or general_settings.data_dir at a writable directory.`,
    { code: "data_dir_not_writable", param: "general_settings.data_dir", cause: error },
  );
}

/**
 * Creates the data dir and proves it takes a file, before anything is started in it: otherwise the first write
 * happens deep inside the embedded database or Milvus Lite, whose errors name neither the path nor the reason.
 */
export async function ensureWritableDataDir(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-check-${process.pid}`);
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(probe, "");
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
  await rm(probe, { force: true });
}
