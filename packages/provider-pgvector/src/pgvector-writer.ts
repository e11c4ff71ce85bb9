import {
  BadRequestError,
  VsError,
  type AttributeValue,
  type CallOptions,
  type ProviderStoreTarget,
  type StoredChunk,
  type StoreLayout,
  type VectorStoreWriter,
} from "@vs/core";
import type pg from "pg";
import {
  DEFAULT_PGVECTOR_TIMEOUT_MS,
  parseTableName,
  quoteIdentifier,
  type PgvectorConnection,
  type PgvectorOptions,
  type TableName,
} from "./pgvector-options.js";
import { OPERATOR_CLASSES } from "./pgvector-scores.js";
import { inTransaction } from "./pgvector-session.js";

/** The columns of a table the gateway creates; `optionsForCreatedStore` points the search at them. */
export const CREATED_STORE_COLUMNS = {
  id: "id",
  fileId: "file_id",
  filename: "filename",
  chunkIndex: "chunk_index",
  text: "content",
  vector: "embedding",
  attributes: "attributes",
} as const;

/** pgvector's HNSW index takes `vector` columns of at most this many dimensions; larger ones are searched exactly. */
export const HNSW_MAX_DIMENSIONS = 2000;
/** pgvector's `vector` type holds at most this many dimensions. */
export const VECTOR_MAX_DIMENSIONS = 16000;
/** Rows per INSERT: bounds one statement's size (a 3072-dim chunk is ~60 KB of text). */
const UPSERT_BATCH = 200;

export interface WriterContext {
  poolFor(options: PgvectorOptions): { pool: pg.Pool; connection: PgvectorConnection };
}

export function createPgvectorWriter(context: WriterContext): VectorStoreWriter<PgvectorOptions> {
  const run = <T>(
    target: ProviderStoreTarget<PgvectorOptions>,
    operation: string,
    callOptions: CallOptions,
    work: (client: pg.PoolClient, table: TableName) => Promise<T>,
  ): Promise<T> => {
    const table = parseTableName(target.vectorStoreId);
    const { pool, connection } = context.poolFor(target.options);
    return inTransaction(
      pool,
      {
        timeoutMs: target.options.timeout_ms ?? DEFAULT_PGVECTOR_TIMEOUT_MS,
        signal: callOptions.signal,
        operation: `${operation} table "${table.display}"`,
        displayAddress: connection.displayAddress,
      },
      (client) => work(client, table),
    );
  };

  return {
    optionsForCreatedStore(template: PgvectorOptions, layout: StoreLayout): PgvectorOptions {
      return {
        ...template,
        vector_column: CREATED_STORE_COLUMNS.vector,
        text_column: CREATED_STORE_COLUMNS.text,
        metadata_column: CREATED_STORE_COLUMNS.attributes,
        id_column: undefined,
        file_id_column: CREATED_STORE_COLUMNS.fileId,
        filename_column: CREATED_STORE_COLUMNS.filename,
        metric: layout.metric,
        // Filters on an HNSW index would otherwise return fewer rows than asked for (pgvector ≥ 0.8).
        iterative_scan: template.iterative_scan ?? "strict_order",
      };
    },

    async createStore(target, layout, callOptions = {}) {
      checkLayout(layout);
      await run(target, "create", callOptions, async (client, table) => {
        // Serialises concurrent creations of one table (CREATE … IF NOT EXISTS races on the catalog otherwise).
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`vs-pgvector:${table.sql}`]);
        const vectorType = await client.query<{ present: boolean }>("SELECT to_regtype('vector') IS NOT NULL AS present");
        if (vectorType.rows[0]?.present !== true) await client.query("CREATE EXTENSION IF NOT EXISTS vector");
        const c = CREATED_STORE_COLUMNS;
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${table.sql} (${c.id} text PRIMARY KEY, ${c.fileId} text NOT NULL, ${c.filename} text NOT NULL, ${c.chunkIndex} integer NOT NULL, ` +
            `${c.text} text NOT NULL, ${c.vector} vector(${layout.dimensions}) NOT NULL, ${c.attributes} jsonb NOT NULL DEFAULT '{}'::jsonb)`,
        );
        await checkExistingLayout(client, table, layout);
        await client.query(`CREATE INDEX IF NOT EXISTS ${indexName(table.table, "file_id")} ON ${table.sql} (${c.fileId})`);
        if (layout.dimensions <= HNSW_MAX_DIMENSIONS) {
          await client.query(
            `CREATE INDEX IF NOT EXISTS ${indexName(table.table, "embedding")} ON ${table.sql} USING hnsw (${c.vector} ${OPERATOR_CLASSES[layout.metric]})`,
          );
        }
      });
    },

    async upsertChunks(target, chunks, callOptions = {}) {
      if (chunks.length === 0) return;
      // One statement may not touch a row twice (ON CONFLICT): the last chunk of an id wins, as sequential writes would.
      const unique = [...new Map(chunks.map((chunk) => [chunk.id, chunk])).values()];
      await run(target, "upsert into", callOptions, async (client, table) => {
        for (let start = 0; start < unique.length; start += UPSERT_BATCH) {
          await upsertBatch(client, table, unique.slice(start, start + UPSERT_BATCH));
        }
      });
    },

    async deleteFileChunks(target, fileId, callOptions = {}) {
      await run(target, "delete from", callOptions, (client, table) =>
        client.query(`DELETE FROM ${table.sql} WHERE ${CREATED_STORE_COLUMNS.fileId} = $1`, [fileId]),
      );
    },

    async updateFileAttributes(target, fileId, attributes: Record<string, AttributeValue>, callOptions = {}) {
      await run(target, "update", callOptions, (client, table) =>
        client.query(`UPDATE ${table.sql} SET ${CREATED_STORE_COLUMNS.attributes} = $2::jsonb WHERE ${CREATED_STORE_COLUMNS.fileId} = $1`, [
          fileId,
          JSON.stringify(attributes),
        ]),
      );
    },

    async dropStore(target, callOptions = {}) {
      await run(target, "drop", callOptions, (client, table) => client.query(`DROP TABLE IF EXISTS ${table.sql}`));
    },
  };
}

function checkLayout(layout: StoreLayout): void {
  if (!Number.isInteger(layout.dimensions) || layout.dimensions < 1 || layout.dimensions > VECTOR_MAX_DIMENSIONS) {
    throw new BadRequestError(`dimensions: must be an integer from 1 to ${VECTOR_MAX_DIMENSIONS} (pgvector's vector type).`, { param: "dimensions" });
  }
  if (!(layout.metric in OPERATOR_CLASSES)) throw new BadRequestError(`metric: must be cosine, l2 or ip.`, { param: "metric" });
}

/** `CREATE TABLE IF NOT EXISTS` keeps an older table as it is: it must have the layout asked for. */
async function checkExistingLayout(client: pg.PoolClient, table: TableName, layout: StoreLayout): Promise<void> {
  const regclass = table.sql;
  const column = await client.query<{ type: string | null }>(
    "SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped",
    [regclass, CREATED_STORE_COLUMNS.vector],
  );
  const expected = `vector(${layout.dimensions})`;
  const actual = column.rows[0]?.type ?? "no embedding column";
  if (actual !== expected) throw layoutConflict(table, `its ${CREATED_STORE_COLUMNS.vector} column is ${actual}, not ${expected}`);
  const indexes = await client.query<{ opclass: string }>(
    "SELECT opc.opcname AS opclass FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam " +
      "JOIN pg_opclass opc ON opc.oid = i.indclass[0] WHERE i.indrelid = $1::regclass AND am.amname IN ('hnsw', 'ivfflat')",
    [regclass],
  );
  const other = indexes.rows.find((row) => row.opclass !== OPERATOR_CLASSES[layout.metric]);
  if (other !== undefined)
    throw layoutConflict(table, `its vector index uses ${other.opclass}, not ${OPERATOR_CLASSES[layout.metric]} (metric ${layout.metric})`);
}

function layoutConflict(table: TableName, reason: string): VsError {
  return new VsError({
    status: 409,
    code: "vector_store_layout_conflict",
    type: "invalid_request_error",
    param: "vector_store_id",
    message: `Table "${table.display}" already exists with another layout: ${reason}.`,
  });
}

/** `<table>_<suffix>`, cut to PostgreSQL's 63 bytes the same way every time (PostgreSQL would cut it with a notice). */
function indexName(table: string, suffix: string): string {
  return quoteIdentifier(`${table.slice(0, 62 - suffix.length)}_${suffix}`);
}

async function upsertBatch(client: pg.PoolClient, table: TableName, chunks: StoredChunk[]): Promise<void> {
  const c = CREATED_STORE_COLUMNS;
  for (const chunk of chunks) {
    if (chunk.vector.some((value) => !Number.isFinite(value)))
      throw new BadRequestError(`chunk "${chunk.id}": its vector holds a value that is not a finite number.`, { param: "vector" });
  }
  await client.query(
    `INSERT INTO ${table.sql} (${c.id}, ${c.fileId}, ${c.filename}, ${c.chunkIndex}, ${c.text}, ${c.vector}, ${c.attributes}) ` +
      "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::vector[], $7::jsonb[]) " +
      `ON CONFLICT (${c.id}) DO UPDATE SET ${c.fileId} = EXCLUDED.${c.fileId}, ${c.filename} = EXCLUDED.${c.filename}, ${c.chunkIndex} = EXCLUDED.${c.chunkIndex}, ` +
      `${c.text} = EXCLUDED.${c.text}, ${c.vector} = EXCLUDED.${c.vector}, ${c.attributes} = EXCLUDED.${c.attributes}`,
    [
      chunks.map((chunk) => chunk.id),
      chunks.map((chunk) => chunk.fileId),
      chunks.map((chunk) => chunk.filename),
      chunks.map((chunk) => chunk.chunkIndex),
      chunks.map((chunk) => chunk.text),
      chunks.map((chunk) => `[${chunk.vector.join(",")}]`),
      chunks.map((chunk) => JSON.stringify(chunk.attributes)),
    ],
  );
}
