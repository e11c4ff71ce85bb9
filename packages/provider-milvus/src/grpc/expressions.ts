import { containsRawJson, isRawJson } from "../exact-json.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { answer } from "./answers.js";
import type { CallContext } from "./context.js";
import { isPlainObject } from "./values.js";

// searchParams and filters: both forms of searchParams, and exprParams (written into the filter for Milvus Lite).

interface SearchParameters {
  metric: string | undefined;
  /** Index parameters (`nprobe`, `ef`, `level`, `radius`, `range_filter`, …), sent as the `params` JSON. */
  params: Record<string, unknown>;
  ignoreGrowing: boolean;
  hints: string | undefined;
}

/**
 * `searchParams` in both forms: `{metricType | metric_type, params: {...}}` and flat (Milvus ≥ 2.5.2), merged as the
 * REST server merges them (generateSearchParams): a key both flat and in `params` must agree.
 */
export function searchParametersOf(searchParams: Record<string, unknown> | null | undefined): SearchParameters {
  const nested = searchParams?.params;
  if (nested !== undefined && nested !== null && !isPlainObject(nested))
    throw answer(MilvusErrorCode.invalidParameter, "searchParams.params must be a dict: invalid parameter");
  const merged: Record<string, unknown> = { ...(nested ?? {}) };
  for (const [key, value] of Object.entries(searchParams ?? {})) {
    if (key === "params") continue;
    if (Object.hasOwn(merged, key) && JSON.stringify(merged[key]) !== JSON.stringify(value)) {
      throw answer(
        MilvusErrorCode.invalidParameter,
        `ambiguous parameter: ${key}, in search_param: ${String(value)}, in search_param.params: ${String(merged[key])}: invalid parameter`,
      );
    }
    merged[key] = value;
  }
  const metricValue = merged.metric_type ?? merged.metricType;
  const ignoreGrowing = merged.ignore_growing ?? merged.ignoreGrowing;
  const hints = merged.hints;
  for (const key of ["metric_type", "metricType", "ignore_growing", "ignoreGrowing", "hints"]) delete merged[key];
  return {
    metric: typeof metricValue === "string" && metricValue.trim() !== "" ? metricValue.trim() : undefined,
    params: merged,
    ignoreGrowing: ignoreGrowing === true || ignoreGrowing === "true",
    hints: typeof hints === "string" && hints !== "" ? hints : undefined,
  };
}

interface PreparedFilter {
  expr: string;
  exprValues?: Record<string, unknown>;
}

/** `filter` + `exprParams` for the SDK; Milvus Lite cannot parse templates, so for it the values are written in. */
export function prepareFilter(filter: string | null | undefined, exprParams: Record<string, unknown> | null | undefined, context: CallContext): PreparedFilter {
  const expr = filter ?? "";
  if (exprParams === undefined || exprParams === null || Object.keys(exprParams).length === 0) return { expr };
  // The SDK's template values hold int64 only as numbers: an integer past 2^53 is written in exactly instead.
  if (context.isMilvusLite || containsRawJson(exprParams)) return { expr: inlineExpressionParameters(expr, exprParams) };
  return { expr, exprValues: exprParams };
}

/**
 * Replaces each `{name}` template outside string literals with its value as a Milvus literal. Strings are quoted
 * and escaped, so a value can never end its literal and add to the expression.
 */
export function inlineExpressionParameters(expression: string, parameters: Record<string, unknown>): string {
  let output = "";
  let index = 0;
  while (index < expression.length) {
    const character = expression[index] as string;
    if (character === '"' || character === "'") {
      const end = endOfStringLiteral(expression, index);
      output += expression.slice(index, end);
      index = end;
      continue;
    }
    if (character === "{") {
      const template = /^\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/.exec(expression.slice(index));
      if (template !== null) {
        const name = template[1] as string;
        if (!Object.hasOwn(parameters, name))
          throw answer(MilvusErrorCode.invalidParameter, `the value of expression template variable name {${name}} is not found: invalid parameter`);
        output += milvusLiteral(parameters[name], name);
        index += template[0].length;
        continue;
      }
    }
    output += character;
    index += 1;
  }
  return output;
}

function endOfStringLiteral(expression: string, start: number): number {
  const quote = expression[start];
  let index = start + 1;
  while (index < expression.length) {
    const character = expression[index];
    if (character === "\\") index += 2;
    else if (character === quote) return index + 1;
    else index += 1;
  }
  return expression.length;
}

export function milvusLiteral(value: unknown, name: string): string {
  if (typeof value === "string") {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point (a literal cannot carry them)
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
      throw answer(MilvusErrorCode.invalidParameter, `exprParams.${name}: control characters cannot be written into a filter: invalid parameter`);
    }
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (isRawJson(value) && /^-?\d+$/.test(value.rawJSON)) return value.rawJSON;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((item) => milvusLiteral(item, name)).join(", ")}]`;
  throw answer(
    MilvusErrorCode.invalidParameter,
    `exprParams.${name}: only strings, finite numbers, booleans and lists of them are supported: invalid parameter`,
  );
}
