import { request, type Dispatcher } from "undici";
import { z } from "zod";
import {
  AbortedError,
  UpstreamError,
  UpstreamTimeoutError,
  VsError,
  type CallOptions,
  type EmbeddingModel,
  type EmbeddingResult,
} from "@vs/core";
import { approximateTokenCount, embedInBatches, emptyUsage } from "./batching.js";
import { sleep, throwIfAborted } from "./abort.js";
import { backoffDelayMs, parseRetryAfterMs } from "./retry.js";

/** Everything an OpenAI-shaped `/embeddings` endpoint needs; built by the `openai` and `azure` providers. */
export interface HttpEmbeddingSettings {
  provider: "openai" | "azure";
  modelId: string;
  url: string;
  /** Request headers, credentials included. */
  headers: Record<string, string>;
  /** Body fields sent with every request besides `input`. */
  bodyFields: Record<string, unknown>;
  /** Redacted from any upstream text we pass on. */
  secrets: string[];
  dimensions: number | undefined;
  maxInputsPerCall: number;
  timeoutMs: number;
  maxRetries: number;
  identity: string;
  inputCostPerToken: number;
  dispatcher: Dispatcher;
  /** Where the credentials came from, for the message of a 401/403, e.g. "litellm_embedding_config.api_key or AZURE_API_KEY". */
  credentialsHint: string;
  /** What a 404 usually means for this provider. */
  notFoundHint: string;
}

function isFiniteNumberArray(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (let index = 0; index < value.length; index++) if (typeof value[index] !== "number" || !Number.isFinite(value[index])) return false;
  return true;
}

const embeddingResponseSchema = z.object({
  data: z.array(
    z.object({
      // A plain loop, not z.array(z.number()): this runs over every float of every vector on the hot path.
      embedding: z.custom<number[]>(isFiniteNumberArray, "must be a list of numbers"),
      index: z.number().int().nonnegative().nullish(),
    }),
  ),
  usage: z
    .object({
      prompt_tokens: z.number().nonnegative().nullish(),
      total_tokens: z.number().nonnegative().nullish(),
    })
    .nullish(),
});

const upstreamCodeSchema = z.union([z.string(), z.number()]).nullish().catch(null);

/** OpenAI and Azure send `{error: {message, code}}`; TEI and Ollama `{error: "..."}`; older vLLM `{message, code}`. */
const errorBodySchema = z.object({
  error: z
    .union([
      z.string(),
      z.object({ message: z.string().nullish().catch(null), code: upstreamCodeSchema, type: z.string().nullish().catch(null) }),
    ])
    .nullish()
    .catch(null),
  message: z.string().nullish().catch(null),
  code: upstreamCodeSchema,
});

const MAX_UPSTREAM_MESSAGE_LENGTH = 500;

type AttemptOutcome =
  | { kind: "success"; result: EmbeddingResult }
  | { kind: "retry"; error: VsError; retryAfterMs: number | undefined };

export class HttpEmbeddingModel implements EmbeddingModel {
  readonly specificationVersion = "v1" as const;
  readonly provider: string;
  readonly modelId: string;
  readonly dimensions: number | undefined;
  readonly maxInputsPerCall: number;
  readonly identity: string;
  readonly inputCostPerToken: number;
  readonly #settings: HttpEmbeddingSettings;

  constructor(settings: HttpEmbeddingSettings) {
    this.#settings = settings;
    this.provider = settings.provider;
    this.modelId = settings.modelId;
    this.dimensions = settings.dimensions;
    this.maxInputsPerCall = settings.maxInputsPerCall;
    this.identity = settings.identity;
    this.inputCostPerToken = settings.inputCostPerToken;
  }

  async embed(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    throwIfAborted(options.signal);
    if (texts.length === 0) return { vectors: [], usage: emptyUsage() };
    return embedInBatches(texts, this.maxInputsPerCall, (batch) => this.#embedBatch(batch, options.signal));
  }

  /** One upstream request with its retries; `timeoutMs` bounds all of it, backoff included. */
  async #embedBatch(texts: string[], signal: AbortSignal | undefined): Promise<EmbeddingResult> {
    const { maxRetries, timeoutMs } = this.#settings;
    const deadline = Date.now() + timeoutMs;
    const body = JSON.stringify({ ...this.#settings.bodyFields, input: texts });
    for (let retry = 0; ; retry++) {
      const outcome = await this.#attempt(body, texts, signal, deadline);
      if (outcome.kind === "success") return outcome.result;
      if (retry >= maxRetries) throw outcome.error;
      const delay = outcome.retryAfterMs ?? backoffDelayMs(retry);
      // Sleeping past the deadline would only turn this answer into a timeout.
      if (Date.now() + delay >= deadline) throw outcome.error;
      await sleep(delay, signal);
    }
  }

  async #attempt(body: string, texts: string[], signal: AbortSignal | undefined, deadline: number): Promise<AttemptOutcome> {
    const { timeoutMs } = this.#settings;
    throwIfAborted(signal);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new UpstreamTimeoutError("embedding", timeoutMs);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, remaining);
    const onCallerAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    try {
      const response = await request(this.#settings.url, {
        method: "POST",
        headers: this.#settings.headers,
        body,
        signal: controller.signal,
        dispatcher: this.#settings.dispatcher,
      });
      const responseText = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { kind: "success", result: this.#parseSuccess(responseText, texts) };
      }
      const error = this.#upstreamError(response.statusCode, responseText);
      if (!error.isRetryable) throw error;
      return {
        kind: "retry",
        error,
        retryAfterMs: parseRetryAfterMs({ retryAfter: headerValue(response.headers["retry-after"]), retryAfterMs: headerValue(response.headers["retry-after-ms"]) }),
      };
    } catch (error) {
      if (VsError.isInstance(error)) throw error;
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (timedOut) throw new UpstreamTimeoutError("embedding", timeoutMs, error);
      return { kind: "retry", error: this.#networkError(error), retryAfterMs: undefined };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  #parseSuccess(responseText: string, texts: string[]): EmbeddingResult {
    const { provider } = this.#settings;
    const invalid = (reason: string): UpstreamError =>
      new UpstreamError({ upstream: "embedding", upstreamStatus: 200, message: `${provider} embedding response is invalid: ${reason}` });
    let json: unknown;
    try {
      json = JSON.parse(responseText);
    } catch {
      throw invalid("not JSON");
    }
    const parsed = embeddingResponseSchema.safeParse(json);
    if (!parsed.success) throw invalid(parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).slice(0, 3).join("; "));
    const { data, usage } = parsed.data;
    if (data.length !== texts.length) throw invalid(`${data.length} embeddings for ${texts.length} inputs`);
    const ordered = data.map((item, position) => ({ index: item.index ?? position, embedding: item.embedding }));
    ordered.sort((left, right) => left.index - right.index);
    if (ordered.some((item, position) => item.index !== position)) throw invalid("the indexes are not 0..n-1");
    const vectors = ordered.map((item) => item.embedding);
    const expectedDimensions = this.#settings.dimensions;
    const wrongSize = vectors.find((vector) => vector.length !== (expectedDimensions ?? vectors[0]?.length));
    if (wrongSize !== undefined) {
      throw invalid(expectedDimensions === undefined ? "vectors of different lengths" : `a vector of ${wrongSize.length} dimensions, expected ${expectedDimensions}`);
    }
    const promptTokens = usage?.prompt_tokens ?? approximateTokenCount(texts);
    return { vectors, usage: { prompt_tokens: promptTokens, total_tokens: usage?.total_tokens ?? promptTokens } };
  }

  #upstreamError(upstreamStatus: number, responseText: string): UpstreamError {
    const { provider } = this.#settings;
    const { message, code } = this.#describeErrorBody(responseText);
    let text = `${provider} embedding request failed (HTTP ${upstreamStatus}): ${message}`;
    if (upstreamStatus === 401 || upstreamStatus === 403) {
      text += ` — the gateway's embedding credentials were rejected; check ${this.#settings.credentialsHint}.`;
    } else if (upstreamStatus === 404) {
      text += ` — ${this.#settings.notFoundHint}.`;
    }
    return new UpstreamError({
      upstream: "embedding",
      status: gatewayStatus(upstreamStatus),
      upstreamStatus,
      upstreamCode: code ?? upstreamStatus,
      message: text,
    });
  }

  #describeErrorBody(responseText: string): { message: string; code: string | number | null } {
    let json: unknown;
    try {
      json = JSON.parse(responseText);
    } catch {
      json = undefined;
    }
    const parsed = errorBodySchema.safeParse(json);
    let message: string | null | undefined;
    let code: string | number | null | undefined;
    if (parsed.success) {
      const { error } = parsed.data;
      message = typeof error === "string" ? error : error?.message ?? parsed.data.message;
      code = typeof error === "object" && error !== null ? error.code : parsed.data.code;
    }
    message ??= responseText.trim() === "" ? "(empty response body)" : responseText;
    return { message: this.#redact(truncate(message.trim())), code: code ?? null };
  }

  #networkError(error: unknown): UpstreamError {
    const code = networkErrorCode(error);
    const { provider, url } = this.#settings;
    return new UpstreamError({
      upstream: "embedding",
      status: 502,
      upstreamStatus: null,
      upstreamCode: code,
      isRetryable: true,
      message: this.#redact(`${provider} embedding request to ${new URL(url).origin} failed: ${code ?? "network error"}${error instanceof Error && error.message !== "" ? ` (${error.message})` : ""}`),
      cause: error,
    });
  }

  #redact(text: string): string {
    return redactSecrets(text, this.#settings.secrets);
  }
}

/** Whose fault it is, as far as our caller is concerned: their input (400), a missing deployment (404), a rate limit (429), or ours (502). */
function gatewayStatus(upstreamStatus: number): number {
  switch (upstreamStatus) {
    case 400:
    case 413:
    case 422:
      return 400;
    case 404:
      return 404;
    case 429:
      return 429;
    default:
      return 502;
  }
}

/**
 * Removes each secret, and anything shaped like an OpenAI key: OpenAI echoes a masked key (`sk-ab***yz`) whose
 * visible ends still identify it.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret.length >= 4) redacted = redacted.split(secret).join("[redacted]");
  }
  return redacted.replace(/\bsk-[A-Za-z0-9_*.-]{4,}/g, "sk-[redacted]");
}

function truncate(text: string): string {
  return text.length <= MAX_UPSTREAM_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_UPSTREAM_MESSAGE_LENGTH)}…`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function networkErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
