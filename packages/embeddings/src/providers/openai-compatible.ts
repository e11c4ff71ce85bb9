import type { EmbeddingInputType } from "@vs/core";
import { parseOpenAIShape, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import {
  displayBase,
  extraBodyFields,
  fromEnv,
  inputTypeValue,
  jsonHeaders,
  missingSetting,
  parseApiBase,
  sharedSettings,
  textPrefix,
  type InputTypeMapping,
  type ProviderContext,
} from "./common.js";

/** One provider that speaks OpenAI's `POST {api_base}/embeddings` with a Bearer key, as data. */
export interface OpenAICompatibleSpec {
  provider: string;
  defaultApiBase: string;
  /** Environment variables LiteLLM reads, in its order. */
  apiBaseEnv: readonly string[];
  apiKeyEnv: readonly string[];
  /** Documented limit of inputs per request. */
  maxInputsPerCall: number;
  /** How the config's `dimensions` is sent. */
  dimensionsField: "dimensions" | "output_dimension";
  /** The provider's query/document parameter; `models` limits it to the models that accept it. */
  inputType?: InputTypeMapping & { models?: RegExp };
  /** Sent with every request. */
  fixedBody?: Record<string, unknown>;
}

export const DEFAULT_OPENAI_API_BASE = "https://api.openai.com/v1";
/** OpenAI's and Azure's documented limit of inputs per `/embeddings` request. */
export const REMOTE_MAX_INPUTS_PER_CALL = 2048;

export const OPENAI_COMPATIBLE_PROVIDERS = {
  openai: {
    provider: "openai",
    defaultApiBase: DEFAULT_OPENAI_API_BASE,
    apiBaseEnv: ["OPENAI_API_BASE", "OPENAI_BASE_URL"],
    apiKeyEnv: ["OPENAI_API_KEY"],
    maxInputsPerCall: REMOTE_MAX_INPUTS_PER_CALL,
    dimensionsField: "dimensions",
    // What the official OpenAI clients ask for: float32 bytes in base64, a third of the size of JSON floats and a copy
    // to decode. Servers that answer floats anyway (older OpenAI-compatible ones) are read as before.
    fixedBody: { encoding_format: "base64" },
  },
  // https://docs.voyageai.com/reference/embeddings-api
  voyage: {
    provider: "voyage",
    defaultApiBase: "https://api.voyageai.com/v1",
    apiBaseEnv: ["VOYAGE_API_BASE"],
    apiKeyEnv: ["VOYAGE_API_KEY", "VOYAGE_AI_API_KEY", "VOYAGE_AI_TOKEN"],
    maxInputsPerCall: 1000,
    dimensionsField: "output_dimension",
    inputType: { field: "input_type", query: "query", document: "document" },
  },
  // https://docs.mistral.ai/api/#tag/embeddings
  mistral: {
    provider: "mistral",
    defaultApiBase: "https://api.mistral.ai/v1",
    apiBaseEnv: ["MISTRAL_API_BASE"],
    apiKeyEnv: ["MISTRAL_API_KEY"],
    maxInputsPerCall: 128,
    dimensionsField: "output_dimension",
  },
  // https://api.jina.ai/redoc#tag/embeddings: `task` exists from jina-embeddings-v3 on.
  jina_ai: {
    provider: "jina_ai",
    defaultApiBase: "https://api.jina.ai/v1",
    apiBaseEnv: ["JINA_AI_API_BASE"],
    apiKeyEnv: ["JINA_AI_API_KEY", "JINA_API_KEY", "JINA_AI_TOKEN"],
    maxInputsPerCall: 2048,
    dimensionsField: "dimensions",
    inputType: { field: "task", query: "retrieval.query", document: "retrieval.passage", models: /jina-embeddings-v[34]/i },
    fixedBody: { embedding_type: "float" },
  },
  // https://docs.api.nvidia.com/nim/reference/nvidia-nv-embedqa-e5-v5-infer: asymmetric models require input_type.
  nvidia_nim: {
    provider: "nvidia_nim",
    defaultApiBase: "https://integrate.api.nvidia.com/v1",
    apiBaseEnv: ["NVIDIA_NIM_API_BASE"],
    apiKeyEnv: ["NVIDIA_NIM_API_KEY"],
    maxInputsPerCall: 50,
    dimensionsField: "dimensions",
    inputType: { field: "input_type", query: "query", document: "passage" },
    fixedBody: { encoding_format: "float" },
  },
  // https://docs.together.ai/reference/embeddings-2
  together_ai: {
    provider: "together_ai",
    defaultApiBase: "https://api.together.xyz/v1",
    apiBaseEnv: ["TOGETHERAI_API_BASE", "TOGETHER_AI_API_BASE"],
    apiKeyEnv: ["TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHER_API_KEY"],
    maxInputsPerCall: 128,
    dimensionsField: "dimensions",
  },
  // https://docs.fireworks.ai/api-reference/creates-an-embedding-vector-representing-the-input-text
  fireworks_ai: {
    provider: "fireworks_ai",
    defaultApiBase: "https://api.fireworks.ai/inference/v1",
    apiBaseEnv: ["FIREWORKS_API_BASE", "FIREWORKS_AI_API_BASE"],
    apiKeyEnv: ["FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_API_KEY", "FIREWORKS_AI_TOKEN"],
    maxInputsPerCall: 256,
    dimensionsField: "dimensions",
  },
} as const satisfies Record<string, OpenAICompatibleSpec>;

export function openAICompatibleSettings(spec: OpenAICompatibleSpec, context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const model = `${spec.provider}/${modelId}`;
  const baseFromEnv = fromEnv(env, spec.apiBaseEnv);
  const apiBase = parseApiBase(config.api_base ?? baseFromEnv?.value ?? spec.defaultApiBase, spec.apiBaseEnv[0]);
  const isHostedApi = apiBase.host === new URL(spec.defaultApiBase).host;
  // A key in the environment goes only to the provider's own API or to a base that also came from the
  // environment: a config pointing at some other server must not receive the process's key.
  const apiKey = config.api_key ?? (isHostedApi || config.api_base === undefined ? fromEnv(env, spec.apiKeyEnv)?.value : undefined);
  if (apiKey === undefined && isHostedApi) throw missingSetting("api_key", spec.apiKeyEnv, model);
  const base = displayBase(apiBase);
  const shared = sharedSettings(context, [base], { knownDimensions: isHostedApi });
  const headers = jsonHeaders(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` });
  const mapping = spec.inputType !== undefined && (spec.inputType.models?.test(modelId) ?? true) ? spec.inputType : undefined;
  const ownKeys = mapping === undefined ? [] : [mapping.field];
  const fixedFields = {
    ...extraBodyFields(config, ownKeys),
    model: modelId,
    ...spec.fixedBody,
    ...(config.dimensions === undefined ? {} : { [spec.dimensionsField]: config.dimensions }),
  };
  return {
    ...shared,
    origin: apiBase.origin,
    buildRequest(texts: string[], inputType: EmbeddingInputType) {
      const prefix = mapping === undefined ? textPrefix(modelId, config, inputType) : "";
      const body = {
        ...fixedFields,
        input: prefix === "" ? texts : texts.map((text) => prefix + text),
        ...(mapping === undefined ? {} : { [mapping.field]: inputTypeValue(config, mapping, inputType) }),
      };
      return { url: `${base}/embeddings`, headers, body: JSON.stringify(body) };
    },
    parseResponse: parseOpenAIShape,
    secrets: apiKey === undefined ? [] : [apiKey],
    maxInputsPerCall: spec.maxInputsPerCall,
    credentialsHint:
      config.api_key !== undefined || config.api_base !== undefined
        ? "litellm_embedding_config.api_key"
        : `litellm_embedding_config.api_key or ${spec.apiKeyEnv.join(" / ")}`,
    notFoundHint: `check that the model "${modelId}" exists at ${base}`,
  };
}
