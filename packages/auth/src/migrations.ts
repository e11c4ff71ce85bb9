import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ServiceUnavailableError, VsError } from "@vs/core";
import type { DatabaseConnection } from "./database.js";
import { databaseUnavailable } from "./database-errors.js";

/** The same folder from `src/` (tests) and from `dist/` (the built package ships `prisma/`). */
export const defaultMigrationsDirectory = fileURLToPath(new URL("../prisma/migrations/", import.meta.url));

/** Which migrations ran, and when; kept apart from Prisma's `_prisma_migrations` because another runner owns that. */
export const MIGRATIONS_TABLE = "vs_auth_migrations";

export interface Migration {
  /** The folder name, `<timestamp>_<name>`; the timestamp orders them. */
  name: string;
  sql: string;
  /** sha256 of the SQL with line endings normalised, so a checkout with CRLF does not count as an edit. */
  checksum: string;
}

export async function readMigrations(directory: string = defaultMigrationsDirectory): Promise<Migration[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(directory, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql.replaceAll("\r\n", "\n")).digest("hex") };
    }),
  );
}

/** A 64-bit advisory lock id per schema, so stores in different schemas of one database do not wait on each other. */
function advisoryLockId(schema: string | null): string {
  return createHash("sha256")
    .update(`vs-auth-migrations:${schema ?? ""}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}

/**
 * Applies the migrations the database has not seen, all in one transaction behind an advisory lock: of two processes
 * starting at once, the second waits, then finds everything applied. A failing migration rolls back whole.
 */
export async function applyMigrations(
  connection: DatabaseConnection,
  options: { migrations?: Migration[]; log?: (line: string) => void } = {},
): Promise<{ applied: string[] }> {
  const migrations = options.migrations ?? (await readMigrations());
  const log = options.log ?? (() => undefined);
  try {
    return await connection.inTransaction(async (session) => {
      await session.query("SELECT pg_advisory_xact_lock($1::bigint)", [advisoryLockId(connection.schema)]);
      if (connection.schema !== null) {
        await session.execute(`CREATE SCHEMA IF NOT EXISTS "${connection.schema}"; SET LOCAL search_path TO "${connection.schema}"`);
      }
      await session.execute(
        `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const rows = await session.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM "${MIGRATIONS_TABLE}"`);
      const appliedChecksums = new Map(rows.map((row) => [row.name, row.checksum]));
      const applied: string[] = [];
      for (const migration of migrations) {
        const checksum = appliedChecksums.get(migration.name);
        if (checksum === undefined) {
          await session.execute(migration.sql);
          await session.query(`INSERT INTO "${MIGRATIONS_TABLE}" (name, checksum) VALUES ($1, $2)`, [migration.name, migration.checksum]);
          applied.push(migration.name);
          log(`auth store: applied migration ${migration.name}`);
        } else if (checksum !== migration.checksum) {
          // Editing an applied migration leaves databases that ran the old text differing from new ones.
          throw new ServiceUnavailableError(`Migration ${migration.name} was changed after it was applied to this database; add a new migration instead.`, {
            code: "database_migration_edited",
          });
        }
      }
      const known = new Set(migrations.map((migration) => migration.name));
      const newer = rows.filter((row) => !known.has(row.name)).map((row) => row.name);
      // During a rolling deploy an older process meets migrations of a newer one; they only ever add.
      if (newer.length > 0) log(`auth store: database has migrations this version does not know: ${newer.join(", ")}`);
      return { applied };
    });
  } catch (error) {
    if (VsError.isInstance(error)) throw error;
    throw databaseUnavailable(error, "The database could not be migrated.");
  }
}
