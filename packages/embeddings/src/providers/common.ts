import { BadRequestError, type EmbeddingConfig, type EmbeddingInputType } from "@vs/core";
import type { Dispatcher } from "undici";
import type { HttpEmbeddingSettings } from "../http-embedding-model.js";
import { inputCostPerToken, lookupEmbeddingPrice } from "../pricing.js";

export type Environment = Record<string, string | undefined>;

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;

/** What every provider is built from. */
export interface ProviderContext {
  /** The prefix, e.g. `cohere`. */
  provider: string;
  /** Everything after the prefix, e.g. `embed-v4.0` or `nomic-ai/nomic-embed-text-v1.5`. */
  modelId: string;
  config: EmbeddingConfig;
  env: Environment;
  dispatcher: Dispatcher;
}

/** Keys of `litellm_embedding_config` that vs reads itself; never forwarded upstream. */
const VS_KEYS = [
  "api_base",
  "api_key",
  "api_version",
  "dimensions",
  "timeout_ms",
  "max_retries",
  "input_cost_per_token",
  "query_input_type",
  "document_input_type",
];

/**
 * LiteLLM `litellm_params` that configs carry but that are router, client or credential settings, not request
 * fields: forwarding one would be a 400 upstream (or, for credentials, a leak).
 */
const LITELLM_CLIENT_KEYS = [
  "timeout",
  "stream_timeout",
  "num_retries",
  "max_parallel_requests",
  "rpm",
  "tpm",
  "order",
  "weight",
  "drop_params",
  "custom_llm_provider",
  "litellm_credential_name",
  "use_in_pass_through",
  "api_type",
  "organization",
  "azure_ad_token",
  "azure_ad_token_provider",
  "input_cost_per_second",
  "output_cost_per_token",
  "base_model",
  "tags",
  "mode",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "aws_region_name",
  "aws_profile_name",
  "aws_bedrock_runtime_endpoint",
  "aws_role_name",
  "aws_session_name",
  "aws_web_identity_token",
  "aws_sts_endpoint",
  "vertex_project",
  "vertex_location",
  "vertex_credentials",
  "vertex_ai_project",
  "vertex_ai_location",
  "vertex_ai_credentials",
  "encoding_format",
  "input_type",
  "task_type",
];

/**
 * Unknown config keys are the model's own request parameters (e.g. `user`, `truncate`), as in LiteLLM; `ownKeys`
 * are those the provider maps itself.
 */
export function extraBodyFields(config: EmbeddingConfig, ownKeys: readonly string[] = []): Record<string, unknown> {
  const skip = new Set([...VS_KEYS, ...LITELLM_CLIENT_KEYS, ...ownKeys]);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!skip.has(key) && value !== undefined) fields[key] = value;
  }
  return fields;
}

/** How one provider says "query" and "document", and the config field that carries it. */
export interface InputTypeMapping {
  /** The provider's own field, as LiteLLM names it in a config (`input_type`, `task_type`, `task`). */
  field: string;
  query: string;
  document: string;
}

/**
 * The value for `inputType`: `query_input_type` / `document_input_type` from the config first, then the provider's own
 * field when the config sets it (a fixed mode for both, as in LiteLLM), then the provider's query/document value.
 */
export function inputTypeValue(config: EmbeddingConfig, mapping: InputTypeMapping, inputType: EmbeddingInputType): string {
  const perMode = config[inputType === "query" ? "query_input_type" : "document_input_type"];
  if (typeof perMode === "string") return perMode;
  const fixed = config[mapping.field];
  if (typeof fixed === "string" && fixed !== "") return fixed;
  return mapping[inputType];
}

/**
 * Nomic's models (and others trained the same way) have no mode parameter: the text itself starts with
 * `search_query: ` or `search_document: `. Applied where the provider serving them has no parameter of its own.
 */
export function textPrefix(modelId: string, config: EmbeddingConfig, inputType: EmbeddingInputType): string {
  if (!/nomic-embed-text/i.test(modelId)) return "";
  return inputTypeValue(config, { field: "\u0000none", query: "search_query: ", document: "search_document: " }, inputType);
}

export function parseApiBase(value: string, envName: string | undefined): URL {
  let url: URL;
  const where = `litellm_embedding_config.api_base${envName === undefined ? "" : ` (or ${envName})`}`;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BadRequestError(`${where} must be an http(s) URL.`, { param: "litellm_embedding_config.api_base" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BadRequestError(`${where} must be an http(s) URL, not ${url.protocol}.`, { param: "litellm_embedding_config.api_base" });
  }
  return url;
}

/** The base URL without credentials, query or trailing slashes: what requests are built on and what identity and messages show. */
export function displayBase(url: URL): string {
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

/** The first of `names` set in `env`, with its name. */
export function fromEnv(env: Environment, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = nonEmpty(env[name]);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

export function stringSetting(config: EmbeddingConfig, key: string): string | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new BadRequestError(`litellm_embedding_config.${key} must be a non-empty string.`, { param: `litellm_embedding_config.${key}` });
  }
  return value.trim();
}

export function missingSetting(key: string, envNames: readonly string[], model: string): BadRequestError {
  const envText = envNames.length === 0 ? "" : ` or the ${envNames.join(" / ")} environment variable`;
  return new BadRequestError(`Missing ${key} for the embedding model "${model}": set litellm_embedding_config.${key}${envText}.`, {
    param: `litellm_embedding_config.${key}`,
    code: "missing_embedding_config",
  });
}

export function jsonHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { "content-type": "application/json", accept: "application/json", ...extra };
}

/**
 * The settings every provider shares: timeouts, retries, the price (config, else LiteLLM's price map), the documented
 * output size when the config sets none, and the cache identity (never a secret).
 */
export function sharedSettings(context: ProviderContext, identityParts: readonly string[], options: { knownDimensions?: boolean } = {}) {
  const { provider, modelId, config, dispatcher } = context;
  const tableDimensions = options.knownDimensions === false ? undefined : lookupEmbeddingPrice(provider, modelId)?.output_vector_size;
  const dimensions = config.dimensions ?? tableDimensions;
  return {
    provider,
    modelId,
    dimensions,
    timeoutMs: config.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    maxRetries: config.max_retries ?? DEFAULT_MAX_RETRIES,
    identity: [provider, ...identityParts, modelId, String(dimensions ?? ""), ...modeOverrides(config)].join("|"),
    inputCostPerToken: inputCostPerToken(provider, modelId, config.input_cost_per_token),
    dispatcher,
  } satisfies Partial<HttpEmbeddingSettings>;
}

/** Mode overrides change the vectors, so they belong to the cache identity. */
function modeOverrides(config: EmbeddingConfig): string[] {
  const parts: string[] = [];
  for (const key of ["query_input_type", "document_input_type", "input_type", "task_type", "task"]) {
    if (typeof config[key] === "string") parts.push(`${key}=${config[key] as string}`);
  }
  return parts;
}
