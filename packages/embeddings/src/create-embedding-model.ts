import type { Dispatcher } from "undici";
import { BadRequestError, embeddingConfigSchema, parseInput, type EmbeddingConfig, type EmbeddingModel } from "@vs/core";
import { sharedDispatcher } from "./dispatcher.js";
import { HttpEmbeddingModel } from "./http-embedding-model.js";
import { LOCAL_MODEL_NAMES, LocalEmbeddingModel } from "./local-embedding-model.js";
import { azureSettings, openAISettings, type Environment } from "./remote-providers.js";

export interface CreateEmbeddingModelOptions {
  /** Where `AZURE_API_KEY`, `OPENAI_API_KEY`, … are read from; `process.env` by default. */
  env?: Environment;
  /** undici dispatcher for the HTTP providers; by default one keep-alive agent shared by the whole process. */
  dispatcher?: Dispatcher;
}

export const SUPPORTED_EMBEDDING_PROVIDERS = ["azure", "openai", "local"] as const;
export type EmbeddingProviderName = (typeof SUPPORTED_EMBEDDING_PROVIDERS)[number];

/**
 * The embedding model named by `model` (`"<provider>/<model id>"`, LiteLLM's `litellm_embedding_model`).
 * Throws `BadRequestError` for an unknown provider, a bad config or missing credentials; nothing is sent until
 * `embed` is called.
 */
export function createEmbeddingModel(model: string, config: EmbeddingConfig = {}, options: CreateEmbeddingModelOptions = {}): EmbeddingModel {
  const { provider, modelId } = parseModelName(model);
  const parsedConfig = parseInput(embeddingConfigSchema, config, { prefix: "litellm_embedding_config", what: "litellm_embedding_config" });
  const env = options.env ?? process.env;
  switch (provider) {
    case "azure":
      return new HttpEmbeddingModel(azureSettings({ modelId, config: parsedConfig, env, dispatcher: options.dispatcher ?? sharedDispatcher() }));
    case "openai":
      return new HttpEmbeddingModel(openAISettings({ modelId, config: parsedConfig, env, dispatcher: options.dispatcher ?? sharedDispatcher() }));
    case "local":
      if (!LOCAL_MODEL_NAMES.includes(modelId)) {
        throw new BadRequestError(
          `Unknown local embedding model "${modelId}" in litellm_embedding_model; local models: ${LOCAL_MODEL_NAMES.map((name) => `local/${name}`).join(", ")}.`,
          { param: "litellm_embedding_model", code: "unsupported_embedding_model" },
        );
      }
      return new LocalEmbeddingModel(parsedConfig);
  }
}

function parseModelName(model: string): { provider: EmbeddingProviderName; modelId: string } {
  const trimmed = typeof model === "string" ? model.trim() : "";
  const slash = trimmed.indexOf("/");
  const provider = slash > 0 ? trimmed.slice(0, slash).toLowerCase() : "";
  const modelId = slash > 0 ? trimmed.slice(slash + 1).trim() : "";
  const supported = SUPPORTED_EMBEDDING_PROVIDERS.map((name) => `${name}/`).join(", ");
  if (!isSupportedProvider(provider)) {
    const problem = slash > 0 ? `has the unsupported provider "${provider}"` : "has no provider prefix";
    throw new BadRequestError(
      `litellm_embedding_model "${trimmed}" ${problem}; it must start with one of ${supported} (e.g. "openai/text-embedding-3-small").`,
      { param: "litellm_embedding_model", code: "unsupported_embedding_model" },
    );
  }
  if (modelId === "") {
    throw new BadRequestError(`litellm_embedding_model "${trimmed}" names no model after "${provider}/".`, { param: "litellm_embedding_model", code: "unsupported_embedding_model" });
  }
  return { provider, modelId };
}

function isSupportedProvider(name: string): name is EmbeddingProviderName {
  return (SUPPORTED_EMBEDDING_PROVIDERS as readonly string[]).includes(name);
}
