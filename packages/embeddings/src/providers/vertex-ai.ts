import { readFileSync } from "node:fs";
import { BadRequestError } from "@vs/core";
// google-auth-library is loaded on a Vertex model's first call: ~25 MB a gateway without Vertex never pays.
import type { GoogleAuth, GoogleAuthOptions, JWTInput } from "google-auth-library";
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
  stringSetting,
  type ProviderContext,
} from "./common.js";
import { GOOGLE_TASK_TYPES } from "./gemini.js";

const PROJECT_ENV = ["VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT"];
const LOCATION_ENV = ["VERTEXAI_LOCATION", "VERTEX_LOCATION"];
const CREDENTIALS_ENV = ["VERTEXAI_CREDENTIALS", "VERTEX_CREDENTIALS"];
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Test and embedding hooks for Google auth (e.g. a `transporter`); never needed in production. */
export type GoogleAuthClientOptions = GoogleAuthOptions["clientOptions"];

// https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api
const responseSchema = z.object({
  predictions: z.array(
    z.object({
      embeddings: z.object({ values: vectorSchema, statistics: z.object({ token_count: z.number().nonnegative().nullish() }).nullish() }),
    }),
  ),
});

const serviceAccountSchema = z
  .object({ type: z.string(), project_id: z.string().nullish(), client_email: z.string().nullish(), private_key: z.string().nullish() })
  .loose();

/**
 * `vertex_credentials` as LiteLLM takes it: the service-account JSON itself, or a path to it. Unset: Application
 * Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's, or the metadata server).
 */
function readCredentials(value: string | undefined): (JWTInput & z.infer<typeof serviceAccountSchema>) | undefined {
  if (value === undefined) return undefined;
  const param = "litellm_embedding_config.vertex_credentials";
  let text = value;
  if (!value.trimStart().startsWith("{")) {
    try {
      text = readFileSync(value, "utf8");
    } catch (error) {
      throw new BadRequestError(
        `${param} (or VERTEXAI_CREDENTIALS) is neither service-account JSON nor a readable file: ${(error as NodeJS.ErrnoException).code ?? "unreadable"}.`,
        { param },
      );
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadRequestError(`${param} (or VERTEXAI_CREDENTIALS) is not valid JSON.`, { param });
  }
  const parsed = serviceAccountSchema.safeParse(json);
  if (!parsed.success) throw new BadRequestError(`${param} must be a Google credentials JSON object with a "type".`, { param });
  // The library reads the object itself (service account, authorized user, external account); only `type` is checked here.
  return json as JWTInput & z.infer<typeof serviceAccountSchema>;
}

export function vertexSettings(context: ProviderContext, clientOptions?: GoogleAuthClientOptions): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const credentials = readCredentials(
    stringSetting(config, "vertex_credentials") ?? stringSetting(config, "vertex_ai_credentials") ?? fromEnv(env, CREDENTIALS_ENV)?.value,
  );
  const project =
    stringSetting(config, "vertex_project") ??
    stringSetting(config, "vertex_ai_project") ??
    fromEnv(env, PROJECT_ENV)?.value ??
    credentials?.project_id ??
    undefined;
  if (project === undefined) throw missingSetting("vertex_project", PROJECT_ENV, `vertex_ai/${modelId}`);
  const location =
    stringSetting(config, "vertex_location") ?? stringSetting(config, "vertex_ai_location") ?? fromEnv(env, LOCATION_ENV)?.value ?? "us-central1";
  const rawBase = config.api_base ?? fromEnv(env, ["VERTEXAI_API_BASE", "VERTEX_API_BASE"])?.value;
  const host = location === "global" ? "https://aiplatform.googleapis.com" : `https://${location}-aiplatform.googleapis.com`;
  const apiBase = parseApiBase(rawBase ?? host, "VERTEXAI_API_BASE");
  const base = displayBase(apiBase);
  const url = `${base}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${encodeURIComponent(modelId)}:predict`;
  let authLoading: Promise<GoogleAuth> | undefined;
  const loadAuth = () =>
    (authLoading ??= import("google-auth-library").then(
      ({ GoogleAuth: Auth }) =>
        new Auth({
          scopes: [SCOPE],
          ...(credentials === undefined ? {} : { credentials }),
          ...(clientOptions === undefined ? {} : { clientOptions }),
        }),
    ));
  const shared = sharedSettings(context, [base, project, location]);
  const parameters = {
    ...extraBodyFields(config, ["outputDimensionality", "autoTruncate", "auto_truncate", "title"]),
    ...(config.dimensions === undefined ? {} : { outputDimensionality: config.dimensions }),
    ...(typeof config.auto_truncate === "boolean" ? { autoTruncate: config.auto_truncate } : {}),
  };
  return {
    ...shared,
    origin: apiBase.origin,
    async buildRequest(texts, inputType) {
      // The library caches the access token and refreshes it before it expires.
      const { token } = await (await (await loadAuth()).getClient()).getAccessToken();
      if (token === null || token === undefined) throw new Error("Google auth returned no access token");
      const taskType = inputTypeValue(config, GOOGLE_TASK_TYPES, inputType);
      const body = { instances: texts.map((content) => ({ content, task_type: taskType })), ...(Object.keys(parameters).length === 0 ? {} : { parameters }) };
      return { url, headers: jsonHeaders({ authorization: `Bearer ${token}` }), body: JSON.stringify(body), secrets: [token] };
    },
    parseResponse(json) {
      const { predictions } = parseOrInvalid(responseSchema, json);
      // Vertex counts tokens per instance; their sum is the call's usage.
      let tokens: number | undefined = 0;
      for (const prediction of predictions) {
        const count = prediction.embeddings.statistics?.token_count;
        tokens = count === undefined || count === null || tokens === undefined ? undefined : tokens + count;
      }
      return { vectors: predictions.map((prediction) => prediction.embeddings.values), promptTokens: tokens };
    },
    secrets: credentials?.private_key ? [credentials.private_key] : [],
    // gemini-embedding-001 takes one instance per request; the text-embedding models up to 250.
    maxInputsPerCall: /gemini-embedding/i.test(modelId) ? 1 : 250,
    credentialsHint:
      credentials === undefined
        ? "the Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS) or litellm_embedding_config.vertex_credentials"
        : "litellm_embedding_config.vertex_credentials (or VERTEXAI_CREDENTIALS)",
    notFoundHint: `check that the model "${modelId}" is available in project ${project}, location ${location}`,
  };
}
