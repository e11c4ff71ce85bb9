import type { HttpEmbeddingSettings } from "../http-embedding-model.js";
import { azureSettings } from "./azure.js";
import { bedrockSettings } from "./bedrock.js";
import { cohereSettings } from "./cohere.js";
import type { ProviderContext } from "./common.js";
import { geminiSettings } from "./gemini.js";
import { huggingFaceSettings } from "./huggingface.js";
import { ollamaSettings } from "./ollama.js";
import { OPENAI_COMPATIBLE_PROVIDERS, openAICompatibleSettings } from "./openai-compatible.js";
import { vertexSettings, type GoogleAuthClientOptions } from "./vertex-ai.js";

export interface ProviderHooks {
  googleAuthClientOptions?: GoogleAuthClientOptions;
}

/** Every HTTP provider by its LiteLLM prefix. */
export const HTTP_PROVIDERS: Record<string, (context: ProviderContext, hooks: ProviderHooks) => HttpEmbeddingSettings> = {
  openai: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.openai, context),
  azure: (context) => azureSettings(context),
  cohere: (context) => cohereSettings(context),
  bedrock: (context) => bedrockSettings(context),
  vertex_ai: (context, hooks) => vertexSettings(context, hooks.googleAuthClientOptions),
  gemini: (context) => geminiSettings(context),
  voyage: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.voyage, context),
  mistral: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.mistral, context),
  jina_ai: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.jina_ai, context),
  ollama: (context) => ollamaSettings(context),
  huggingface: (context) => huggingFaceSettings(context),
  nvidia_nim: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.nvidia_nim, context),
  together_ai: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.together_ai, context),
  fireworks_ai: (context) => openAICompatibleSettings(OPENAI_COMPATIBLE_PROVIDERS.fireworks_ai, context),
};
