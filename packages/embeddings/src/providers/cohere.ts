import { z } from "zod";
import { parseOrInvalid, vectorSchema, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import {
  displayBase,
  extraBodyFields,
  fromEnv,
  inputTypeValue,
  jsonHeaders,
  missingSetting,
  parseApiBase,
  sharedSettings,
  type ProviderContext,
} from "./common.js";

const API_KEY_ENV = ["COHERE_API_KEY", "CO_API_KEY"];
const DEFAULT_API_BASE = "https://api.cohere.com";
/** Cohere's documented maximum of texts per embed call. */
export const COHERE_MAX_TEXTS = 96;
export const COHERE_INPUT_TYPES = { field: "input_type", query: "search_query", document: "search_document" } as const;

// https://docs.cohere.com/v2/reference/embed
const responseSchema = z.object({
  embeddings: z.object({ float: z.array(vectorSchema) }),
  meta: z.object({ billed_units: z.object({ input_tokens: z.number().nonnegative().nullish() }).nullish() }).nullish(),
});

export function cohereSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const apiKey = config.api_key ?? fromEnv(env, API_KEY_ENV)?.value;
  if (apiKey === undefined) throw missingSetting("api_key", API_KEY_ENV, `cohere/${modelId}`);
  const apiBase = parseApiBase(config.api_base ?? fromEnv(env, ["COHERE_API_BASE"])?.value ?? DEFAULT_API_BASE, "COHERE_API_BASE");
  // LiteLLM's cohere api_base is the whole endpoint (`…/v2/embed`); a bare host gets the path added.
  const base = displayBase(apiBase);
  const url = /\/embed$/.test(base) ? base : `${base}/v2/embed`;
  const shared = sharedSettings(context, [base]);
  const headers = jsonHeaders({ authorization: `Bearer ${apiKey}` });
  const fixedFields = {
    ...extraBodyFields(config, ["embedding_types", "output_dimension"]),
    model: modelId,
    embedding_types: ["float"],
    ...(config.dimensions === undefined ? {} : { output_dimension: config.dimensions }),
  };
  return {
    ...shared,
    origin: apiBase.origin,
    buildRequest(texts, inputType) {
      return { url, headers, body: JSON.stringify({ ...fixedFields, texts, input_type: inputTypeValue(config, COHERE_INPUT_TYPES, inputType) }) };
    },
    parseResponse(json) {
      const parsed = parseOrInvalid(responseSchema, json);
      return { vectors: parsed.embeddings.float, promptTokens: parsed.meta?.billed_units?.input_tokens ?? undefined };
    },
    secrets: [apiKey],
    maxInputsPerCall: COHERE_MAX_TEXTS,
    credentialsHint: config.api_key === undefined ? `litellm_embedding_config.api_key or ${API_KEY_ENV.join(" / ")}` : "litellm_embedding_config.api_key",
    notFoundHint: `check that the model "${modelId}" exists at ${url}`,
  };
}
