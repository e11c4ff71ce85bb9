import { BadRequestError } from "@vs/core";
import { z } from "zod";
import type { MilvusTransportKind } from "./milvus-transport.js";
import { consistencyLevelSchema } from "./milvus-vocabulary.js";

/** Milvus refuses a search whose `limit + offset` exceeds this (its `topk` bound). */
export const MILVUS_MAX_TOP_K = 16384;

/**
 * `searchParams` as Milvus takes it: `{metricType | metric_type, params: {nprobe, ef, level, radius, …}}`, or flat
 * (Milvus ≥ 2.5.2). Kept loose because index parameters differ per index type; only the metric name is checked.
 */
export const searchParamsSchema = z.record(z.string(), z.unknown()).superRefine((params, context) => {
  for (const key of ["metricType", "metric_type"] as const) {
    const value = params[key];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      context.addIssue({ code: "custom", path: [key], message: "must be a metric name such as COSINE, IP or L2" });
    }
  }
});

/** The Milvus parameters of a search, with the reference page's names. Unknown keys are errors naming the key. */
export const milvusOptionsSchema = z.strictObject({
  /** Milvus token (`user:password` or a Zilliz Cloud API key); falls back to `MILVUS_API_KEY`. */
  api_key: z.string().min(1).optional(),
  /** `http(s)://host:port` (REST v2), `grpc://host:port` or `grpcs://host:port`; falls back to `MILVUS_API_BASE`. */
  api_base: z.string().min(1).optional(),
  /** Forces the transport whatever the `api_base` scheme says. */
  transport: z.enum(["rest", "grpc"]).optional(),
  /** The scalar field holding the text returned as `content`. Required to search. */
  milvus_text_field: z.string().min(1).optional(),
  dbName: z.string().min(1).optional(),
  /** The vector field to search. No default: Milvus picks the only vector field when there is one. */
  annsField: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(MILVUS_MAX_TOP_K).optional(),
  offset: z.number().int().min(0).optional(),
  /** A Milvus boolean expression, ANDed with the request's `filters`. Written by the operator, sent as is. */
  filter: z.string().min(1).optional(),
  groupingField: z.string().min(1).optional(),
  groupSize: z.number().int().min(1).optional(),
  outputFields: z.array(z.string().min(1)).optional(),
  searchParams: searchParamsSchema.optional(),
  partitionNames: z.array(z.string().min(1)).optional(),
  consistencyLevel: consistencyLevelSchema.optional(),
  /** How long one Milvus call may take before the search fails with 504. */
  timeout_ms: z.number().int().min(1).optional(),
  /**
   * Set by the gateway on stores it creates (`vs-v1`): the collection has the provider's own layout, so searches
   * return `file_id`/`filename` from their fields and apply `filters` to the `attributes` JSON field. See the README.
   */
  managed_schema: z.literal("vs-v1").optional(),
});
// No object-level refinement: the proxy builds its request schema with `.pick()`, which refinements would forbid.
// `limit + offset` (bounded by MILVUS_MAX_TOP_K) is checked by the search, where `max_num_results` is known too.

export type MilvusOptions = z.infer<typeof milvusOptionsSchema>;

export const DEFAULT_MILVUS_TIMEOUT_MS = 30_000;
/** Milvus serves REST and gRPC on the same port; this is its default. */
export const DEFAULT_MILVUS_PORT = 19530;

interface ConnectionBase {
  /** The token sent to Milvus, if any. Never log this object. */
  token?: string | undefined;
  timeoutMs: number;
  /** `scheme://host:port` without credentials: safe to show in messages and logs. */
  displayAddress: string;
}

export interface MilvusRestConnection extends ConnectionBase {
  kind: "rest";
  /** `http(s)://host[:port][/prefix]`, no trailing slash. */
  baseUrl: string;
}

export interface MilvusGrpcConnection extends ConnectionBase {
  kind: "grpc";
  /** `host:port`. */
  address: string;
  ssl: boolean;
}

export type MilvusConnection = MilvusRestConnection | MilvusGrpcConnection;

export type Environment = Record<string, string | undefined>;

/**
 * Where and how to reach Milvus: `api_base`/`api_key` from the options, else `MILVUS_API_BASE`/`MILVUS_API_KEY`.
 * The scheme picks the transport (`http(s)://` → REST v2, `grpc://` → gRPC, `grpcs://` → gRPC over TLS) unless
 * `transport` says otherwise.
 */
export function resolveMilvusConnection(
  options: Pick<MilvusOptions, "api_base" | "api_key" | "transport" | "timeout_ms">,
  env: Environment = process.env,
): MilvusConnection {
  const apiBase = options.api_base ?? nonEmpty(env.MILVUS_API_BASE);
  if (apiBase === undefined) {
    throw new BadRequestError(
      "api_base: the Milvus address is missing; set api_base (e.g. http://localhost:19530) or the MILVUS_API_BASE environment variable.",
      { param: "api_base", code: "missing_api_base" },
    );
  }
  const token = options.api_key ?? nonEmpty(env.MILVUS_API_KEY);
  const timeoutMs = options.timeout_ms ?? DEFAULT_MILVUS_TIMEOUT_MS;

  let url: URL;
  try {
    url = new URL(apiBase.trim());
  } catch {
    throw invalidApiBase("is not a URL");
  }
  if (url.username !== "" || url.password !== "") {
    // A token in the URL would end up in logs and error messages; api_key is the place for it.
    throw invalidApiBase("must not contain credentials; put the token in api_key or MILVUS_API_KEY");
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase();
  if (!["http", "https", "grpc", "grpcs"].includes(scheme)) {
    throw invalidApiBase(`has the unsupported scheme "${scheme}"; use http://, https://, grpc:// or grpcs://`);
  }
  if (url.hostname === "") throw invalidApiBase("has no host");
  const secure = scheme === "https" || scheme === "grpcs";
  const kind: MilvusTransportKind = options.transport ?? (scheme === "grpc" || scheme === "grpcs" ? "grpc" : "rest");

  if (kind === "grpc") {
    const port = url.port !== "" ? url.port : secure ? "443" : String(DEFAULT_MILVUS_PORT);
    const address = `${url.hostname}:${port}`;
    return { kind, address, ssl: secure, token, timeoutMs, displayAddress: `${secure ? "grpcs" : "grpc"}://${address}` };
  }
  let baseUrl: string;
  if (scheme === "grpc" || scheme === "grpcs") {
    const port = url.port !== "" ? url.port : String(DEFAULT_MILVUS_PORT);
    baseUrl = `${secure ? "https" : "http"}://${url.hostname}:${port}`;
  } else {
    baseUrl = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  }
  return { kind, baseUrl, token, timeoutMs, displayAddress: baseUrl };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function invalidApiBase(reason: string): BadRequestError {
  return new BadRequestError(`api_base: the Milvus address ${reason}.`, { param: "api_base", code: "invalid_api_base" });
}
