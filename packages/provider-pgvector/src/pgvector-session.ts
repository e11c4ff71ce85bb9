import { AbortedError, throwIfAborted, UpstreamTimeoutError, type VsError } from "@vs/core";
import pg from "pg";
import { pgvectorErrorFrom } from "./pgvector-error.js";
import type { PgvectorConnection } from "./pgvector-options.js";

/**
 * How long past `timeout_ms` the gateway waits before abandoning a connection itself. PostgreSQL's own
 * `statement_timeout` normally answers first (57014, with its message); this catches what it cannot: a server that
 * stopped answering, a connection that never opens, an engine without timers (PGlite).
 */
export const CLIENT_TIMEOUT_GRACE_MS = 1_000;

export interface TransactionSettings {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** What the gateway is doing, for error messages: `search table "docs"`. */
  operation: string;
  displayAddress: string;
  /**
   * `SET LOCAL` settings besides `statement_timeout` (`hnsw.ef_search`, …). Values must come from validated options
   * (integers, fixed enum words): they are written into the statement.
   */
  localSettings?: Record<string, string | number>;
  readOnly?: boolean;
}

/** One `pg.Pool` per connection (server, database, user, password), shared by every store that uses it. */
export class PoolRegistry {
  private readonly pools = new Map<string, pg.Pool>();

  get(connection: PgvectorConnection): pg.Pool {
    let pool = this.pools.get(connection.poolKey);
    if (pool === undefined) {
      pool = new pg.Pool({
        connectionString: connection.connectionString,
        max: 10,
        idleTimeoutMillis: 30_000,
        keepAlive: true,
        application_name: "vs-gateway",
      });
      // An idle connection dropped by the server must not crash the process; the next checkout opens a new one.
      pool.on("error", () => undefined);
      this.pools.set(connection.poolKey, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.end()));
  }
}

/**
 * Runs `work` in a transaction whose statements carry `SET LOCAL statement_timeout` (so a store's timeout holds per
 * statement whatever the pool or a PgBouncer in transaction mode does with the session), and maps every failure to a
 * VsError. Past the timeout (plus a grace), or when `signal` fires, the connection is destroyed rather than returned
 * to the pool, so a late answer cannot be read by the next user of that connection.
 */
export async function inTransaction<T>(pool: pg.Pool, settings: TransactionSettings, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  throwIfAborted(settings.signal);
  const context = { operation: settings.operation, displayAddress: settings.displayAddress, timeoutMs: settings.timeoutMs };
  let client: pg.PoolClient | undefined;
  let released = false;
  let abandoned = false;
  const onClientError = (): void => release(true);
  function release(destroy: boolean): void {
    if (client === undefined || released) return;
    released = true;
    client.off("error", onClientError);
    client.release(destroy ? new Error("abandoned by the gateway") : undefined);
  }

  const run = (async () => {
    const acquired = await pool.connect();
    if (abandoned) {
      acquired.release();
      throw new Error("abandoned");
    }
    client = acquired;
    // A connection error while checked out is emitted on the client; without a listener it would crash the process.
    acquired.on("error", onClientError);
    try {
      await acquired.query(beginStatement(settings));
      const result = await work(acquired);
      await acquired.query("COMMIT");
      return result;
    } catch (error) {
      if (!released) await acquired.query("ROLLBACK").catch(() => release(true));
      throw error;
    } finally {
      release(false);
    }
  })();

  return new Promise<T>((resolve, reject) => {
    const signal = settings.signal;
    const stop = (error: VsError): void => {
      finish();
      abandoned = true;
      release(true);
      reject(error);
    };
    const onAbort = (): void => stop(new AbortedError(signal?.reason));
    const timer = setTimeout(() => stop(new UpstreamTimeoutError("vector_store", settings.timeoutMs)), settings.timeoutMs + CLIENT_TIMEOUT_GRACE_MS);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    run.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(pgvectorErrorFrom(error, context));
      },
    );
  });
}

function beginStatement(settings: TransactionSettings): string {
  const statements = [settings.readOnly ? "BEGIN READ ONLY" : "BEGIN", `SET LOCAL statement_timeout = ${Math.trunc(settings.timeoutMs)}`];
  for (const [name, value] of Object.entries(settings.localSettings ?? {})) {
    if (!/^[a-z_]+(\.[a-z_]+)?$/.test(name) || !/^[A-Za-z0-9_]+$/.test(String(value))) throw new Error(`unsafe setting ${name}`);
    statements.push(`SET LOCAL ${name} = ${value}`);
  }
  return statements.join("; ");
}
