import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { BadRequestError, parseInput, proxyConfigSchema, resolveSecretReferences, type ProxyConfig } from "@vs/core";

/**
 * Reads a config file (YAML or JSON), resolves `os.environ/NAME` references and validates it. Every problem is a
 * `BadRequestError` whose message names the file and the key path; the CLI prints it and exits.
 */
export async function loadConfigFile(path: string, env: Record<string, string | undefined> = process.env): Promise<ProxyConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadRequestError(code === "ENOENT" ? `Config file not found: ${path}` : `Cannot read config file ${path}: ${code ?? String(error)}`, { code: "invalid_config" });
  }
  return parseConfigText(text, path, env);
}

export function parseConfigText(text: string, source: string, env: Record<string, string | undefined> = process.env): ProxyConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : "";
    throw new BadRequestError(`Config file ${source} is not valid YAML${where}: ${(error as Error).message.split("\n")[0]}`, { code: "invalid_config" });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new BadRequestError(`Config file ${source} must be a mapping with vector_store_registry, model_list and general_settings.`, { code: "invalid_config" });
  }
  const resolved = resolveSecretReferences(raw, env);
  return parseInput(proxyConfigSchema, resolved, { what: `config ${source}` });
}
