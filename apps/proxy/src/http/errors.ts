import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { VsError, type ErrorBody } from "@vs/core";
import type { Concealment, Env } from "./context.js";

/**
 * Registers texts a virtual key must not see in an error (the real collection, the store's address) and what it sees
 * instead. The master key and the log keep them.
 */
export function concealFromCaller(c: Context<Env>, concealments: Concealment[]): void {
  const current = (c.get("concealed") as Concealment[] | undefined) ?? [];
  c.set("concealed", [...current, ...concealments.filter((entry) => entry.text !== "" && entry.text !== entry.replacement)]);
}

/** The one place an error becomes a response: `{error: {message, type, param, code}}`, never a stack trace. */
export function errorResponse(error: unknown, c: Context<Env>): Response {
  const record = c.get("record");
  if (VsError.isInstance(error)) {
    if (record) {
      record.error_code = error.code;
      const failure = upstreamFailure(error);
      if (failure) record.upstream_failure = failure;
    }
    const forVirtualKey = (c.get("caller") as { kind: string } | undefined)?.kind !== "master";
    const isVectorStoreFailure = (error as { upstream?: unknown }).upstream === "vector_store";
    if (error.status >= 500) c.get("logger")?.warn({ err_code: error.code, err_message: error.message }, "upstream or service failure");
    else if (isVectorStoreFailure && forVirtualKey)
      c.get("logger")?.info({ err_code: error.code, err_message: error.message }, "vector store refused the request");
    const body = error.toBody();
    if (isVectorStoreFailure && forVirtualKey) {
      const concealed = (c.get("concealed") as Concealment[] | undefined) ?? [];
      body.error.message = `${publicVectorStoreMessage(error, concealed)} Request id: ${c.get("requestId")}.`;
    }
    return c.json(body, error.status as 400);
  }
  if (error instanceof HTTPException) {
    const body: ErrorBody = { error: { message: error.message || "Bad request", type: "invalid_request_error", param: null, code: `http_${error.status}` } };
    return c.json(body, error.status);
  }
  c.get("logger")?.error({ err: error }, "unhandled error");
  if (record) record.error_code = "internal_error";
  const body: ErrorBody = {
    error: { message: "Internal server error. The gateway logged the details.", type: "internal_error", param: null, code: "internal_error" },
  };
  return c.json(body, 500);
}

/** For the upstream-errors metric: which upstream, and a code from a small set (never free text). */
function upstreamFailure(error: VsError): { upstream: string; code: string } | undefined {
  const failed = error as VsError & { upstream?: unknown; upstreamCode?: unknown; upstreamStatus?: unknown };
  if (typeof failed.upstream !== "string") return undefined;
  const code = failed.upstreamCode ?? failed.upstreamStatus ?? (error.status === 504 ? "timeout" : "unreachable");
  return { upstream: failed.upstream, code: String(code).slice(0, 64) };
}

/**
 * What a virtual key is told when the vector store fails: what failed, never where the store is or what its
 * collections are really called. Milvus's own words are kept only for a request it found invalid (the caller can fix
 * it), with the concealed names replaced.
 */
function publicVectorStoreMessage(
  error: VsError & { upstreamCode?: string | null; upstreamMessage?: string | null },
  concealed: readonly Concealment[],
): string {
  if (error.status === 504) return "The vector store did not answer in time.";
  const upstreamCode = error.upstreamCode ?? null;
  const upstreamMessage = error.upstreamMessage ?? null;
  const milvusCode = upstreamCode === null ? "" : ` (Milvus code ${upstreamCode})`;
  switch (error.status) {
    case 400: {
      const detail = upstreamMessage === null ? "" : `: ${conceal(upstreamMessage, concealed)}`;
      return `The vector store rejected the request as invalid${milvusCode}${detail}.`;
    }
    case 401:
      return `The vector store rejected the gateway's own credentials${milvusCode}; an administrator must fix the gateway's configuration.`;
    case 404:
      return `The vector store has no collection behind this vector store or index${milvusCode}.`;
    case 429:
      return `The vector store is rate limiting requests${milvusCode}; retry later.`;
    default:
      return upstreamCode === null
        ? "The vector store could not be reached or gave no usable answer."
        : `The vector store answered with an error${milvusCode}.`;
  }
}

function conceal(text: string, concealed: readonly Concealment[]): string {
  let result = text;
  // Longest first: a name that contains another is replaced whole.
  for (const { text: hidden, replacement } of [...concealed].sort((a, b) => b.text.length - a.text.length)) result = result.split(hidden).join(replacement);
  return result;
}
