import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** `<repository root or cwd>/.cache/vs`; `VS_CACHE_DIR` overrides. The repository's `.gitignore` lists `.cache/`. */
export function defaultCacheDir(): string {
  const override = process.env["VS_CACHE_DIR"];
  if (override !== undefined && override !== "") return resolve(override);
  return join(findRepositoryRoot(process.cwd()) ?? process.cwd(), ".cache", "vs");
}

/** The nearest directory at or above `start` holding `pnpm-workspace.yaml` or `.git`, so every package shares one cache. */
export function findRepositoryRoot(start: string): string | null {
  let directory = resolve(start);
  for (;;) {
    if (existsSync(join(directory, "pnpm-workspace.yaml")) || existsSync(join(directory, ".git"))) return directory;
    const parent = dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}
