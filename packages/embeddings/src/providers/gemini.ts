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

const API_KEY_ENV = ["GEMINI_API_KEY", "GOOGLE_API_KEY"];
/** The Gemini API's documented limit of requests in one batchEmbedContents call. */
export const GEMINI_MAX_BATCH = 100;
/** Gemini's and Vertex's `task_type` values for retrieval. */
export const GOOGLE_TASK_TYPES = { field: "task_type", query: "RETRIEVAL_QUERY", document: "RETRIEVAL_DOCUMENT" } as const;

// https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
const responseSchema = z.object({ embeddings: z.array(z.object({ values: vectorSchema })) });

export function geminiSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const apiKey = config.api_key ?? fromEnv(env, API_KEY_ENV)?.value;
  if (apiKey === undefined) throw missingSetting("api_key", API_KEY_ENV, `gemini/${modelId}`);
  const apiBase = parseApiBase(config.api_base ?? fromEnv(env, ["GEMINI_API_BASE"])?.value ?? "https://generativelanguage.googleapis.com", "GEMINI_API_BASE");
  const base = displayBase(apiBase);
  const modelPath = `models/${modelId.replace(/^models\//, "")}`;
  const url = `${base}/v1beta/${modelPath}:batchEmbedContents`;
  const shared = sharedSettings(context, [base]);
  // The key goes in a header, not in `?key=`: URLs end up in logs and error messages.
  const headers = jsonHeaders({ "x-goog-api-key": apiKey });
  const perRequest = {
    ...extraBodyFields(config, ["outputDimensionality"]),
    ...(config.dimensions === undefined ? {} : { outputDimensionality: config.dimensions }),
  };
  return {
    ...shared,
    origin: apiBase.origin,
    buildRequest(texts, inputType) {
      const taskType = inputTypeValue(config, GOOGLE_TASK_TYPES, inputType);
      const requests = texts.map((text) => ({ model: modelPath, content: { parts: [{ text }] }, taskType, ...perRequest }));
      return { url, headers, body: JSON.stringify({ requests }) };
    },
    parseResponse(json) {
      // The Gemini API reports no token usage for embeddings: the model estimates it.
      return { vectors: parseOrInvalid(responseSchema, json).embeddings.map((embedding) => embedding.values), promptTokens: undefined };
    },
    secrets: [apiKey],
    maxInputsPerCall: GEMINI_MAX_BATCH,
    credentialsHint: config.api_key === undefined ? `litellm_embedding_config.api_key or ${API_KEY_ENV.join(" / ")}` : "litellm_embedding_config.api_key",
    notFoundHint: `check that the model "${modelPath}" exists (GET ${base}/v1beta/models)`,
  };
}
