import { BadRequestError, embeddingConfigSchema, formatPath, parseInput } from "@vs/core";
import { z } from "zod";
import { checkConfigKeys, type ConfigKeyLevel } from "./config-keys.js";
import {
  LITELLM_GENERAL_SETTINGS_KEYS,
  LITELLM_MODEL_PARAMS_KEYS,
  LITELLM_TOP_LEVEL_KEYS,
  LITELLM_VECTOR_STORE_ENTRY_KEYS,
  LITELLM_VECTOR_STORE_PARAMS_KEYS,
  LITELLM_VECTOR_STORE_PARAMS_RENAMED,
} from "./litellm-keys.js";

/** The proxy's config file: the reference page's shape (`vector_store_registry`, `model_list`, `general_settings`). */

const vectorStoreParamsSchema = z.object({
  vector_store_id: z.string().min(1),
  custom_llm_provider: z.string().min(1).default("milvus"),
  litellm_embedding_model: z.string().min(1).optional(),
  litellm_embedding_config: embeddingConfigSchema.optional(),
});

export const vectorStoreEntrySchema = z.strictObject({
  vector_store_name: z.string().min(1),
  vector_store_description: z.string().optional(),
  /**
   * New vector stores (`POST /v1/vector_stores`) are created with this entry's provider connection, credentials and
   * embedding model, each in a collection/table of its own. At most one entry is the template.
   */
  vector_store_template: z.boolean().optional(),
  /**
   * `vector_store_id`, `custom_llm_provider`, the embedding model and its config; everything else is the provider's
   * (for Milvus: `api_key`, `api_base`, `milvus_text_field`, `dbName`, `annsField`, `limit`, …) and is checked by
   * the provider's strict schema when the proxy starts.
   */
  litellm_params: vectorStoreParamsSchema.catchall(z.unknown()),
});
export type VectorStoreEntry = z.infer<typeof vectorStoreEntrySchema>;

export const modelEntrySchema = z.strictObject({
  model_name: z.string().min(1),
  litellm_params: z.object({ model: z.string().min(1) }).and(embeddingConfigSchema),
  model_info: z
    .object({ input_cost_per_token: z.number().min(0).optional() })
    .catchall(z.unknown())
    .optional(),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

/**
 * A guardrail on vector store searches. `block_patterns` and `max_query_length` check the query before anything runs
 * (a match is a 400 naming the guardrail, never the pattern); `redact_patterns` rewrites matches in the results' text
 * and string attributes to `[REDACTED]`. Patterns are JavaScript regular expressions (flags via `flags`).
 */
export const guardrailEntrySchema = z.strictObject({
  guardrail_name: z.string().min(1),
  litellm_params: z.discriminatedUnion("guardrail", [
    z.strictObject({
      guardrail: z.literal("block_patterns"),
      patterns: z.array(z.string().min(1)).min(1),
      flags: z
        .string()
        .regex(/^[imsu]*$/, "only i, m, s, u")
        .default("i"),
      vector_stores: z.array(z.string()).optional(),
    }),
    z.strictObject({
      guardrail: z.literal("redact_patterns"),
      patterns: z.array(z.string().min(1)).min(1),
      flags: z
        .string()
        .regex(/^[imsu]*$/, "only i, m, s, u")
        .default("i"),
      replacement: z.string().default("[REDACTED]"),
      vector_stores: z.array(z.string()).optional(),
    }),
    z.strictObject({ guardrail: z.literal("max_query_length"), max_characters: z.number().int().min(1), vector_stores: z.array(z.string()).optional() }),
  ]),
});
export type GuardrailEntry = z.infer<typeof guardrailEntrySchema>;

export const embeddingCacheSettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  max_entries: z.number().int().min(1).default(1000),
  ttl_seconds: z.number().int().min(1).default(3600),
});
export type EmbeddingCacheSettings = z.infer<typeof embeddingCacheSettingsSchema>;

export const sharedCacheSettingsSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local") }),
  z.strictObject({ type: z.literal("redis"), url: z.string().min(1), key_prefix: z.string().default("vs:") }),
]);

export const metricsSettingsSchema = z.strictObject({
  /** `GET /metrics` (Prometheus text format). */
  enabled: z.boolean().default(true),
  /**
   * Absent: `/metrics` is served on the gateway's port and needs the master key. Set: served on this port instead,
   * without authentication (for a scraper on a private network), and not on the gateway's port.
   */
  port: z.number().int().min(0).max(65_535).optional(),
  /** The address the metrics port listens on (default: the gateway's). */
  host: z.string().min(1).optional(),
});
export type MetricsSettings = z.infer<typeof metricsSettingsSchema>;

export const tracingSettingsSchema = z.strictObject({
  /** Put the search query's text on the request span (`vs.query`). Off by default: queries may hold personal data. */
  record_query_text: z.boolean().default(false),
});
export type TracingSettings = z.infer<typeof tracingSettingsSchema>;

/**
 * Below this length a master key is guessable: it still starts (LiteLLM's own examples use `sk-1234`), with one
 * warning at start that it is for local use only.
 */
export const SHORT_MASTER_KEY_LENGTH = 16;

export const generalSettingsSchema = z.strictObject({
  master_key: z.string().min(1, "must not be empty").optional(),
  database_url: z.string().min(1).optional(),
  data_dir: z.string().min(1).optional(),
  max_request_body_bytes: z
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  passthrough_max_body_bytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  embedding_cache: embeddingCacheSettingsSchema.default({ enabled: true, max_entries: 1000, ttl_seconds: 3600 }),
  cache: sharedCacheSettingsSchema.optional(),
  /** Largest file `POST /v1/files` accepts (413 past it). */
  max_file_upload_bytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  /** The ingestion of files attached to vector stores (a durable queue in the proxy's database). */
  ingestion: z
    .strictObject({
      /** Ingest in this process; `false` for processes that only serve requests. */
      worker: z.boolean().default(true),
      /** Files ingested at once per process. */
      concurrency: z.number().int().min(1).max(64).default(2),
      /** A file whose process stopped sending heartbeats this long is taken over by another (minimum 10). */
      heartbeat_seconds: z.number().int().min(10).max(3600).default(30),
      /** How often an idle worker looks for work when nothing notifies it. */
      poll_interval_seconds: z.number().min(0.5).max(60).default(2),
      /** How often stale jobs are looked for. */
      supervise_interval_seconds: z.number().int().min(1).max(600).default(10),
    })
    .default({ worker: true, concurrency: 2, heartbeat_seconds: 30, poll_interval_seconds: 2, supervise_interval_seconds: 10 }),
  /**
   * Stores created with `expires_after` answer `status: "expired"` and refuse searches once it runs out; ingestion
   * processes delete them (and what vs created for them) `grace_seconds` later, looking every `sweep_interval_seconds`.
   */
  expired_vector_stores: z
    .strictObject({
      sweep_interval_seconds: z.number().min(1).max(86_400).default(3600),
      grace_seconds: z
        .number()
        .int()
        .min(0)
        .default(7 * 86_400),
    })
    .default({ sweep_interval_seconds: 3600, grace_seconds: 7 * 86_400 }),
  /** How long a key check or an index lookup may be served from memory (ms); deletions reach every process within it. */
  auth_cache_ttl_ms: z.number().int().min(0).max(60_000).default(2_000),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** On SIGTERM/SIGINT: how long requests in flight may take to finish before the process exits anyway. */
  graceful_shutdown_timeout_seconds: z.number().positive().max(3600).default(10),
  metrics: metricsSettingsSchema.default({ enabled: true }),
  /** Traces are configured by the standard OTEL_* environment variables; this only says what spans may carry. */
  tracing: tracingSettingsSchema.default({ record_query_text: false }),
});
// LiteLLM's other general_settings are dropped before parsing (see parseProxyConfig), never accepted silently.
export type GeneralSettings = z.infer<typeof generalSettingsSchema>;

export const proxyConfigSchema = z
  .strictObject({
    vector_store_registry: z.array(vectorStoreEntrySchema).default([]),
    model_list: z.array(modelEntrySchema).default([]),
    guardrails: z.array(guardrailEntrySchema).default([]),
    general_settings: generalSettingsSchema.default(() => generalSettingsSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    // Names are unique and never equal another entry's collection; several entries may share a collection
    // (another server, pinned partitions), and are then reached by name only.
    const names = new Map<string, number>();
    config.vector_store_registry.forEach((entry, index) => {
      const previous = names.get(entry.vector_store_name);
      if (previous !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["vector_store_registry", index, "vector_store_name"],
          message: `"${entry.vector_store_name}" is already used by vector_store_registry[${previous}]`,
        });
      names.set(entry.vector_store_name, index);
    });
    const templates = config.vector_store_registry.flatMap((entry, index) => (entry.vector_store_template === true ? [index] : []));
    for (const index of templates.slice(1)) {
      ctx.addIssue({
        code: "custom",
        path: ["vector_store_registry", index, "vector_store_template"],
        message: `only one entry may be the template; vector_store_registry[${templates[0]}] already is`,
      });
    }
    config.vector_store_registry.forEach((entry, index) => {
      const clash = names.get(entry.litellm_params.vector_store_id);
      if (clash !== undefined && clash !== index)
        ctx.addIssue({
          code: "custom",
          path: ["vector_store_registry", index, "litellm_params", "vector_store_id"],
          message: `"${entry.litellm_params.vector_store_id}" is the vector_store_name of vector_store_registry[${clash}]`,
        });
    });
    config.guardrails.forEach((entry, index) => {
      const params = entry.litellm_params;
      if (params.guardrail === "max_query_length") return;
      params.patterns.forEach((pattern, position) => {
        try {
          new RegExp(pattern, params.flags);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            path: ["guardrails", index, "litellm_params", "patterns", position],
            message: `not a valid regular expression: ${(error as Error).message}`,
          });
        }
      });
    });
    const models = new Set<string>();
    config.model_list.forEach((entry, index) => {
      if (models.has(entry.model_name))
        ctx.addIssue({ code: "custom", path: ["model_list", index, "model_name"], message: `"${entry.model_name}" is listed twice` });
      models.add(entry.model_name);
    });
  });
export type ProxyConfigInput = z.input<typeof proxyConfigSchema>;
export type ProxyConfig = z.output<typeof proxyConfigSchema>;

const modelParamsKeys = ["model", ...Object.keys(embeddingConfigSchema.shape)];

/** The config file's levels: the keys vs reads (from the schemas above) and the LiteLLM keys it drops. */
export const configKeyLevels: ConfigKeyLevel = {
  used: Object.keys(proxyConfigSchema.shape),
  litellm: LITELLM_TOP_LEVEL_KEYS,
  children: {
    general_settings: { used: Object.keys(generalSettingsSchema.shape), litellm: LITELLM_GENERAL_SETTINGS_KEYS },
    model_list: {
      each: {
        used: Object.keys(modelEntrySchema.shape),
        // model_info is LiteLLM's free-form metadata (extra keys allowed there too); vs reads input_cost_per_token.
        children: { litellm_params: { used: modelParamsKeys, litellm: LITELLM_MODEL_PARAMS_KEYS } },
      },
    },
    vector_store_registry: {
      each: {
        used: Object.keys(vectorStoreEntrySchema.shape),
        litellm: LITELLM_VECTOR_STORE_ENTRY_KEYS,
        children: {
          litellm_params: {
            used: Object.keys(vectorStoreParamsSchema.shape),
            litellm: LITELLM_VECTOR_STORE_PARAMS_KEYS,
            unsupported: LITELLM_VECTOR_STORE_PARAMS_RENAMED,
            // The provider's parameters: checked against its own schema at start, with the same did-you-mean.
            open: true,
            children: { litellm_embedding_config: { used: modelParamsKeys.filter((key) => key !== "model"), litellm: LITELLM_MODEL_PARAMS_KEYS } },
          },
        },
      },
    },
  },
};

export interface ParsedProxyConfig {
  config: ProxyConfig;
  /** Paths of the LiteLLM keys vs does not read and dropped, e.g. `litellm_settings`, `general_settings.alerting`. */
  ignoredKeys: string[];
}

/**
 * A parsed config file (YAML/JSON as data) to a config: LiteLLM keys vs does not read are dropped and listed, other
 * unknown keys are errors with a did-you-mean, then `os.environ/NAME` references are resolved (only in kept keys, so a
 * LiteLLM-only secret need not be set) and the schema applied. Every problem names its key path.
 */
export function parseProxyConfig(raw: Record<string, unknown>, options: { source: string; env?: Record<string, string | undefined> }): ParsedProxyConfig {
  const { value, ignored } = checkConfigKeys(raw, configKeyLevels, options.source);
  const resolved = resolveSecretReferences(value, options.env);
  return { config: parseInput(proxyConfigSchema, resolved, { what: `config ${options.source}` }), ignoredKeys: ignored };
}

const ENV_REFERENCE = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Replaces every string `os.environ/NAME` in a parsed config with the variable's value. A missing variable is an
 * error naming both the variable and the key path that referenced it; nothing is resolved lazily.
 */
export function resolveSecretReferences<T>(value: T, env: Record<string, string | undefined> = process.env): T {
  const missing: string[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === "string") {
      const match = ENV_REFERENCE.exec(node.trim());
      if (!match) return node;
      const name = match[1] as string;
      const resolved = env[name];
      if (resolved === undefined || resolved === "") {
        missing.push(`${formatPath(path)} references environment variable ${name}, which is not set`);
        return node;
      }
      return resolved;
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  const resolved = walk(value, []) as T;
  if (missing.length > 0) throw new BadRequestError(`Invalid config: ${missing.join("; ")}`, { code: "missing_environment_variable", param: null });
  return resolved;
}
