import { BadRequestError, type EmbeddingConfig } from "@vs/core";
import type { Dispatcher } from "undici";
import type { HttpEmbeddingSettings } from "./http-embedding-model.js";

export type Environment = Record<string, string | undefined>;

export const DEFAULT_OPENAI_API_BASE = "https://api.openai.com/v1";
/** A GA Azure OpenAI data-plane version that accepts `dimensions`. */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";
/** OpenAI's and Azure's documented limit of inputs per `/embeddings` request. */
export const REMOTE_MAX_INPUTS_PER_CALL = 2048;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 2;

/** Output sizes of OpenAI's models, used when the config sets no `dimensions`. */
const OPENAI_MODEL_DIMENSIONS: Record<string, number> = {
  "text-embedding-3-small": 1536,
  "text-embedding-3-large": 3072,
  "text-embedding-ada-002": 1536,
};

/** OpenAI's public list prices, USD per input token (Azure's are the same for these models). */
const OPENAI_MODEL_PRICES: Record<string, number> = {
  "text-embedding-3-small": 0.02 / 1_000_000,
  "text-embedding-3-large": 0.13 / 1_000_000,
  "text-embedding-ada-002": 0.1 / 1_000_000,
};

const CONFIG_KEYS = new Set(["api_base", "api_key", "api_version", "dimensions", "timeout_ms", "max_retries", "input_cost_per_token"]);
/** LiteLLM client settings that configs carry but that are not request-body fields; sending them would be a 400. */
const IGNORED_CLIENT_KEYS = new Set(["timeout", "stream_timeout", "num_retries", "api_type", "organization", "azure_ad_token", "azure_ad_token_provider"]);

interface RemoteContext {
  modelId: string;
  config: EmbeddingConfig;
  env: Environment;
  dispatcher: Dispatcher;
}

export function openAISettings({ modelId, config, env, dispatcher }: RemoteContext): HttpEmbeddingSettings {
  const apiBaseFromConfig = config.api_base !== undefined;
  const apiBase = parseApiBase(config.api_base ?? nonEmpty(env.OPENAI_API_BASE) ?? nonEmpty(env.OPENAI_BASE_URL) ?? DEFAULT_OPENAI_API_BASE, "OPENAI_API_BASE");
  const isOpenAIItself = apiBase.host === "api.openai.com";
  // An OPENAI_API_KEY in the environment is sent only to OpenAI or to a base that also came from the
  // environment: a config pointing at some other server must not receive the process's OpenAI key.
  const apiKey = config.api_key ?? (isOpenAIItself || !apiBaseFromConfig ? nonEmpty(env.OPENAI_API_KEY) : undefined);
  if (apiKey === undefined && isOpenAIItself) {
    throw missingSetting("api_key", "OPENAI_API_KEY", `openai/${modelId}`);
  }
  const base = displayBase(apiBase);
  const dimensions = config.dimensions ?? (isOpenAIItself ? OPENAI_MODEL_DIMENSIONS[modelId] : undefined);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
  return {
    provider: "openai",
    modelId,
    url: `${base}/embeddings`,
    headers,
    bodyFields: { ...extraBodyFields(config), model: modelId, encoding_format: "float", ...(config.dimensions === undefined ? {} : { dimensions: config.dimensions }) },
    secrets: apiKey === undefined ? [] : [apiKey],
    dimensions,
    maxInputsPerCall: REMOTE_MAX_INPUTS_PER_CALL,
    timeoutMs: config.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    maxRetries: config.max_retries ?? DEFAULT_MAX_RETRIES,
    identity: `openai|${base}|${modelId}|${dimensions ?? ""}`,
    inputCostPerToken: config.input_cost_per_token ?? (isOpenAIItself ? OPENAI_MODEL_PRICES[modelId] ?? 0 : 0),
    dispatcher,
    credentialsHint: apiBaseFromConfig || config.api_key !== undefined ? "litellm_embedding_config.api_key" : "litellm_embedding_config.api_key or OPENAI_API_KEY",
    notFoundHint: `check that the model "${modelId}" exists at ${base}`,
  };
}

export function azureSettings({ modelId, config, env, dispatcher }: RemoteContext): HttpEmbeddingSettings {
  const model = `azure/${modelId}`;
  const rawApiBase = config.api_base ?? nonEmpty(env.AZURE_API_BASE);
  if (rawApiBase === undefined) throw missingSetting("api_base", "AZURE_API_BASE", model);
  const apiKey = config.api_key ?? nonEmpty(env.AZURE_API_KEY);
  if (apiKey === undefined) throw missingSetting("api_key", "AZURE_API_KEY", model);
  const apiVersion = config.api_version ?? nonEmpty(env.AZURE_API_VERSION) ?? DEFAULT_AZURE_API_VERSION;
  // Endpoints are often copied from the portal with the `/openai` segment already on them.
  const base = displayBase(parseApiBase(rawApiBase, "AZURE_API_BASE")).replace(/\/openai$/, "");
  const dimensions = config.dimensions;
  return {
    provider: "azure",
    modelId,
    url: `${base}/openai/deployments/${encodeURIComponent(modelId)}/embeddings?api-version=${encodeURIComponent(apiVersion)}`,
    headers: { "content-type": "application/json", accept: "application/json", "api-key": apiKey },
    bodyFields: { ...extraBodyFields(config), ...(dimensions === undefined ? {} : { dimensions }) },
    secrets: [apiKey],
    dimensions,
    maxInputsPerCall: REMOTE_MAX_INPUTS_PER_CALL,
    timeoutMs: config.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    maxRetries: config.max_retries ?? DEFAULT_MAX_RETRIES,
    identity: `azure|${base}|${modelId}|${dimensions ?? ""}`,
    // Deployments are usually named after their model; when they are, the model's list price applies.
    inputCostPerToken: config.input_cost_per_token ?? OPENAI_MODEL_PRICES[modelId] ?? 0,
    dispatcher,
    credentialsHint: config.api_key === undefined ? "AZURE_API_KEY or litellm_embedding_config.api_key" : "litellm_embedding_config.api_key",
    notFoundHint: `check that the deployment "${modelId}" exists at ${base} (and api_version ${apiVersion})`,
  };
}

/** Unknown config keys are the model's own request parameters (e.g. `user`), as in LiteLLM. */
function extraBodyFields(config: EmbeddingConfig): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!CONFIG_KEYS.has(key) && !IGNORED_CLIENT_KEYS.has(key) && value !== undefined) fields[key] = value;
  }
  return fields;
}

function parseApiBase(value: string, envName: string): URL {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new BadRequestError(`litellm_embedding_config.api_base (or ${envName}) must be an http(s) URL.`, { param: "litellm_embedding_config.api_base" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BadRequestError(`litellm_embedding_config.api_base (or ${envName}) must be an http(s) URL, not ${url.protocol}.`, { param: "litellm_embedding_config.api_base" });
  }
  return url;
}

/** The base URL without credentials, query or trailing slashes: what requests are built on and what identity and messages show. */
function displayBase(url: URL): string {
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

function missingSetting(key: string, envName: string, model: string): BadRequestError {
  return new BadRequestError(
    `Missing ${key} for the embedding model "${model}": set litellm_embedding_config.${key} or the ${envName} environment variable.`,
    { param: `litellm_embedding_config.${key}`, code: "missing_embedding_config" },
  );
}
