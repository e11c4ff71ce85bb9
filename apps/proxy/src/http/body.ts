import type { Context } from "hono";
import { AbortedError, BadRequestError, PayloadTooLargeError } from "@vs/core";
import type { Env } from "./context.js";
import { findJsonShapeProblem } from "./json-shape.js";

/** Deeper than any request the gateway understands; far shallower than what overflows a recursive walk. */
export const MAX_JSON_DEPTH = 64;

export interface ReadJsonOptions {
  /** Objects and arrays nested deeper are a 400 naming the path (default `MAX_JSON_DEPTH`). */
  maxDepth?: number;
  /** A U+0000 anywhere is a 400 naming the path: for bodies that end up in PostgreSQL, which stores no NUL. */
  refuseNul?: boolean;
}

/**
 * Reads a body of at most `limitBytes`, counting bytes as they arrive (a lying Content-Length cannot get past it);
 * past it a 413. An oversized body is read to its end and dropped (up to a cap), so the client finishes sending and
 * reads the 413; past the cap the connection is closed.
 */
export async function readBody(c: Context<Env>, limitBytes: number): Promise<Buffer> {
  const drainCap = Math.max(limitBytes * 4, 8 * 1024 * 1024);
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > drainCap) {
    c.header("connection", "close");
    throw new PayloadTooLargeError(limitBytes);
  }
  // Node's own stream when there is one: touching `c.req.raw.body` makes the adapter build a Fetch Request and a
  // web stream over the socket, which costs more than the rest of a search's gateway work.
  const incoming = c.env?.incoming;
  const chunks: Buffer[] = [];
  if (incoming) {
    await new Promise<void>((resolve, reject) => {
      let size = 0;
      incoming.on("data", (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > drainCap) {
          incoming.pause();
          c.header("connection", "close");
          reject(new PayloadTooLargeError(limitBytes));
        } else if (size <= limitBytes) {
          chunks.push(chunk);
        }
      });
      incoming.once("end", () => (size > limitBytes ? reject(new PayloadTooLargeError(limitBytes)) : resolve()));
      incoming.once("error", reject);
      incoming.once("aborted", () => reject(new AbortedError("the client closed the connection")));
    });
  } else {
    const body = c.req.raw.body as unknown as AsyncIterable<Uint8Array> | null;
    if (!body) return Buffer.alloc(0);
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON object body, at most `limitBytes` (413 past it). Not JSON, not an object or nested too deep → 400.
 */
export async function readJsonObject(c: Context<Env>, limitBytes: number, options: ReadJsonOptions = {}): Promise<Record<string, unknown>> {
  const body = await readBody(c, limitBytes);
  if (body.byteLength === 0) throw new BadRequestError("The request needs a JSON body.", { code: "invalid_json" });
  const text = body.toString("utf8");
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const problem = findJsonShapeProblem(text, { maxDepth, refuseNul: options.refuseNul ?? false });
  if (problem) {
    const where = problem.path === "" ? "The request body" : problem.path;
    throw problem.kind === "too_deep"
      ? new BadRequestError(`${where}: nested deeper than ${maxDepth} levels of objects and arrays.`, { param: problem.path || null, code: "json_too_deep" })
      : new BadRequestError(`${where}: contains a NUL character (U+0000), which cannot be stored.`, { param: problem.path || null, code: "invalid_character" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`The request body is not valid JSON: ${(error as Error).message}`, { code: "invalid_json" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadRequestError("The request body must be a JSON object.", { code: "invalid_json" });
  return value as Record<string, unknown>;
}

/**
 * Aborts when the client goes away before its answer is written, so upstream calls stop. Built from Node's
 * response (cheap) rather than `c.req.raw.signal` (which builds a whole Fetch Request).
 */
export function clientSignal(c: Context<Env>): AbortSignal {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const controller = new AbortController();
  outgoing.once("close", () => {
    if (!outgoing.writableFinished) controller.abort(new AbortedError("the client closed the connection"));
  });
  return controller.signal;
}
