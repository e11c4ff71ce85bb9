import { readFile, writeFile } from "node:fs/promises";
import { ServiceUnavailableError } from "@vs/core";
import { afterEach, describe, expect, it } from "vitest";
import { diffMigrationsAgainstSchema, schemaPath } from "../scripts/schema-diff.mjs";
import { connectDatabase, type DatabaseConnection } from "./database.js";
import { applyMigrations, MIGRATIONS_TABLE, readMigrations, type Migration } from "./migrations.js";
import { openAuthStore } from "./store.js";
import {
  closedPort,
  describeEachDatabase,
  describeWithPostgres,
  pgliteDatabase,
  postgresDatabase,
  startTcpForwarder,
  type TestDatabaseHandle,
  rejection,
} from "./test-support/databases.js";

/** Resources a test opened, closed in reverse order whatever happens. */
const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

async function track<T extends { close(): Promise<void> } | TestDatabaseHandle>(resource: T): Promise<T> {
  opened.push("cleanup" in resource ? () => resource.cleanup() : () => resource.close());
  return resource;
}

// The Wasm schema engine takes tens of seconds on a busy 2-core machine.
describe("committed migrations", { timeout: 180_000 }, () => {
  it("match prisma/schema.prisma exactly", async () => {
    const { sql, isEmpty } = await diffMigrationsAgainstSchema();
    expect(sql).toBe("");
    expect(isEmpty).toBe(true);
  });

  it("are reported as behind when the schema gains a column without a migration", async () => {
    const schema = (await readFile(schemaPath, "utf8")).replace(
      "  error_code         String?\n",
      "  error_code         String?\n  region             String?\n",
    );
    const { sql, isEmpty } = await diffMigrationsAgainstSchema({ schema });
    expect(isEmpty).toBe(false);
    expect(sql).toMatch(/ALTER TABLE "vs_spend_logs" ADD COLUMN\s+"region" TEXT/);
  });
});

describeEachDatabase("migration runner", (database) => {
  const migrations: Migration[] = [
    { name: "20300101000000_first", sql: `CREATE TABLE "runner_probe" (id INTEGER PRIMARY KEY);`, checksum: "one" },
    { name: "20300101000001_second", sql: `ALTER TABLE "runner_probe" ADD COLUMN label TEXT;`, checksum: "two" },
  ];

  async function connect(handle: TestDatabaseHandle): Promise<DatabaseConnection> {
    return track(await connectDatabase({ ...handle.options, log: () => undefined }));
  }

  async function appliedNames(connection: DatabaseConnection): Promise<string[]> {
    const rows = await connection.inTransaction((session) => session.query<{ name: string }>(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY name`));
    return rows.map((row) => row.name);
  }

  it("applies the committed migrations on the first open and nothing on the second", async () => {
    const handle = await track(await database.create());
    const firstLog: string[] = [];
    const first = await openAuthStore({ ...handle.options, log: (line) => firstLog.push(line) });
    await first.keys.generate({ key_alias: "survives-reopen" }, "admin");
    await first.close();
    const secondLog: string[] = [];
    const second = await track(await openAuthStore({ ...handle.options, log: (line) => secondLog.push(line) }));

    const committed = (await readMigrations()).map((migration) => migration.name);
    expect(committed.length).toBeGreaterThan(0);
    expect(firstLog.filter((line) => line.includes("applied migration"))).toEqual(committed.map((name) => `auth store: applied migration ${name}`));
    expect(secondLog.filter((line) => line.includes("applied migration"))).toEqual([]);
    await expect(second.keys.info("survives-reopen")).resolves.toMatchObject({ key_alias: "survives-reopen" });
  });

  it("records each migration once and applies only the new ones", async () => {
    const handle = await track(await database.create());
    const connection = await connect(handle);
    await expect(applyMigrations(connection, { migrations: migrations.slice(0, 1) })).resolves.toEqual({ applied: ["20300101000000_first"] });
    await expect(applyMigrations(connection, { migrations })).resolves.toEqual({ applied: ["20300101000001_second"] });
    await expect(applyMigrations(connection, { migrations })).resolves.toEqual({ applied: [] });
    expect(await appliedNames(connection)).toEqual(["20300101000000_first", "20300101000001_second"]);
  });

  it("refuses to start when an applied migration was edited", async () => {
    const handle = await track(await database.create());
    const connection = await connect(handle);
    await applyMigrations(connection, { migrations: migrations.slice(0, 1) });
    const edited = [{ ...migrations[0]!, checksum: "edited" }];
    await expect(applyMigrations(connection, { migrations: edited })).rejects.toMatchObject({ code: "database_migration_edited" });
  });

  it("rolls a failing run back whole: no table, no record", async () => {
    const handle = await track(await database.create());
    const connection = await connect(handle);
    const broken = [migrations[0]!, { name: "20300101000002_broken", sql: "ALTER TABLE no_such_table ADD COLUMN x INTEGER;", checksum: "three" }];
    const error = await rejection(applyMigrations(connection, { migrations: broken }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    const tables = await connection.inTransaction((session) => session.query<{ name: string }>("SELECT to_regclass('runner_probe')::text AS name"));
    expect(tables).toEqual([{ name: null }]);
    await expect(applyMigrations(connection, { migrations })).resolves.toEqual({ applied: ["20300101000000_first", "20300101000001_second"] });
  });
});

describeWithPostgres("migrations on PostgreSQL", (databaseUrl) => {
  it("apply once when several processes open a fresh schema at the same moment", async () => {
    const handle = await track(await postgresDatabase(databaseUrl).create());
    const logs: string[][] = [[], [], [], []];
    const stores = await Promise.all(logs.map((log) => openAuthStore({ ...handle.options, log: (line) => log.push(line) })));
    for (const store of stores) opened.push(() => store.close());

    const committed = (await readMigrations()).map((migration) => migration.name);
    const applications = logs.flat().filter((line) => line.includes("applied migration"));
    expect(applications.sort()).toEqual(committed.map((name) => `auth store: applied migration ${name}`).sort());
    const rows = await handle.inspect!(`SELECT name FROM "${MIGRATIONS_TABLE}" ORDER BY name`);
    expect(rows.map((row) => row["name"])).toEqual(committed);
    // Every store works on the one set of tables.
    const { key } = await stores[0]!.keys.generate({}, "admin");
    await expect(stores[3]!.keys.findByKey(key)).resolves.not.toBeNull();
  });

  it("keep schemas apart: two schemas of one database each get their own tables", async () => {
    const first = await track(await postgresDatabase(databaseUrl).create());
    const second = await track(await postgresDatabase(databaseUrl).create());
    const firstStore = await track(await openAuthStore(first.options));
    const secondStore = await track(await openAuthStore(second.options));
    const { key } = await firstStore.keys.generate({}, "admin");
    await expect(firstStore.keys.findByKey(key)).resolves.not.toBeNull();
    await expect(secondStore.keys.findByKey(key)).resolves.toBeNull();
  });
});

describe("an unreachable database", () => {
  it("fails to open with ServiceUnavailableError, never naming the password", async () => {
    const port = await closedPort();
    const error = await rejection(openAuthStore({ databaseUrl: `postgresql://vs:hunter2-secret@127.0.0.1:${port}/vs` }));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 503, code: "database_unavailable" });
    expect(error.message).not.toContain("hunter2-secret");
    expect(JSON.stringify((error as ServiceUnavailableError).toBody())).not.toContain("hunter2-secret");
  });

  it("fails to open an embedded database it cannot write with ServiceUnavailableError", async () => {
    const handle = await track(await pgliteDatabase.create());
    const notADirectory = `${handle.options.dataDir}/file`;
    await writeFile(notADirectory, "");
    await expect(openAuthStore({ dataDir: notADirectory })).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it("refuses a second store on an embedded database that is already open", async () => {
    const handle = await track(await pgliteDatabase.create());
    await track(await openAuthStore(handle.options));
    await expect(openAuthStore(handle.options)).rejects.toMatchObject({ code: "database_in_use" });
  });

  it("needs a URL or a data dir", async () => {
    await expect(openAuthStore({})).rejects.toMatchObject({ status: 400, param: "database_url" });
    await expect(openAuthStore({ databaseUrl: "mysql://u:p@h/d" })).rejects.toMatchObject({ status: 400, param: "database_url" });
  });
});

describeWithPostgres("a database that goes away after the store opened", (databaseUrl) => {
  it("turns lookups into ServiceUnavailableError rather than 'no such key'", async () => {
    const handle = await track(await postgresDatabase(databaseUrl).create());
    const target = new URL(databaseUrl);
    const forwarder = await startTcpForwarder(target.hostname, Number(target.port || 5432));
    opened.push(() => forwarder.cut());
    const viaForwarder = new URL(handle.options.databaseUrl!);
    viaForwarder.host = `127.0.0.1:${forwarder.port}`;
    const log: string[] = [];
    const store = await track(await openAuthStore({ databaseUrl: viaForwarder.toString(), log: (line) => log.push(line) }));
    const { key } = await store.keys.generate({}, "admin");
    await expect(store.keys.findByKey(key)).resolves.not.toBeNull();

    await forwarder.cut();
    const lookup = await rejection(store.keys.findByKey(key));
    expect(lookup).toBeInstanceOf(ServiceUnavailableError);
    expect(lookup).toMatchObject({ code: "database_unavailable" });
    await expect(store.ping()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(store.keys.generate({}, "admin")).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
