import {
  NotFoundError,
  type CallOptions,
  type ProviderSearchRequest,
  type ProviderSearchResult,
  type ProviderStoreTarget,
  type VectorStoreProvider,
  type VectorStoreWriter,
} from "@vs/core";
import type pg from "pg";
import { mergePgvectorOptions, pgvectorCallerOptionsSchema, type PgvectorCallerOptions } from "./pgvector-caller-options.js";
import {
  DEFAULT_PGVECTOR_TIMEOUT_MS,
  parseTableName,
  pgvectorOptionsSchema,
  resolvePgvectorConnection,
  type Environment,
  type PgvectorConnection,
  type PgvectorOptions,
} from "./pgvector-options.js";
import { searchPgvector } from "./pgvector-search.js";
import { inTransaction, PoolRegistry } from "./pgvector-session.js";
import { createPgvectorWriter } from "./pgvector-writer.js";

export interface PgvectorProviderSettings {
  /** Where `PGVECTOR_DATABASE_URL` / `DATABASE_URL` are read; default `process.env`. */
  env?: Environment;
}

export interface PgvectorProvider extends VectorStoreProvider<PgvectorOptions, PgvectorCallerOptions> {
  readonly id: "pgvector";
  readonly storeOptionsSchema: typeof pgvectorOptionsSchema;
  readonly callerOptionsSchema: typeof pgvectorCallerOptionsSchema;
  readonly writer: VectorStoreWriter<PgvectorOptions>;
}

/** Health checks answer fast or not at all: a readiness probe must not hang for a store's long search timeout. */
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * The PostgreSQL + pgvector provider, selected by `custom_llm_provider: pg_vector` (LiteLLM's name) or `pgvector`.
 * One `pg.Pool` per connection lives as long as the provider; nothing connects until the first call.
 */
export function createPgvectorProvider(settings: PgvectorProviderSettings = {}): PgvectorProvider {
  const env = settings.env ?? process.env;
  const pools = new PoolRegistry();
  const poolFor = (options: PgvectorOptions): { pool: pg.Pool; connection: PgvectorConnection } => {
    const connection = resolvePgvectorConnection(options, env);
    return { pool: pools.get(connection), connection };
  };

  return {
    specificationVersion: "v2",
    id: "pgvector",
    aliases: ["pg_vector"],
    storeOptionsSchema: pgvectorOptionsSchema,
    callerOptionsSchema: pgvectorCallerOptionsSchema,
    mergeOptions: mergePgvectorOptions,
    async search(request: ProviderSearchRequest<PgvectorOptions>, callOptions: CallOptions = {}): Promise<ProviderSearchResult> {
      const { pool, connection } = poolFor(request.options);
      return searchPgvector(request, pool, connection, callOptions);
    },
    async checkHealth(target: ProviderStoreTarget<PgvectorOptions>, callOptions: CallOptions = {}): Promise<void> {
      const table = parseTableName(target.vectorStoreId);
      const { pool, connection } = poolFor(target.options);
      const found = await inTransaction(
        pool,
        {
          timeoutMs: Math.min(target.options.timeout_ms ?? DEFAULT_PGVECTOR_TIMEOUT_MS, HEALTH_TIMEOUT_MS),
          signal: callOptions.signal,
          operation: `check table "${table.display}"`,
          displayAddress: connection.displayAddress,
          readOnly: true,
        },
        async (client) => (await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [table.sql])).rows[0]?.found === true,
      );
      if (!found)
        throw new NotFoundError(`The vector store has no table "${table.display}" at ${connection.displayAddress}.`, {
          param: "vector_store_id",
          code: "vector_store_error:42P01",
        });
    },
    writer: createPgvectorWriter({ poolFor }),
    async close() {
      await pools.close();
    },
  };
}
