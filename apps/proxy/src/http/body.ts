import type { Context } from "hono";
import { BadRequestError, PayloadTooLargeError } from "@vs/core";

/**
 * Reads a JSON object body, at most `limitBytes`, counting bytes as they arrive (a lying Content-Length cannot
 * get past it). Not JSON or not an object → 400.
 */
export async function readJsonObject(c: Context, limitBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const body = c.req.raw.body;
  if (!body) throw new BadRequestError("The request needs a JSON body.", { code: "invalid_json" });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`The request body is not valid JSON: ${(error as Error).message}`, { code: "invalid_json" });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadRequestError("The request body must be a JSON object.", { code: "invalid_json" });
  return value as Record<string, unknown>;
}
