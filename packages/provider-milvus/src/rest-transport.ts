import { AbortedError, BadRequestError, UpstreamError, UpstreamTimeoutError } from "@vs/core";
import { Pool, type Dispatcher } from "undici";
import { hasUnsafeIntegerLiteral, parseJsonExact } from "./exact-json.js";
import { DEFAULT_MILVUS_TIMEOUT_MS } from "./milvus-options.js";
import { redactSecrets, secretsOfToken } from "./milvus-secrets.js";
import { encodeMilvusBody } from "./vector-json.js";
import type { MilvusCallOptions, MilvusResponse, MilvusTransport } from "./milvus-transport.js";

export interface RestTransportSettings {
  /** `http(s)://host[:port][/prefix]`; requests go to `{baseUrl}/v2/vectordb/{endpoint}`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; omitted when absent. */
  token?: string | undefined;
  /** Default per-call timeout (ms). */
  timeoutMs?: number | undefined;
  /** An undici dispatcher to send through instead of the transport's own keep-alive pool (tests, proxies). */
  dispatcher?: Dispatcher | undefined;
}

/** `collections/describe`, `entities/search`, `partitions/list`, `jobs/import/create`: path segments only. */
const ENDPOINT = /^[A-Za-z_]+(?:\/[A-Za-z_]+)*$/;
/** How much of a body that is not a Milvus answer is quoted in an error message. */
const BODY_EXCERPT_CHARS = 200;

/**
 * Milvus REST v2 over HTTP: `POST {baseUrl}/v2/vectordb/{endpoint}` with a JSON body, through one keep-alive
 * undici pool per transport. Follows the `MilvusTransport` contract: Milvus answers (any `code`) are returned;
 * failing to get one is thrown (502 unreachable, 504 timeout, 499 aborted by the caller).
 *
 * Integers stay exact both ways: a body holding `JSON.rawJSON` values is sent as written, and integers past 2^53 in
 * an answer come back as decimal strings (as the gRPC transport gives them), never rounded. Upstream text (Milvus
 * messages, quoted bodies) is cleaned of the token before it is returned or thrown.
 */
export function createRestTransport(settings: RestTransportSettings): MilvusTransport {
  let base: URL;
  try {
    base = new URL(settings.baseUrl);
  } catch {
    throw new BadRequestError("api_base: the Milvus address is not a URL.", { param: "api_base" });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new BadRequestError("api_base: the REST transport needs an http:// or https:// address.", { param: "api_base" });
  }
  const origin = base.origin;
  const host = base.host;
  const pathPrefix = base.pathname.replace(/\/+$/, "");
  const ownPool = settings.dispatcher === undefined ? new Pool(origin, { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 }) : undefined;
  const dispatcher: Dispatcher = settings.dispatcher ?? (ownPool as Pool);
  const defaultTimeoutMs = settings.timeoutMs ?? DEFAULT_MILVUS_TIMEOUT_MS;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json",
    // Without it Milvus sends int64 values (primary keys included) as JSON strings.
    "accept-type-allow-int64": "true",
  };
  if (settings.token !== undefined && settings.token !== "") headers.authorization = `Bearer ${settings.token}`;
  const secrets = secretsOfToken(settings.token);
  let closed = false;

  async function call(endpoint: string, body: Record<string, unknown>, options: MilvusCallOptions = {}): Promise<MilvusResponse> {
    if (!ENDPOINT.test(endpoint)) {
      throw new BadRequestError(`Invalid Milvus endpoint "${endpoint.slice(0, 100)}": expected path segments such as entities/search.`, { param: "endpoint" });
    }
    if (closed) throw new UpstreamError({ upstream: "vector_store", message: `The Milvus transport for ${host} is closed.` });
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw new AbortedError(callerSignal.reason);

    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    // Outside the try: a body that cannot be serialised (too deep, a cycle) is our bug or the caller's, not an outage.
    const payload = options.encodedBody ?? encodeMilvusBody(body);
    // undici's own per-request timeouts (no timer and no AbortController per call): the answer's headers, then each
    // gap in its body, must arrive within `timeoutMs`.
    try {
      const response = await dispatcher.request({
        origin,
        path: `${pathPrefix}/v2/vectordb/${endpoint}`,
        method: "POST",
        headers,
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(callerSignal ? { signal: callerSignal } : {}),
      });
      const text = await response.body.text();
      return interpretAnswer(response.statusCode, text, host, secrets);
    } catch (error) {
      if (callerSignal?.aborted) throw new AbortedError(error);
      const code = (error as { code?: unknown }).code;
      if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") throw new UpstreamTimeoutError("vector_store", timeoutMs, error);
      if (UpstreamError.isInstance(error)) throw error;
      throw new UpstreamError({
        upstream: "vector_store",
        status: 502,
        isRetryable: true,
        message: `Could not reach the vector store at ${host}: ${networkFailureReason(error)}.`,
        cause: error,
      });
    }
  }

  return {
    kind: "rest",
    call,
    async close() {
      if (closed) return;
      closed = true;
      await ownPool?.close();
    },
  };
}

/**
 * A Milvus answer is a JSON object with a numeric `code`, whatever the HTTP status (Milvus sends 401 with code
 * 1800): it is returned as is. A 401/403 without one (a gateway or load balancer in front of Milvus) becomes a
 * code 1800 answer, so it maps to "the store rejected our credentials". Anything else is not an answer: 502.
 */
function interpretAnswer(statusCode: number, text: string, host: string, secrets: readonly string[]): MilvusResponse {
  const parsed = parseJson(text);
  if (isMilvusAnswer(parsed)) {
    if (typeof parsed.message === "string") parsed.message = redactSecrets(parsed.message, secrets);
    return parsed;
  }
  const quoted = excerpt(redactSecrets(text, secrets));
  if (statusCode === 401 || statusCode === 403) {
    return { code: 1800, message: `HTTP ${statusCode} from ${host}${quoted === "" ? "" : `: ${quoted}`}` };
  }
  const what = statusCode >= 200 && statusCode < 300 ? "a body that is not a Milvus answer" : `HTTP ${statusCode}`;
  throw new UpstreamError({
    upstream: "vector_store",
    status: 502,
    upstreamStatus: statusCode,
    message: `The vector store at ${host} answered with ${what}${quoted === "" ? "" : `: ${quoted}`}.`,
  });
}

function parseJson(text: string): unknown {
  try {
    return parseJsonExact(text, "string", hasUnsafeIntegerLiteral(text));
  } catch {
    return undefined;
  }
}

function isMilvusAnswer(value: unknown): value is MilvusResponse {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { code?: unknown }).code === "number";
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > BODY_EXCERPT_CHARS ? `${flat.slice(0, BODY_EXCERPT_CHARS)}…` : flat;
}

function networkFailureReason(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (typeof code === "string" && code.startsWith("UND_ERR_") && typeof cause?.code === "string") return cause.code;
    if (typeof code === "string") return code;
    if (typeof cause?.code === "string") return cause.code;
  }
  return error instanceof Error ? error.name : "network error";
}
