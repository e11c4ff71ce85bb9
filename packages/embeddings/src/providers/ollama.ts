import { z } from "zod";
import { parseOrInvalid, vectorSchema, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import { displayBase, extraBodyFields, fromEnv, jsonHeaders, parseApiBase, sharedSettings, textPrefix, type ProviderContext } from "./common.js";

// https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings
const responseSchema = z.object({ embeddings: z.array(vectorSchema), prompt_eval_count: z.number().nonnegative().nullish() });

export function ollamaSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const apiBase = parseApiBase(config.api_base ?? fromEnv(env, ["OLLAMA_API_BASE"])?.value ?? "http://localhost:11434", "OLLAMA_API_BASE");
  // Ollama has no key of its own; one is sent when set, for servers behind an authenticating proxy (Ollama's cloud).
  const apiKey = config.api_key ?? fromEnv(env, ["OLLAMA_API_KEY"])?.value;
  const base = displayBase(apiBase);
  const shared = sharedSettings(context, [base], { knownDimensions: false });
  const headers = jsonHeaders(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` });
  const fixedFields = { ...extraBodyFields(config), model: modelId, ...(config.dimensions === undefined ? {} : { dimensions: config.dimensions }) };
  return {
    ...shared,
    origin: apiBase.origin,
    buildRequest(texts, inputType) {
      // No mode parameter: models that need one (nomic-embed-text) take it as a text prefix.
      const prefix = textPrefix(modelId, config, inputType);
      return { url: `${base}/api/embed`, headers, body: JSON.stringify({ ...fixedFields, input: prefix === "" ? texts : texts.map((text) => prefix + text) }) };
    },
    parseResponse(json) {
      const parsed = parseOrInvalid(responseSchema, json);
      return { vectors: parsed.embeddings, promptTokens: parsed.prompt_eval_count ?? undefined };
    },
    secrets: apiKey === undefined ? [] : [apiKey],
    maxInputsPerCall: 512,
    credentialsHint: "litellm_embedding_config.api_key or OLLAMA_API_KEY",
    notFoundHint: `check that the model "${modelId}" is pulled at ${base} (ollama pull ${modelId})`,
  };
}
