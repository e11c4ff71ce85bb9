import type { Context } from "hono";
import { BadRequestError } from "@vs/core";
import { parseJsonExact, scanJson, UnsafeIntegerUnsupportedError, type JsonSpan } from "@vs/provider-milvus/internal";
import { readBody } from "./body.js";
import type { Env } from "./context.js";

/** Deeper bodies are refused: Milvus requests nest a few levels, and deep ones would overflow the walks over them. */
export const MAX_PASSTHROUGH_JSON_DEPTH = 64;

export interface PassthroughBody {
  /** The body, integers past 2^53 kept as `JSON.rawJSON` values so they go upstream exactly as sent. */
  body: Record<string, unknown>;
  /** The top-level keys as written, duplicates included (the parsed object keeps only the last of each). */
  topLevelKeys: string[];
  /** The body as received, and where each of `topLevelKeys`' values lies in it: the upstream body copies vectors from it. */
  text: string;
  topLevelValues: JsonSpan[];
}

/**
 * The body of a `/milvus/...` request, parsed without loss: Milvus's int64 primary keys go past 2^53, where
 * `JSON.parse` would round them. Whatever its Content-Type (the official Node client sends `text/plain`), it must be
 * a JSON object of at most `limitBytes`, nested at most `MAX_PASSTHROUGH_JSON_DEPTH` levels.
 */
export async function readPassthroughBody(c: Context<Env>, limitBytes: number): Promise<PassthroughBody> {
  const text = (await readBody(c, limitBytes)).toString("utf8");
  if (text.trim() === "") throw new BadRequestError("The request needs a JSON body.", { code: "invalid_json" });
  // Depth first: the scan walks any text without recursion, the parse and everything after it may recurse.
  const topLevelValues: JsonSpan[] = [];
  const scan = scanJson(text, MAX_PASSTHROUGH_JSON_DEPTH, topLevelValues);
  if (scan.tooDeepAt !== undefined) {
    throw new BadRequestError(`${scan.tooDeepAt}: the body nests deeper than ${MAX_PASSTHROUGH_JSON_DEPTH} levels here.`, {
      param: scan.tooDeepAt,
      code: "json_too_deep",
    });
  }
  let value: unknown;
  try {
    value = parseJsonExact(text, "raw", scan.hasUnsafeInteger);
  } catch (error) {
    if (error instanceof UnsafeIntegerUnsupportedError)
      throw new BadRequestError(`The request body holds an integer beyond 2^53, which this gateway's Node.js cannot keep exact: ${error.message}.`, {
        code: "unsafe_integer",
      });
    throw new BadRequestError(`The request body is not valid JSON: ${(error as Error).message}`, { code: "invalid_json" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadRequestError("The request body must be a JSON object.", { code: "invalid_json" });
  return { body: value as Record<string, unknown>, topLevelKeys: scan.topLevelKeys, text, topLevelValues };
}
