import { createHash } from "node:crypto";
import { BadRequestError, filterSchema } from "@vs/core";
import { z } from "zod";

/**
 * A PostgreSQL identifier as the gateway accepts it: letters, digits and `_`, not starting with a digit, at most 63
 * bytes (PostgreSQL's limit). Deliberately narrower than what quoting allows, so a name can never carry a quote.
 * Names are always sent quoted, hence case-sensitive: `MyTable` is not `mytable`.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const identifier = z
  .string()
  .regex(IDENTIFIER_PATTERN, "must be a PostgreSQL identifier: letters, digits and _, not starting with a digit, at most 63 characters");

export const pgvectorMetricSchema = z.enum(["cosine", "l2", "ip"]);
export type PgvectorMetric = z.infer<typeof pgvectorMetricSchema>;

/** pgvector's own bounds for `hnsw.ef_search` and `ivfflat.probes`. */
export const MAX_EF_SEARCH = 1000;
export const MAX_PROBES = 32768;

/** The admin's options of a `pg_vector` store (a registry entry's `litellm_params`). Unknown keys are errors naming the key. */
export const pgvectorOptionsSchema = z.strictObject({
  /** `postgresql://user[:password]@host[:port]/database[?sslmode=…]`. */
  api_base: z.string().min(1).optional(),
  /** Same as `api_base` (the name most PostgreSQL tools use); set one of them. */
  database_url: z.string().min(1).optional(),
  /** The password, when it is not in the URL (it wins over the URL's). Never logged. */
  api_key: z.string().min(1).optional(),
  vector_column: identifier.default("embedding"),
  text_column: identifier.default("content"),
  /** A `jsonb` column: returned as `attributes`, and what OpenAI `filters` apply to. */
  metadata_column: identifier.default("metadata"),
  /** Returned in `attributes` under its own name when set. */
  id_column: identifier.optional(),
  file_id_column: identifier.optional(),
  filename_column: identifier.optional(),
  metric: pgvectorMetricSchema.default("cosine"),
  /** Pinned by the admin, ANDed with every request's `filters`: a caller can narrow it, never lift it. */
  filters: filterSchema.optional(),
  /** `hnsw.ef_search` for this store's searches (pgvector's default is 40). */
  ef_search: z.number().int().min(1).max(MAX_EF_SEARCH).optional(),
  /** `ivfflat.probes` for this store's searches (pgvector's default is 1). */
  probes: z.number().int().min(1).max(MAX_PROBES).optional(),
  /**
   * `hnsw.iterative_scan` / `ivfflat.iterative_scan` (pgvector ≥ 0.8): with a filter, keep scanning the index until
   * enough rows pass it, instead of returning fewer rows than asked for.
   */
  iterative_scan: z.enum(["off", "strict_order", "relaxed_order"]).optional(),
  /** Server-side `statement_timeout` of each statement; past it the call fails with 504. */
  timeout_ms: z.number().int().min(1).max(3_600_000).optional(),
});
// No object-level refinement: the caller options are built with `.pick()`, which refinements would forbid.

export type PgvectorOptions = z.output<typeof pgvectorOptionsSchema>;
export type PgvectorOptionsInput = z.input<typeof pgvectorOptionsSchema>;

export const DEFAULT_PGVECTOR_TIMEOUT_MS = 30_000;
export const DEFAULT_POSTGRES_PORT = 5432;

export type Environment = Record<string, string | undefined>;

export interface PgvectorConnection {
  /** The URL handed to `pg`, password included. Never log or show it. */
  connectionString: string;
  /** `postgresql://host:port/database`: safe to show in messages and logs. */
  displayAddress: string;
  /** Identifies the server, database, user and password (as a hash): one pool per key. */
  poolKey: string;
}

/**
 * Where and how to reach PostgreSQL: `api_base` or `database_url`, else `PGVECTOR_DATABASE_URL`, else
 * `DATABASE_URL`; `api_key` (when given) is the password.
 */
export function resolvePgvectorConnection(
  options: Pick<PgvectorOptions, "api_base" | "database_url" | "api_key">,
  env: Environment = process.env,
): PgvectorConnection {
  if (options.api_base !== undefined && options.database_url !== undefined) {
    throw new BadRequestError("database_url: set either api_base or database_url, not both.", { param: "database_url", code: "invalid_api_base" });
  }
  const param = options.database_url !== undefined ? "database_url" : "api_base";
  const raw = options.api_base ?? options.database_url ?? nonEmpty(env.PGVECTOR_DATABASE_URL) ?? nonEmpty(env.DATABASE_URL);
  if (raw === undefined) {
    throw new BadRequestError(
      "api_base: the PostgreSQL address is missing; set api_base (e.g. postgresql://user@host:5432/db) or the PGVECTOR_DATABASE_URL or DATABASE_URL environment variable.",
      {
        param: "api_base",
        code: "missing_api_base",
      },
    );
  }
  // Nothing of the URL itself goes into a message: it may carry a password.
  const invalid = (reason: string) => new BadRequestError(`${param}: the PostgreSQL address ${reason}.`, { param, code: "invalid_api_base" });
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalid("is not a URL");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") throw invalid(`must start with postgresql:// (got ${url.protocol.replace(/:$/, "")}://)`);
  if (url.hostname === "") throw invalid("has no host");
  if (options.api_key !== undefined) url.password = encodeURIComponent(options.api_key);
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || decodeURIComponent(url.username) || "postgres";
  const port = url.port === "" ? DEFAULT_POSTGRES_PORT : Number(url.port);
  const connectionString = url.toString();
  return {
    connectionString,
    displayAddress: `postgresql://${url.hostname}:${port}/${database}`,
    poolKey: createHash("sha256").update(connectionString).digest("hex"),
  };
}

export interface TableName {
  schema: string | undefined;
  table: string;
  /** `"schema"."table"` or `"table"`, ready for SQL. */
  sql: string;
  /** `schema.table` as the admin wrote it: for messages. */
  display: string;
}

/** `vector_store_id` as a table: `table` or `schema.table`, each part an identifier. */
export function parseTableName(vectorStoreId: string): TableName {
  const parts = vectorStoreId.split(".");
  if (parts.length > 2 || parts.some((part) => !IDENTIFIER_PATTERN.test(part))) {
    throw new BadRequestError(
      `vector_store_id: "${vectorStoreId.slice(0, 140)}" is not a table name; use table or schema.table, each made of letters, digits and _ (not starting with a digit, at most 63 characters).`,
      { param: "vector_store_id", code: "invalid_vector_store_id" },
    );
  }
  const [first, second] = parts as [string, string | undefined];
  const schema = second === undefined ? undefined : first;
  const table = second ?? first;
  return { schema, table, sql: schema === undefined ? quoteIdentifier(table) : `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`, display: vectorStoreId };
}

/** Quotes an identifier that already matched IDENTIFIER_PATTERN (so it holds no quote to escape). */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER_PATTERN.test(name)) throw new BadRequestError(`"${name.slice(0, 80)}" is not a valid identifier.`, { code: "invalid_identifier" });
  return `"${name}"`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
