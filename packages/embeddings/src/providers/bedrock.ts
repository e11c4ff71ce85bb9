// The AWS libraries are loaded on a Bedrock model's first call: ~30 MB a gateway without Bedrock never pays.
import type { SignatureV4 } from "@smithy/signature-v4";
import { BadRequestError, type EmbeddingConfig, type EmbeddingInputType } from "@vs/core";
import { z } from "zod";
import { parseOrInvalid, vectorSchema, type HttpEmbeddingSettings } from "../http-embedding-model.js";
import {
  displayBase,
  extraBodyFields,
  fromEnv,
  inputTypeValue,
  jsonHeaders,
  parseApiBase,
  sharedSettings,
  stringSetting,
  type Environment,
  type ProviderContext,
} from "./common.js";
import { COHERE_INPUT_TYPES, COHERE_MAX_TEXTS } from "./cohere.js";

const REGION_ENV = ["AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"];

interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One model family on Bedrock: its body and its answer (the body of InvokeModel is the model's own). */
interface BedrockFamily {
  name: string;
  matches: RegExp;
  maxInputsPerCall: number;
  ownKeys: string[];
  body(texts: string[], inputType: EmbeddingInputType, config: EmbeddingConfig): Record<string, unknown>;
  vectors(json: unknown): { vectors: number[][]; promptTokens: number | undefined };
}

// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
const titanResponseSchema = z.object({ embedding: vectorSchema, inputTextTokenCount: z.number().nonnegative().nullish() });
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html: `embeddings` is a list, or an object by type when `embedding_types` is sent.
const cohereResponseSchema = z.object({ embeddings: z.union([z.array(vectorSchema), z.object({ float: z.array(vectorSchema) })]) });

const FAMILIES: BedrockFamily[] = [
  {
    name: "amazon.titan-embed-text-v2",
    matches: /amazon\.titan-embed-text-v2/,
    // Titan embeds one text per request.
    maxInputsPerCall: 1,
    ownKeys: [],
    body: (texts, _inputType, config) => ({ inputText: texts[0], ...(config.dimensions === undefined ? {} : { dimensions: config.dimensions }) }),
    vectors: (json) => {
      const parsed = parseOrInvalid(titanResponseSchema, json);
      return { vectors: [parsed.embedding], promptTokens: parsed.inputTextTokenCount ?? undefined };
    },
  },
  {
    name: "amazon.titan-embed-text-v1 / amazon.titan-embed-g1-text",
    matches: /amazon\.titan-embed-(text-v1|g1-text)/,
    maxInputsPerCall: 1,
    ownKeys: [],
    body: (texts) => ({ inputText: texts[0] }),
    vectors: (json) => {
      const parsed = parseOrInvalid(titanResponseSchema, json);
      return { vectors: [parsed.embedding], promptTokens: parsed.inputTextTokenCount ?? undefined };
    },
  },
  {
    name: "cohere.embed-*",
    matches: /cohere\.embed-/,
    maxInputsPerCall: COHERE_MAX_TEXTS,
    ownKeys: ["embedding_types", "output_dimension"],
    body: (texts, inputType, config) => ({
      texts,
      input_type: inputTypeValue(config, COHERE_INPUT_TYPES, inputType),
      embedding_types: ["float"],
      ...(config.dimensions === undefined ? {} : { output_dimension: config.dimensions }),
    }),
    vectors: (json) => {
      const { embeddings } = parseOrInvalid(cohereResponseSchema, json);
      return { vectors: Array.isArray(embeddings) ? embeddings : embeddings.float, promptTokens: undefined };
    },
  },
];

export const BEDROCK_MODEL_FAMILIES = FAMILIES.map((family) => family.name);

/**
 * Credentials, in LiteLLM's order: the config's `aws_access_key_id`/`aws_secret_access_key`, the AWS_* environment
 * variables, then the AWS SDK's chain (profile files with `aws_profile_name`/AWS_PROFILE, SSO, web identity, ECS/EC2).
 */
function credentialSource(
  config: EmbeddingConfig,
  env: Environment,
): { credentials: AwsCredentials | (() => Promise<AwsCredentials>); secrets: string[]; hint: string } {
  const accessKeyId = stringSetting(config, "aws_access_key_id");
  const secretAccessKey = stringSetting(config, "aws_secret_access_key");
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? "aws_access_key_id" : "aws_secret_access_key";
    throw new BadRequestError(`litellm_embedding_config.${missing} is missing: aws_access_key_id and aws_secret_access_key go together.`, {
      param: `litellm_embedding_config.${missing}`,
    });
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = stringSetting(config, "aws_session_token");
    return {
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
      secrets: [secretAccessKey, ...(sessionToken === undefined ? [] : [sessionToken])],
      hint: "litellm_embedding_config.aws_access_key_id / aws_secret_access_key",
    };
  }
  const envKey = fromEnv(env, ["AWS_ACCESS_KEY_ID"])?.value;
  const envSecret = fromEnv(env, ["AWS_SECRET_ACCESS_KEY"])?.value;
  if (envKey !== undefined && envSecret !== undefined) {
    const sessionToken = fromEnv(env, ["AWS_SESSION_TOKEN"])?.value;
    return {
      credentials: { accessKeyId: envKey, secretAccessKey: envSecret, ...(sessionToken === undefined ? {} : { sessionToken }) },
      secrets: [envSecret, ...(sessionToken === undefined ? [] : [sessionToken])],
      hint: "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    };
  }
  const profile = stringSetting(config, "aws_profile_name") ?? fromEnv(env, ["AWS_PROFILE"])?.value;
  const filepath = fromEnv(env, ["AWS_SHARED_CREDENTIALS_FILE"])?.value;
  const configFilepath = fromEnv(env, ["AWS_CONFIG_FILE"])?.value;
  let chain: Promise<() => Promise<AwsCredentials>> | undefined;
  const credentials = async (): Promise<AwsCredentials> => {
    chain ??= import("@aws-sdk/credential-provider-node").then(({ defaultProvider }) =>
      defaultProvider({
        ...(profile === undefined ? {} : { profile }),
        ...(filepath === undefined ? {} : { filepath }),
        ...(configFilepath === undefined ? {} : { configFilepath }),
      }),
    );
    return (await chain)();
  };
  return { credentials, secrets: [], hint: `the AWS credential chain (profile ${profile ?? "default"}, ~/.aws/credentials, SSO, instance role)` };
}

// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
export function bedrockSettings(context: ProviderContext): HttpEmbeddingSettings {
  const { modelId, config, env } = context;
  const family = FAMILIES.find((candidate) => candidate.matches.test(modelId));
  if (family === undefined) {
    throw new BadRequestError(`bedrock/${modelId}: unknown Bedrock embedding model; supported families: ${BEDROCK_MODEL_FAMILIES.join(", ")}.`, {
      param: "litellm_embedding_model",
      code: "unsupported_embedding_model",
    });
  }
  const region = stringSetting(config, "aws_region_name") ?? fromEnv(env, REGION_ENV)?.value;
  if (region === undefined) {
    throw new BadRequestError(
      `Missing the AWS region for the embedding model "bedrock/${modelId}": set litellm_embedding_config.aws_region_name or AWS_REGION_NAME / AWS_REGION.`,
      { param: "litellm_embedding_config.aws_region_name", code: "missing_embedding_config" },
    );
  }
  const rawEndpoint =
    stringSetting(config, "aws_bedrock_runtime_endpoint") ??
    config.api_base ??
    fromEnv(env, ["AWS_BEDROCK_RUNTIME_ENDPOINT"])?.value ??
    `https://bedrock-runtime.${region}.amazonaws.com`;
  const endpoint = parseApiBase(rawEndpoint, "AWS_BEDROCK_RUNTIME_ENDPOINT");
  const base = displayBase(endpoint);
  const path = `${endpoint.pathname.replace(/\/+$/, "")}/model/${encodeURIComponent(modelId)}/invoke`;
  const source = credentialSource(config, env);
  // The maintained signer: canonical request, double URI-encoding of the path (all services but S3), session token.
  let signerLoading: Promise<SignatureV4> | undefined;
  const loadSigner = () =>
    (signerLoading ??= Promise.all([import("@smithy/signature-v4"), import("@aws-crypto/sha256-js")]).then(
      ([{ SignatureV4: Signer }, { Sha256 }]) =>
        new Signer({ service: "bedrock", region, credentials: source.credentials, sha256: Sha256, uriEscapePath: true, applyChecksum: false }),
    ));
  const shared = sharedSettings(context, [base, region]);
  const extra = extraBodyFields(config, family.ownKeys);
  const dynamicSecrets: string[] = [];
  return {
    ...shared,
    origin: endpoint.origin,
    async buildRequest(texts, inputType) {
      const body = JSON.stringify({ ...extra, ...family.body(texts, inputType, config) });
      const signed = await (await loadSigner()).sign({
        method: "POST",
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port === "" ? {} : { port: Number(endpoint.port) }),
        path,
        query: {},
        headers: { ...jsonHeaders(), host: endpoint.host },
        body,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) if (name !== "host") headers[name] = String(value);
      const sessionToken = headers["x-amz-security-token"];
      if (sessionToken !== undefined && !dynamicSecrets.includes(sessionToken)) dynamicSecrets.push(sessionToken);
      return { url: `${endpoint.origin}${path}`, headers, body, secrets: dynamicSecrets };
    },
    parseResponse(json, headers) {
      const parsed = family.vectors(json);
      // InvokeModel reports the billed input tokens in a header for every model, Cohere's included.
      const header = headers["x-amzn-bedrock-input-token-count"];
      const counted = Number(Array.isArray(header) ? header[0] : header);
      return { vectors: parsed.vectors, promptTokens: header !== undefined && Number.isFinite(counted) ? counted : parsed.promptTokens };
    },
    errorCodeHeader: "x-amzn-errortype",
    secrets: source.secrets,
    maxInputsPerCall: family.maxInputsPerCall,
    credentialsHint: source.hint,
    notFoundHint: `check that the model "${modelId}" is enabled in ${region} (Bedrock console, Model access)`,
  };
}
