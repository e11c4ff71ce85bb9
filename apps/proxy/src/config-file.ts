import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { ConfigurationError } from "@vs/core";
import { parseProxyConfig, type ParsedProxyConfig, type ProxyConfig } from "./config/config.js";

/**
 * Reads a config file (YAML or JSON), drops the LiteLLM keys vs does not read (listed in `ignoredKeys`), resolves
 * `os.environ/NAME` references and validates it. Every problem is a `ConfigurationError` (or a 400 from
 * `parseInput`) whose message names the file and the key path; the CLI prints it and exits.
 */
export async function readConfigFile(path: string, env: Record<string, string | undefined> = process.env): Promise<ParsedProxyConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigurationError(code === "ENOENT" ? `Config file not found: ${path}` : `Cannot read config file ${path}: ${code ?? String(error)}`);
  }
  return parseConfigDocument(text, path, env);
}

/** `readConfigFile` without the list of dropped keys. */
export async function loadConfigFile(path: string, env: Record<string, string | undefined> = process.env): Promise<ProxyConfig> {
  return (await readConfigFile(path, env)).config;
}

export function parseConfigDocument(text: string, source: string, env: Record<string, string | undefined> = process.env): ParsedProxyConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line}, column ${error.linePos[0].col})` : "";
    throw new ConfigurationError(`Config file ${source} is not valid YAML${where}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigurationError(`Config file ${source} must be a mapping with vector_store_registry, model_list and general_settings.`);
  }
  return parseProxyConfig(raw as Record<string, unknown>, { source, env });
}

export function parseConfigText(text: string, source: string, env: Record<string, string | undefined> = process.env): ProxyConfig {
  return parseConfigDocument(text, source, env).config;
}
