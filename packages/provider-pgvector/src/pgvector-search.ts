import { BadRequestError, UpstreamError, type CallOptions, type ProviderSearchRequest, type ProviderSearchResult, type SearchResultRow } from "@vs/core";
import type pg from "pg";
import { andConditions, buildPgvectorFilter, SqlParameters } from "./pgvector-filters.js";
import { DEFAULT_PGVECTOR_TIMEOUT_MS, parseTableName, quoteIdentifier, type PgvectorConnection, type PgvectorOptions } from "./pgvector-options.js";
import { DISTANCE_OPERATORS, normalizeScore } from "./pgvector-scores.js";
import { inTransaction } from "./pgvector-session.js";

/** `max_num_results` absent: OpenAI's default page size. */
export const DEFAULT_SEARCH_LIMIT = 10;

/** Output names no admin column can clash with. */
const OUT = { text: "vs_text", attributes: "vs_attributes", id: "vs_id", fileId: "vs_file_id", filename: "vs_filename", distance: "vs_distance" } as const;

export interface PgvectorStatement {
  text: string;
  values: unknown[];
}

/**
 * The one search statement: nearest rows by the metric's operator (ascending distance, which the HNSW/IVFFlat index
 * serves), the admin's and the caller's filters ANDed as bound parameters, identifiers validated and quoted.
 */
export function buildSearchStatement(request: ProviderSearchRequest<PgvectorOptions>): PgvectorStatement {
  const { options } = request;
  const table = parseTableName(request.vectorStoreId);
  const limit = request.maxNumResults ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new BadRequestError("max_num_results: must be a positive integer.", { param: "max_num_results" });
  if (request.queryVector.length === 0 || request.queryVector.some((value) => !Number.isFinite(value))) {
    throw new BadRequestError("query: the embedding model returned a vector that is empty or not finite.", { param: "query" });
  }
  const parameters = new SqlParameters();
  const vector = parameters.add(`[${request.queryVector.join(",")}]`);
  const metadata = quoteIdentifier(options.metadata_column);
  const distance = `(${quoteIdentifier(options.vector_column)} ${DISTANCE_OPERATORS[options.metric]} ${vector}::vector)`;
  const columns = [`${quoteIdentifier(options.text_column)}::text AS ${OUT.text}`, `${metadata} AS ${OUT.attributes}`];
  if (options.id_column !== undefined) columns.push(`${quoteIdentifier(options.id_column)} AS ${OUT.id}`);
  if (options.file_id_column !== undefined) columns.push(`${quoteIdentifier(options.file_id_column)}::text AS ${OUT.fileId}`);
  if (options.filename_column !== undefined) columns.push(`${quoteIdentifier(options.filename_column)}::text AS ${OUT.filename}`);
  columns.push(`${distance}::float8 AS ${OUT.distance}`);

  const where = andConditions(
    options.filters === undefined ? undefined : buildPgvectorFilter(options.filters, metadata, parameters, "filters"),
    request.filters === undefined ? undefined : buildPgvectorFilter(request.filters, metadata, parameters, "filters"),
  );
  const text = `SELECT ${columns.join(", ")} FROM ${table.sql}${where === undefined ? "" : ` WHERE ${where}`} ORDER BY ${distance} LIMIT ${parameters.add(limit)}`;
  return { text, values: parameters.values };
}

/** The pgvector settings a search runs with, as `SET LOCAL` values (validated options only). */
export function searchSettings(options: PgvectorOptions): Record<string, string | number> {
  const settings: Record<string, string | number> = {};
  if (options.ef_search !== undefined) settings["hnsw.ef_search"] = options.ef_search;
  if (options.probes !== undefined) settings["ivfflat.probes"] = options.probes;
  if (options.iterative_scan !== undefined) {
    settings["hnsw.iterative_scan"] = options.iterative_scan;
    // IVFFlat has no relaxed/strict distinction in the same words: relaxed_order is its only iterative mode.
    settings["ivfflat.iterative_scan"] = options.iterative_scan === "off" ? "off" : "relaxed_order";
  }
  return settings;
}

export async function searchPgvector(
  request: ProviderSearchRequest<PgvectorOptions>,
  pool: pg.Pool,
  connection: PgvectorConnection,
  callOptions: CallOptions = {},
): Promise<ProviderSearchResult> {
  if (request.rankingOptions?.hybrid_search !== undefined) {
    // Silently answering with the embedding search alone would hide that the text half was never run.
    throw new BadRequestError("ranking_options.hybrid_search: pgvector stores have no full-text index in this gateway; search without hybrid_search.", {
      param: "ranking_options.hybrid_search",
      code: "hybrid_search_unsupported",
    });
  }
  const statement = buildSearchStatement(request);
  const { options } = request;
  const rows = await inTransaction(
    pool,
    {
      timeoutMs: options.timeout_ms ?? DEFAULT_PGVECTOR_TIMEOUT_MS,
      signal: callOptions.signal,
      operation: `search table "${request.vectorStoreId}"`,
      displayAddress: connection.displayAddress,
      localSettings: searchSettings(options),
      readOnly: true,
    },
    async (client) => (await client.query<Record<string, unknown>>(statement.text, statement.values)).rows,
  );
  const threshold = request.rankingOptions?.score_threshold;
  const data: SearchResultRow[] = [];
  for (const row of rows) {
    const result = searchResultRow(row, options);
    // A zero vector has no cosine (pgvector answers NaN): it cannot be ranked, so it is not a result.
    if (result === undefined) continue;
    if (threshold !== undefined && result.score < threshold) continue;
    data.push(result);
  }
  return { data };
}

function searchResultRow(row: Record<string, unknown>, options: PgvectorOptions): SearchResultRow | undefined {
  const distance = row[OUT.distance];
  if (typeof distance !== "number") {
    throw new UpstreamError({ upstream: "vector_store", message: "PostgreSQL returned a search row without a numeric distance." });
  }
  if (!Number.isFinite(distance)) return undefined;
  const metadata = row[OUT.attributes];
  const attributes: Record<string, unknown> = isPlainObject(metadata)
    ? { ...metadata }
    : metadata === null || metadata === undefined
      ? {}
      : { [options.metadata_column]: metadata };
  if (options.id_column !== undefined && !(options.id_column in attributes)) attributes[options.id_column] = row[OUT.id];
  return {
    score: normalizeScore(options.metric, distance),
    content: [{ type: "text", text: typeof row[OUT.text] === "string" ? (row[OUT.text] as string) : "" }],
    file_id: stringOrNull(row[OUT.fileId]),
    filename: stringOrNull(row[OUT.filename]),
    attributes,
    distance,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
