import { parseOpenAIShape, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import { lookupEmbeddingPrice } from "../pricing.js";
import {
  displayBase,
  extraBodyFields,
  jsonHeaders,
  missingSetting,
  nonEmpty,
  parseApiBase,
  sharedSettings,
  textPrefix,
  type ProviderContext,
} from "./common.js";
import { REMOTE_MAX_INPUTS_PER_CALL } from "./openai-compatible.js";

/** A GA Azure OpenAI data-plane version that accepts `dimensions`. */
export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

// https://learn.microsoft.com/azure/ai-services/openai/reference#embeddings
export function azureSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const model = `azure/${modelId}`;
  const rawApiBase = config.api_base ?? nonEmpty(env.AZURE_API_BASE);
  if (rawApiBase === undefined) throw missingSetting("api_base", ["AZURE_API_BASE"], model);
  const apiKey = config.api_key ?? nonEmpty(env.AZURE_API_KEY);
  if (apiKey === undefined) throw missingSetting("api_key", ["AZURE_API_KEY"], model);
  const apiVersion = config.api_version ?? nonEmpty(env.AZURE_API_VERSION) ?? DEFAULT_AZURE_API_VERSION;
  // Endpoints are often copied from the portal with the `/openai` segment already on them.
  const base = displayBase(parseApiBase(rawApiBase, "AZURE_API_BASE")).replace(/\/openai$/, "");
  const shared = sharedSettings(context, [base], { knownDimensions: false });
  const url = `${base}/openai/deployments/${encodeURIComponent(modelId)}/embeddings?api-version=${encodeURIComponent(apiVersion)}`;
  const headers = jsonHeaders({ "api-key": apiKey });
  const fixedFields = { ...extraBodyFields(config), ...(config.dimensions === undefined ? {} : { dimensions: config.dimensions }) };
  return {
    ...shared,
    // Deployments are usually named after their model; when no Azure price is listed, the model's own list price applies.
    inputCostPerToken:
      config.input_cost_per_token ??
      lookupEmbeddingPrice("azure", modelId)?.input_cost_per_token ??
      lookupEmbeddingPrice("openai", modelId)?.input_cost_per_token ??
      0,
    origin: new URL(base).origin,
    buildRequest(texts, inputType) {
      const prefix = textPrefix(modelId, config, inputType);
      return { url, headers, body: JSON.stringify({ ...fixedFields, input: prefix === "" ? texts : texts.map((text) => prefix + text) }) };
    },
    parseResponse: parseOpenAIShape,
    secrets: [apiKey],
    maxInputsPerCall: REMOTE_MAX_INPUTS_PER_CALL,
    credentialsHint: config.api_key === undefined ? "AZURE_API_KEY or litellm_embedding_config.api_key" : "litellm_embedding_config.api_key",
    notFoundHint: `check that the deployment "${modelId}" exists at ${base} (and api_version ${apiVersion})`,
  };
}
