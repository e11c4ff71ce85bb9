import { ConfigurationError, formatPath } from "@vs/core";
import { closestName } from "./did-you-mean.js";

/** One level of the config file: which keys vs reads there and which LiteLLM keys it drops. */
export interface ConfigKeyLevel {
  /** Keys vs reads. */
  used: readonly string[];
  /** Keys LiteLLM configs carry that vs does not read: dropped, and listed once at start. */
  litellm?: readonly string[];
  /** LiteLLM keys vs cannot drop without changing what a request does: each stops the start with its reason. */
  unsupported?: Readonly<Record<string, string>>;
  /**
   * Other keys are left in place for a later, more specific check (a store's provider parameters) instead of
   * stopping the start here.
   */
  open?: boolean;
  /** Levels below this one, by key; `each` applies to every item of a list. */
  children?: Readonly<Record<string, ConfigKeyLevel | { each: ConfigKeyLevel }>>;
}

export interface CheckedConfigKeys {
  /** A copy of the input without the dropped LiteLLM keys. */
  value: Record<string, unknown>;
  /** Paths of the dropped keys, e.g. `general_settings.alerting`. */
  ignored: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks every key of a parsed config file against `level`: LiteLLM keys vs does not read are dropped (and returned
 * as `ignored`), anything else unknown is a configuration error naming the key path and the closest known name
 * ("general_settings.databse_url: unknown key; did you mean database_url?"). Values of the wrong shape are left for
 * the schema, which names them better.
 */
export function checkConfigKeys(input: Record<string, unknown>, level: ConfigKeyLevel, source: string): CheckedConfigKeys {
  const problems: Array<{ path: string; message: string }> = [];
  const ignored: string[] = [];

  const visit = (node: Record<string, unknown>, at: ConfigKeyLevel, path: PropertyKey[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const used = new Set(at.used);
    const litellm = new Set(at.litellm ?? []);
    for (const [key, value] of Object.entries(node)) {
      const keyPath = formatPath([...path, key]);
      if (used.has(key)) {
        const child = at.children?.[key];
        if (child === undefined) out[key] = value;
        else if ("each" in child)
          out[key] = Array.isArray(value) ? value.map((item, index) => (isRecord(item) ? visit(item, child.each, [...path, key, index]) : item)) : value;
        else out[key] = isRecord(value) ? visit(value, child, [...path, key]) : value;
      } else if (litellm.has(key)) {
        ignored.push(keyPath);
      } else if (at.unsupported?.[key] !== undefined) {
        problems.push({ path: keyPath, message: `${keyPath}: not supported; ${at.unsupported[key]}` });
      } else if (at.open) {
        out[key] = value;
      } else {
        const suggestion = closestName(key, [...at.used, ...(at.litellm ?? [])]);
        const hint = suggestion === undefined ? ` (vs reads: ${at.used.join(", ")})` : `; did you mean ${suggestion}?`;
        problems.push({ path: keyPath, message: `${keyPath}: unknown key${hint}` });
      }
    }
    return out;
  };

  const value = visit(input, level, []);
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid config ${source}: ${problems.map((problem) => problem.message).join("; ")}`, {
      code: "invalid_config",
      param: problems[0]!.path,
    });
  }
  return { value, ignored };
}
