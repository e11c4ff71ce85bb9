import { request, type Dispatcher } from "undici";
import { z } from "zod";
import {
  AbortedError,
  UpstreamError,
  UpstreamTimeoutError,
  VsError,
  type EmbedOptions,
  type EmbeddingInputType,
  type EmbeddingModel,
  type EmbeddingResult,
} from "@vs/core";
import { approximateTokenCount, embedInBatches, emptyUsage } from "./batching.js";
import { sleep, throwIfAborted } from "./abort.js";
import { backoffDelayMs, parseRetryAfterMs } from "./retry.js";

/** One upstream request, as a provider builds it for a batch of texts. */
export interface EmbeddingHttpRequest {
  url: string;
  /** Request headers, credentials included. */
  headers: Record<string, string>;
  body: string;
  /** Credentials made for this request (an OAuth access token), redacted like the configured ones. */
  secrets?: string[];
}

/** A provider's answer, already mapped: vectors in input order, and the tokens it billed when it says so. */
export interface ParsedEmbeddings {
  vectors: number[][];
  /** Undefined when the provider reports no count; the model then estimates one (see `approximateTokenCount`). */
  promptTokens: number | undefined;
}

/** Thrown by a provider's `parseResponse` for an answer that does not have the documented shape. */
export class InvalidEmbeddingResponse extends Error {}

/**
 * One provider's mapping: how a batch becomes a request and how the documented answer becomes vectors. Transport,
 * retries, timeouts, error mapping and redaction are the model's; see `providers/` for one file per provider.
 */
export interface HttpEmbeddingSettings {
  provider: string;
  modelId: string;
  /** Shown in network errors: the origin only, never a path or query that could hold a key. */
  origin: string;
  buildRequest(texts: string[], inputType: EmbeddingInputType): EmbeddingHttpRequest | Promise<EmbeddingHttpRequest>;
  /** Maps the parsed JSON of a 2xx answer; throws `InvalidEmbeddingResponse` when it does not fit the documented shape. */
  parseResponse(json: unknown, headers: Record<string, string | string[] | undefined>): ParsedEmbeddings;
  /** Header carrying the upstream's error code when the body has none (Bedrock's `x-amzn-errortype`). */
  errorCodeHeader?: string;
  /** Redacted from any upstream text we pass on. */
  secrets: string[];
  dimensions: number | undefined;
  /** Checked against every returned vector; the config's `dimensions`, or the model's documented size. */
  enforcedDimensions?: number | undefined;
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

/** A list of numbers, checked with a plain loop, not z.array(z.number()): this runs over every float of every vector on the hot path. */
export const vectorSchema = z.custom<number[]>(isFiniteNumberArray, "must be a list of numbers");

/**
 * OpenAI's `encoding_format: "base64"`: the vector's little-endian float32 bytes in base64. A third of the bytes of
 * the JSON floats, and decoding is a copy where parsing 1,536 decimal numbers is most of an answer's cost. The values
 * come out as numbers that are exactly float32 (what the model computed and what Milvus stores).
 */
export function decodeBase64Float32(text: string): number[] | undefined {
  const bytes = Buffer.from(text, "base64");
  if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) return undefined;
  // Buffer.from may hand out a slice of its pool at any offset: a copy gives the float view an aligned start.
  const floats = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(floats.buffer).set(bytes);
  const vector = new Array<number>(floats.length);
  for (let index = 0; index < floats.length; index++) {
    const value = floats[index] as number;
    if (!Number.isFinite(value)) return undefined;
    vector[index] = value;
  }
  return vector;
}

/** A vector as JSON floats, or as base64 float32 bytes (what a server sends when asked for `encoding_format: "base64"`). */
const encodedVectorSchema = z.custom<number[] | string>(
  (value) => typeof value === "string" || isFiniteNumberArray(value),
  "must be a list of numbers or base64 float32 bytes",
);

/** The OpenAI `/embeddings` answer, which many providers copy (Voyage, Mistral, Jina, NVIDIA NIM, Together, Fireworks). */
export const openAIEmbeddingResponseSchema = z.object({
  data: z.array(
    z.object({
      embedding: encodedVectorSchema,
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

/** Parses `json` with `schema` or throws `InvalidEmbeddingResponse` naming the first few bad fields. */
export function parseOrInvalid<T>(schema: z.ZodType<T>, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new InvalidEmbeddingResponse(
      parsed.error.issues
        .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
        .slice(0, 3)
        .join("; "),
    );
  return parsed.data;
}

/** Vectors of an OpenAI-shaped answer, put in input order by `index`. */
export function parseOpenAIShape(json: unknown): ParsedEmbeddings {
  const { data, usage } = parseOrInvalid(openAIEmbeddingResponseSchema, json);
  const ordered = data.map((item, position) => {
    const embedding = typeof item.embedding === "string" ? decodeBase64Float32(item.embedding) : item.embedding;
    if (embedding === undefined) throw new InvalidEmbeddingResponse(`data.${position}.embedding: not base64 of finite float32 values`);
    return { index: item.index ?? position, embedding };
  });
  ordered.sort((left, right) => left.index - right.index);
  if (ordered.some((item, position) => item.index !== position)) throw new InvalidEmbeddingResponse("the indexes are not 0..n-1");
  return { vectors: ordered.map((item) => item.embedding), promptTokens: usage?.prompt_tokens ?? usage?.total_tokens ?? undefined };
}

const upstreamCodeSchema = z.union([z.string(), z.number()]).nullish().catch(null);

/**
 * Every documented error shape of the supported providers: OpenAI, Azure, Mistral `{error: {message, code}}`;
 * Google (Vertex, Gemini) `{error: {code, message, status}}`; TEI, Ollama, the HF Inference API `{error: "..."}`
 * (TEI adds `error_type`); Cohere, Bedrock, older vLLM `{message}`; Voyage, Jina, FastAPI servers `{detail: "..."}`
 * or `{detail: [{msg}]}`.
 */
const errorBodySchema = z.object({
  error: z
    .union([
      z.string(),
      z.object({
        message: z.string().nullish().catch(null),
        code: upstreamCodeSchema,
        type: z.string().nullish().catch(null),
        status: z.string().nullish().catch(null),
      }),
    ])
    .nullish()
    .catch(null),
  error_type: z.string().nullish().catch(null),
  message: z.string().nullish().catch(null),
  detail: z
    .union([z.string(), z.array(z.object({ msg: z.string() }).loose())])
    .nullish()
    .catch(null),
  code: upstreamCodeSchema,
  type: z.string().nullish().catch(null),
});

const MAX_UPSTREAM_MESSAGE_LENGTH = 500;

type AttemptOutcome = { kind: "success"; result: EmbeddingResult } | { kind: "retry"; error: VsError; retryAfterMs: number | undefined };

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

  async embed(texts: string[], options: EmbedOptions = {}): Promise<EmbeddingResult> {
    throwIfAborted(options.signal);
    if (texts.length === 0) return { vectors: [], usage: emptyUsage() };
    const inputType = options.inputType ?? "document";
    return embedInBatches(texts, this.maxInputsPerCall, (batch) => this.#embedBatch(batch, inputType, options.signal));
  }

  /** One upstream request with its retries; `timeoutMs` bounds all of it, backoff included. */
  async #embedBatch(texts: string[], inputType: EmbeddingInputType, signal: AbortSignal | undefined): Promise<EmbeddingResult> {
    const { maxRetries, timeoutMs } = this.#settings;
    const deadline = Date.now() + timeoutMs;
    for (let retry = 0; ; retry++) {
      // Built per attempt: a signature or an access token may expire between two attempts.
      const outcome = await this.#attempt(inputType, texts, signal, deadline);
      if (outcome.kind === "success") return outcome.result;
      if (retry >= maxRetries) throw outcome.error;
      const delay = outcome.retryAfterMs ?? backoffDelayMs(retry);
      // Sleeping past the deadline would only turn this answer into a timeout.
      if (Date.now() + delay >= deadline) throw outcome.error;
      await sleep(delay, signal);
    }
  }

  async #attempt(inputType: EmbeddingInputType, texts: string[], signal: AbortSignal | undefined, deadline: number): Promise<AttemptOutcome> {
    const { timeoutMs } = this.#settings;
    throwIfAborted(signal);
    let built: EmbeddingHttpRequest;
    try {
      built = await this.#settings.buildRequest(texts, inputType);
    } catch (error) {
      if (VsError.isInstance(error)) throw error;
      // Credentials that cannot be had (no AWS profile, a token endpoint refusing the service account) are the gateway's problem.
      throw new UpstreamError({
        upstream: "embedding",
        status: 502,
        upstreamStatus: null,
        upstreamCode: "embedding_credentials",
        message: this.#redact(
          `${this.#settings.provider} embedding credentials could not be obtained: ${error instanceof Error ? error.message : String(error)} — check ${this.#settings.credentialsHint}.`,
        ),
        cause: error,
      });
    }
    const requestSecrets = built.secrets ?? [];
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
      const response = await request(built.url, {
        method: "POST",
        headers: built.headers,
        body: built.body,
        signal: controller.signal,
        dispatcher: this.#settings.dispatcher,
      });
      const responseText = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { kind: "success", result: this.#parseSuccess(responseText, response.headers, texts) };
      }
      const error = this.#upstreamError(response.statusCode, responseText, response.headers, requestSecrets);
      if (!error.isRetryable) throw error;
      return {
        kind: "retry",
        error,
        retryAfterMs: parseRetryAfterMs({
          retryAfter: headerValue(response.headers["retry-after"]),
          retryAfterMs: headerValue(response.headers["retry-after-ms"]),
        }),
      };
    } catch (error) {
      if (VsError.isInstance(error)) throw error;
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (timedOut) throw new UpstreamTimeoutError("embedding", timeoutMs, error);
      return { kind: "retry", error: this.#networkError(error, requestSecrets), retryAfterMs: undefined };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  #parseSuccess(responseText: string, headers: Record<string, string | string[] | undefined>, texts: string[]): EmbeddingResult {
    const { provider } = this.#settings;
    const invalid = (reason: string): UpstreamError =>
      new UpstreamError({ upstream: "embedding", upstreamStatus: 200, message: `${provider} embedding response is invalid: ${reason}` });
    let json: unknown;
    try {
      json = JSON.parse(responseText);
    } catch {
      throw invalid("not JSON");
    }
    let parsed: ParsedEmbeddings;
    try {
      parsed = this.#settings.parseResponse(json, headers);
    } catch (error) {
      if (error instanceof InvalidEmbeddingResponse) throw invalid(error.message);
      throw error;
    }
    const { vectors, promptTokens } = parsed;
    if (vectors.length !== texts.length) throw invalid(`${vectors.length} embeddings for ${texts.length} inputs`);
    const expectedDimensions = this.#settings.enforcedDimensions ?? this.#settings.dimensions;
    const wrongSize = vectors.find((vector) => vector.length !== (expectedDimensions ?? vectors[0]?.length));
    if (wrongSize !== undefined) {
      throw invalid(
        expectedDimensions === undefined ? "vectors of different lengths" : `a vector of ${wrongSize.length} dimensions, expected ${expectedDimensions}`,
      );
    }
    const tokens = promptTokens ?? approximateTokenCount(texts);
    return { vectors, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  #upstreamError(
    upstreamStatus: number,
    responseText: string,
    headers: Record<string, string | string[] | undefined>,
    requestSecrets: string[],
  ): UpstreamError {
    const { provider, errorCodeHeader } = this.#settings;
    const described = this.#describeErrorBody(responseText, requestSecrets);
    const message = described.message;
    const code = described.code ?? (errorCodeHeader === undefined ? null : (headerValue(headers[errorCodeHeader])?.split(":")[0] ?? null));
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

  #describeErrorBody(responseText: string, requestSecrets: string[]): { message: string; code: string | number | null } {
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
      const { error, detail } = parsed.data;
      const detailText = typeof detail === "string" ? detail : detail?.map((item) => item.msg).join("; ");
      message = typeof error === "string" ? error : (error?.message ?? parsed.data.message ?? detailText);
      // Google's numeric `code` only repeats the HTTP status; its `status` (e.g. INVALID_ARGUMENT) says more.
      code =
        typeof error === "object" && error !== null
          ? (error.status ?? error.code ?? error.type)
          : (parsed.data.code ?? parsed.data.error_type ?? parsed.data.type);
    }
    message ??= responseText.trim() === "" ? "(empty response body)" : responseText;
    return { message: this.#redact(truncate(message.trim()), requestSecrets), code: code ?? null };
  }

  #networkError(error: unknown, requestSecrets: string[]): UpstreamError {
    const code = networkErrorCode(error);
    const { provider, origin } = this.#settings;
    return new UpstreamError({
      upstream: "embedding",
      status: 502,
      upstreamStatus: null,
      upstreamCode: code,
      isRetryable: true,
      message: this.#redact(
        `${provider} embedding request to ${origin} failed: ${code ?? "network error"}${error instanceof Error && error.message !== "" ? ` (${error.message})` : ""}`,
        requestSecrets,
      ),
      cause: error,
    });
  }

  #redact(text: string, requestSecrets: string[] = []): string {
    return redactSecrets(text, [...this.#settings.secrets, ...requestSecrets]);
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
