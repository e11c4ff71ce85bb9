import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { BadRequestError, ServiceUnavailableError } from "@vs/core";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { databaseUnavailable } from "./database-errors.js";

export type DatabaseKind = "postgresql" | "pglite";

/** The few raw operations the migration runner needs, the same on both drivers. */
export interface SqlSession {
  query<Row extends Record<string, unknown>>(text: string, parameters?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements (a migration file). */
  execute(script: string): Promise<void>;
}

/** One open database: the driver adapter Prisma runs on, plus raw transactions for migrations. */
export interface DatabaseConnection {
  readonly kind: DatabaseKind;
  /** The PostgreSQL schema the tables live in; null for the connection's default (`public`). */
  readonly schema: string | null;
  readonly adapter: PrismaPg | PrismaPGlite;
  /** What another library on the same database needs (the ingestion job queue): the embedded instance, or where the server is. */
  readonly driver: DatabaseDriver;
  /** Runs `work` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  inTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The embedded instance itself (PGlite has one connection: anything else must share it), or the server's address
 * without the Prisma-only parameters, and the schema the tables live in.
 */
export type DatabaseDriver = { kind: "pglite"; pglite: PGlite } | { kind: "postgresql"; connectionString: string; schema: string | null };

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  log: (line: string) => void;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `postgresql://…` → PostgreSQL; no URL → PGlite under `<dataDir>/pglite`. */
export async function connectDatabase(options: ConnectOptions): Promise<DatabaseConnection> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== "") return connectPostgres(options.databaseUrl, options.log);
  if (options.dataDir === undefined || options.dataDir === "") {
    throw new BadRequestError("The auth store needs either a database_url (postgresql://…) or a data_dir for its embedded database.", {
      param: "database_url",
    });
  }
  return connectPglite(path.join(options.dataDir, "pglite"));
}

interface PostgresSettings {
  connectionString: string;
  schema: string | null;
  maxConnections: number | undefined;
}

/**
 * Reads the Prisma-style `?schema=` and `?connection_limit=` parameters, which node-postgres does not know, and
 * hands it the URL without them.
 */
export function parsePostgresUrl(databaseUrl: string): PostgresSettings {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    // The URL may hold a password: never echo it.
    throw new BadRequestError("database_url is not a valid URL.", { param: "database_url" });
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new BadRequestError(`database_url must start with postgresql:// (got ${url.protocol}//).`, { param: "database_url" });
  }
  const schema = url.searchParams.get("schema");
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new BadRequestError("database_url: the schema parameter must be a plain identifier (letters, digits, _).", { param: "database_url" });
  }
  const limit = url.searchParams.get("connection_limit");
  const maxConnections = limit === null ? undefined : Number(limit);
  if (maxConnections !== undefined && (!Number.isSafeInteger(maxConnections) || maxConnections < 1)) {
    throw new BadRequestError("database_url: connection_limit must be a positive whole number.", { param: "database_url" });
  }
  url.searchParams.delete("schema");
  url.searchParams.delete("connection_limit");
  return { connectionString: schema === null && limit === null ? databaseUrl : url.toString(), schema, maxConnections };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function connectPostgres(databaseUrl: string, log: (line: string) => void): Promise<DatabaseConnection> {
  const settings = parsePostgresUrl(databaseUrl);
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    // Without a bound a blackholed host would hang the first request instead of failing it.
    connectionTimeoutMillis: 10_000,
    ...(settings.maxConnections === undefined ? {} : { max: settings.maxConnections }),
    // Unqualified names in the migration files and raw queries resolve to the configured schema.
    ...(settings.schema === null ? {} : { options: `-c search_path=${quoteIdentifier(settings.schema)}` }),
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects or fails.
  pool.on("error", (error) => log(`auth store: idle database connection failed (${(error as NodeJS.ErrnoException).code ?? error.name})`));
  const adapter = new PrismaPg(pool, settings.schema === null ? undefined : { schema: settings.schema });
  let closed = false;
  return {
    kind: "postgresql",
    schema: settings.schema,
    adapter,
    driver: { kind: "postgresql", connectionString: settings.connectionString, schema: settings.schema },
    async inTransaction(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw databaseUnavailable(error);
      }
      let failed = false;
      try {
        await client.query("BEGIN");
        const result = await work({
          query: async <Row extends Record<string, unknown>>(text: string, parameters?: unknown[]) => (await client.query<Row>(text, parameters)).rows,
          execute: async (script) => {
            await client.query(script);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        failed = true;
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        // A connection that failed mid-transaction may be in any state: drop it rather than reuse it.
        client.release(failed);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

const INITDB_SCRIPTS = ["pglite-initdb.js", "pglite-initdb.ts"].map((name) => fileURLToPath(new URL(name, import.meta.url)));

/**
 * PGlite's initdb for a new directory, in a child process (`pglite-initdb.ts`): measured on Node 24, creating a
 * directory in-process peaks at ~1.1 GB RSS and leaves ~650 MB behind for the proxy's life (a WebAssembly heap never
 * shrinks), where opening an existing one costs ~300 MB. The child runs V8's baseline WebAssembly compiler only
 * (`--liftoff-only`): initdb runs each function a few times, so optimising them costs more time and memory than it
 * saves (2.7 s instead of 7.7 s, ~650 MB instead of ~1.1 GB). When the child cannot do it, the open below does it
 * in-process, as before. Resolves whether the child succeeded.
 */
export async function initializeInChildProcess(directory: string): Promise<boolean> {
  const script = INITDB_SCRIPTS.find((candidate) => existsSync(candidate));
  if (script === undefined) return false;
  return new Promise<boolean>((resolve) => {
    // The .ts file only exists where the sources run directly (tests); Node < 23.6 strips its types only when asked.
    const flags = script.endsWith(".ts") ? ["--liftoff-only", "--experimental-strip-types", "--no-warnings"] : ["--liftoff-only"];
    const child = spawn(process.execPath, [...flags, script, directory], { stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

/** PGlite keeps one writer per data directory; a second instance in the same process would corrupt it. */
const openPgliteDirectories = new Set<string>();

async function connectPglite(directory: string): Promise<DatabaseConnection> {
  const resolved = path.resolve(directory);
  if (openPgliteDirectories.has(resolved)) {
    throw new ServiceUnavailableError(`The embedded database in ${resolved} is already open in this process; share one auth store.`, {
      code: "database_in_use",
    });
  }
  openPgliteDirectories.add(resolved);
  let database: PGlite;
  try {
    await mkdir(directory, { recursive: true });
    if (!existsSync(path.join(directory, "PG_VERSION"))) await initializeInChildProcess(directory);
    database = await PGlite.create({ dataDir: directory });
  } catch (error) {
    openPgliteDirectories.delete(resolved);
    throw databaseUnavailable(error, "The embedded database could not be opened.");
  }
  let closed = false;
  return {
    kind: "pglite",
    schema: null,
    adapter: new PrismaPGlite(database),
    driver: { kind: "pglite", pglite: database },
    inTransaction: (work) =>
      database.transaction((transaction) =>
        work({
          query: async <Row extends Record<string, unknown>>(text: string, parameters?: unknown[]) => (await transaction.query<Row>(text, parameters)).rows,
          execute: async (script) => {
            await transaction.exec(script);
          },
        }),
      ),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await database.close();
      } finally {
        openPgliteDirectories.delete(resolved);
      }
    },
  };
}
