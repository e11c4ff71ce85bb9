import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, it } from "vitest";
import type { OpenAuthStoreOptions } from "../store.js";

/** Where a test's store lives and how to get rid of it afterwards. */
export interface TestDatabaseHandle {
  options: OpenAuthStoreOptions;
  /** PostgreSQL only: a plain connection to the same schema, to look at what was stored. */
  inspect?: (text: string, parameters?: unknown[]) => Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export interface TestDatabase {
  kind: "pglite" | "postgresql";
  /** A new, empty database: a temp data dir for PGlite, a new schema for PostgreSQL. */
  create(): Promise<TestDatabaseHandle>;
}

/**
 * The PostgreSQL server the test runner started (VS_TEST_DATABASE_URL). Without it the PostgreSQL variants are
 * skipped with a reason, except in CI, where a missing server is a failure: integration tests never vanish there.
 */
export function testDatabaseUrl(): string | undefined {
  const url = process.env["VS_TEST_DATABASE_URL"];
  if ((url === undefined || url === "") && process.env["CI"] === "true") {
    throw new Error("VS_TEST_DATABASE_URL is not set in CI: the test runner must start PostgreSQL");
  }
  return url === "" ? undefined : url;
}

export function withSchema(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set("schema", schema);
  return url.toString();
}

export const pgliteDatabase: TestDatabase = {
  kind: "pglite",
  async create() {
    const dataDir = await mkdtemp(path.join(tmpdir(), "vs-auth-test-"));
    return { options: { dataDir }, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  },
};

export function postgresDatabase(databaseUrl: string): TestDatabase {
  return {
    kind: "postgresql",
    async create() {
      const schema = `vs_auth_test_${randomBytes(6).toString("hex")}`;
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`SET search_path TO "${schema}"`);
      return {
        options: { databaseUrl: withSchema(databaseUrl, schema) },
        inspect: async (text, parameters) => (await client.query(text, parameters)).rows as Record<string, unknown>[],
        async cleanup() {
          try {
            await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

/** Runs `body` once per database: PGlite always, PostgreSQL when VS_TEST_DATABASE_URL is set. */
export function describeEachDatabase(name: string, body: (database: TestDatabase) => void): void {
  describe(`${name} (pglite)`, () => body(pgliteDatabase));
  describeWithPostgres(`${name} (postgresql)`, (url) => body(postgresDatabase(url)));
}

const SKIP_REASON = "skipped: VS_TEST_DATABASE_URL is not set (the test runner sets it when it starts PostgreSQL)";

export function describeWithPostgres(name: string, body: (databaseUrl: string) => void): void {
  const url = testDatabaseUrl();
  if (url === undefined) {
    console.warn(`${name}: ${SKIP_REASON}`);
    describe(name, () => it.skip(SKIP_REASON, () => undefined));
    return;
  }
  describe(name, () => body(url));
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TcpForwarder {
  port: number;
  /** Stops listening and cuts every forwarded connection: the database "goes away". */
  cut(): Promise<void>;
}

/** Forwards 127.0.0.1:<port> to the target, so a test can take the database away from a running store. */
export async function startTcpForwarder(targetHost: string, targetPort: number): Promise<TcpForwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((incoming) => {
    const outgoing = net.connect(targetPort, targetHost);
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the promise to reject");
}
