import { createServer } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * Real pgvector for tests where the machine's PostgreSQL has none: PGlite (PostgreSQL in Wasm) with its bundled
 * pgvector extension (0.8.1 in PGlite 0.4.6), served over the PostgreSQL wire protocol on loopback, so the provider's
 * own `pg` Pool talks to it over TCP exactly as it would to a server.
 *
 * Differences from a server that matter to tests: one backend serves every connection (statements run one at a
 * time; session settings are shared), any user and password are accepted, and `statement_timeout` is not enforced
 * (the Wasm build has no timer signals), so only the gateway's own client-side timeout fires.
 */
export interface PgvectorTestServer {
  /** `postgresql://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  db: PGlite;
  close(): Promise<void>;
}

export async function startPgvectorTestServer(options: { maxConnections?: number } = {}): Promise<PgvectorTestServer> {
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: options.maxConnections ?? 32 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    db,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
