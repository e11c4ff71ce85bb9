import { z } from "zod";
import { parseOrInvalid, vectorSchema, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import {
  displayBase,
  extraBodyFields,
  fromEnv,
  jsonHeaders,
  missingSetting,
  parseApiBase,
  sharedSettings,
  textPrefix,
  type ProviderContext,
} from "./common.js";

const API_KEY_ENV = ["HUGGINGFACE_API_KEY", "HF_TOKEN"];
const API_BASE_ENV = ["HF_API_BASE", "HUGGINGFACE_API_BASE"];
/** TEI's default `--max-client-batch-size`. */
export const HUGGINGFACE_MAX_INPUTS = 32;

// TEI `POST /embed` and the Inference API's feature-extraction answer: one vector per input.
// https://huggingface.github.io/text-embeddings-inference/#/Text%20Embeddings%20Inference/embed
const responseSchema = z.array(vectorSchema);

/**
 * With an `api_base` (a TEI server or an Inference Endpoint): `POST {api_base}`, `/embed` added to a bare host. Without:
 * the serverless Inference API's feature-extraction pipeline for the model.
 */
export function huggingFaceSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const rawBase = config.api_base ?? fromEnv(env, API_BASE_ENV)?.value;
  const apiKey = config.api_key ?? fromEnv(env, API_KEY_ENV)?.value;
  let url: string;
  if (rawBase === undefined) {
    if (apiKey === undefined) throw missingSetting("api_key", API_KEY_ENV, `huggingface/${modelId}`);
    url = `https://router.huggingface.co/hf-inference/models/${modelId.split("/").map(encodeURIComponent).join("/")}/pipeline/feature-extraction`;
  } else {
    const parsedBase = parseApiBase(rawBase, API_BASE_ENV[0]);
    const base = displayBase(parsedBase);
    url = parsedBase.pathname === "/" || parsedBase.pathname === "" ? `${base}/embed` : base;
  }
  const origin = new URL(url).origin;
  const shared = sharedSettings(context, [url], { knownDimensions: false });
  const headers = jsonHeaders(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` });
  const fixedFields = extraBodyFields(config, ["prompt_name"]);
  return {
    ...shared,
    origin,
    buildRequest(texts, inputType) {
      // TEI's mode is a prompt the model's sentence-transformers config names (often "query"); models define their own
      // names, so there is no default: set query_input_type / document_input_type (or prompt_name) to use it.
      const perMode = config[inputType === "query" ? "query_input_type" : "document_input_type"];
      const promptName = typeof perMode === "string" ? perMode : typeof config.prompt_name === "string" ? config.prompt_name : undefined;
      const prefix = promptName === undefined ? textPrefix(modelId, config, inputType) : "";
      const inputs = prefix === "" ? texts : texts.map((text) => prefix + text);
      return { url, headers, body: JSON.stringify({ ...fixedFields, inputs, ...(promptName === undefined ? {} : { prompt_name: promptName }) }) };
    },
    parseResponse(json) {
      return { vectors: parseOrInvalid(responseSchema, json), promptTokens: undefined };
    },
    secrets: apiKey === undefined ? [] : [apiKey],
    maxInputsPerCall: HUGGINGFACE_MAX_INPUTS,
    credentialsHint: config.api_key === undefined ? `litellm_embedding_config.api_key or ${API_KEY_ENV.join(" / ")}` : "litellm_embedding_config.api_key",
    notFoundHint: `check that the model "${modelId}" is served at ${url}`,
  };
}
