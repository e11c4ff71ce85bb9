import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { VsError, type ErrorBody } from "@vs/core";
import type { Env } from "./context.js";

/** The one place an error becomes a response: `{error: {message, type, param, code}}`, never a stack trace. */
export function errorResponse(error: unknown, c: Context<Env>): Response {
  const record = c.get("record");
  if (VsError.isInstance(error)) {
    if (record) record.error_code = error.code;
    if (error.status >= 500) c.get("logger")?.warn({ err_code: error.code, err_message: error.message }, "upstream or service failure");
    return c.json(error.toBody(), error.status as 400);
  }
  if (error instanceof HTTPException) {
    const body: ErrorBody = { error: { message: error.message || "Bad request", type: "invalid_request_error", param: null, code: `http_${error.status}` } };
    return c.json(body, error.status);
  }
  c.get("logger")?.error({ err: error }, "unhandled error");
  if (record) record.error_code = "internal_error";
  const body: ErrorBody = { error: { message: "Internal server error. The gateway logged the details.", type: "internal_error", param: null, code: "internal_error" } };
  return c.json(body, 500);
}
