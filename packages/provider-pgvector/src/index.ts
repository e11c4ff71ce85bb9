export { createPgvectorProvider, type PgvectorProvider, type PgvectorProviderSettings } from "./pgvector-provider.js";
export {
  pgvectorOptionsSchema,
  pgvectorMetricSchema,
  resolvePgvectorConnection,
  parseTableName,
  quoteIdentifier,
  IDENTIFIER_PATTERN,
  DEFAULT_PGVECTOR_TIMEOUT_MS,
  DEFAULT_POSTGRES_PORT,
  MAX_EF_SEARCH,
  MAX_PROBES,
  type PgvectorOptions,
  type PgvectorOptionsInput,
  type PgvectorMetric,
  type PgvectorConnection,
  type TableName,
  type Environment,
} from "./pgvector-options.js";
export { pgvectorCallerOptionsSchema, mergePgvectorOptions, type PgvectorCallerOptions } from "./pgvector-caller-options.js";
export { buildPgvectorFilter, andConditions, SqlParameters } from "./pgvector-filters.js";
export { buildSearchStatement, searchPgvector, searchSettings, DEFAULT_SEARCH_LIMIT, type PgvectorStatement } from "./pgvector-search.js";
export { normalizeScore, DISTANCE_OPERATORS, OPERATOR_CLASSES } from "./pgvector-scores.js";
export { pgvectorErrorFrom, PostgresErrorCode, type PgvectorErrorContext } from "./pgvector-error.js";
export { createPgvectorWriter, CREATED_STORE_COLUMNS, HNSW_MAX_DIMENSIONS, VECTOR_MAX_DIMENSIONS, type WriterContext } from "./pgvector-writer.js";
export { inTransaction, PoolRegistry, CLIENT_TIMEOUT_GRACE_MS, type TransactionSettings } from "./pgvector-session.js";
