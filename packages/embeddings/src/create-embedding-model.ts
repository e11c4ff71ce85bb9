import type { Dispatcher } from "undici";
import { BadRequestError, embeddingConfigSchema, parseInput, type EmbeddingConfig, type EmbeddingModel } from "@vs/core";
import { sharedDispatcher } from "./dispatcher.js";
import { HttpEmbeddingModel } from "./http-embedding-model.js";
import { LOCAL_MODEL_NAMES, LocalEmbeddingModel } from "./local-embedding-model.js";
import type { Environment } from "./providers/common.js";
import { HTTP_PROVIDERS } from "./providers/index.js";
import type { GoogleAuthClientOptions } from "./providers/vertex-ai.js";

export interface CreateEmbeddingModelOptions {
  /** Where `AZURE_API_KEY`, `OPENAI_API_KEY`, … are read from; `process.env` by default. */
  env?: Environment;
  /** undici dispatcher for the HTTP providers; by default one keep-alive agent shared by the whole process. */
  dispatcher?: Dispatcher;
  /** `clientOptions` for google-auth-library (vertex_ai/), e.g. a `transporter`; tests use it to reach a loopback token endpoint. */
  googleAuthClientOptions?: GoogleAuthClientOptions;
}

/** LiteLLM's prefixes vs knows, in the order the README lists them. */
export const SUPPORTED_EMBEDDING_PROVIDERS = [
  "openai",
  "azure",
  "cohere",
  "bedrock",
  "vertex_ai",
  "gemini",
  "voyage",
  "mistral",
  "jina_ai",
  "ollama",
  "huggingface",
  "nvidia_nim",
  "together_ai",
  "fireworks_ai",
  "local",
] as const;
export type EmbeddingProviderName = (typeof SUPPORTED_EMBEDDING_PROVIDERS)[number];

/**
 * The embedding model named by `model` (`"<provider>/<model id>"`, LiteLLM's `litellm_embedding_model`).
 * Throws `BadRequestError` for an unknown provider, a bad config or missing credentials; nothing is sent until
 * `embed` is called.
 */
export function createEmbeddingModel(model: string, config: EmbeddingConfig = {}, options: CreateEmbeddingModelOptions = {}): EmbeddingModel {
  const { provider, modelId } = parseEmbeddingModelName(model);
  const parsedConfig = parseInput(embeddingConfigSchema, config, { prefix: "litellm_embedding_config", what: "litellm_embedding_config" });
  const env = options.env ?? process.env;
  if (provider === "local") {
    if (!LOCAL_MODEL_NAMES.includes(modelId)) {
      throw new BadRequestError(
        `Unknown local embedding model "${modelId}" in litellm_embedding_model; local models: ${LOCAL_MODEL_NAMES.map((name) => `local/${name}`).join(", ")}.`,
        { param: "litellm_embedding_model", code: "unsupported_embedding_model" },
      );
    }
    return new LocalEmbeddingModel(parsedConfig);
  }
  const build = HTTP_PROVIDERS[provider];
  if (build === undefined) throw new Error(`embedding provider ${provider} is listed but has no implementation`);
  const hooks = options.googleAuthClientOptions === undefined ? {} : { googleAuthClientOptions: options.googleAuthClientOptions };
  return new HttpEmbeddingModel(build({ provider, modelId, config: parsedConfig, env, dispatcher: options.dispatcher ?? sharedDispatcher() }, hooks));
}

/**
 * Splits `"<provider>/<model id>"` and checks the prefix, without building anything: what a gateway checks at start
 * for every configured model. `param` names the key path in the errors (default `litellm_embedding_model`).
 */
export function parseEmbeddingModelName(model: string, param = "litellm_embedding_model"): { provider: EmbeddingProviderName; modelId: string } {
  const trimmed = typeof model === "string" ? model.trim() : "";
  const slash = trimmed.indexOf("/");
  const provider = slash > 0 ? trimmed.slice(0, slash).toLowerCase() : "";
  const modelId = slash > 0 ? trimmed.slice(slash + 1).trim() : "";
  const supported = SUPPORTED_EMBEDDING_PROVIDERS.map((name) => `${name}/`).join(", ");
  if (!isSupportedProvider(provider)) {
    const problem = slash > 0 ? `has the unsupported provider "${provider}"` : "has no provider prefix";
    throw new BadRequestError(`${param} "${trimmed}" ${problem}; it must start with one of ${supported} (e.g. "openai/text-embedding-3-small").`, {
      param,
      code: "unsupported_embedding_model",
    });
  }
  if (modelId === "") {
    throw new BadRequestError(`${param} "${trimmed}" names no model after "${provider}/".`, { param, code: "unsupported_embedding_model" });
  }
  return { provider, modelId };
}

function isSupportedProvider(name: string): name is EmbeddingProviderName {
  return (SUPPORTED_EMBEDDING_PROVIDERS as readonly string[]).includes(name);
}
