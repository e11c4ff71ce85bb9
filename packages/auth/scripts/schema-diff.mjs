#!/usr/bin/env node
// Compares prisma/migrations with prisma/schema.prisma using Prisma's schema engine compiled to Wasm (the native
// engine the Prisma CLI wants cannot be downloaded here). The migrations are replayed on an in-memory PGlite
// "shadow" database, so no server is needed.
//
//   node scripts/schema-diff.mjs                 prints the SQL that would bring the migrations up to the schema
//   node scripts/schema-diff.mjs --create NAME   writes that SQL to prisma/migrations/<timestamp>_NAME/migration.sql
//
// The tests call `diffMigrationsAgainstSchema` and expect an empty diff, so a schema change without its migration
// fails CI.
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const schemaPath = path.join(packageDirectory, "prisma", "schema.prisma");
export const migrationsDirectory = path.join(packageDirectory, "prisma", "migrations");

let schemaEngineBindings;

/** Once per process: the bindings module keeps views of the instance's memory, so a second instance would corrupt it. */
async function loadSchemaEngine() {
  schemaEngineBindings ??= instantiateSchemaEngine();
  return schemaEngineBindings;
}

async function instantiateSchemaEngine() {
  const require = createRequire(import.meta.url);
  const bindings = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  // The package's own entry imports the .wasm file as an ES module, which Node 20 cannot do; instantiate it by hand.
  const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { "./schema_engine_bg.js": bindings });
  bindings.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start?.();
  return bindings;
}

function readMigrations(directory) {
  const names = existsSync(directory)
    ? readdirSync(directory, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(entry.name))
        .map((entry) => entry.name)
        .sort()
    : [];
  return {
    baseDir: directory,
    // The engine picks its SQL dialect from the lock file Prisma would keep beside the migrations.
    lockfile: { path: "migration_lock.toml", content: 'provider = "postgresql"\n' },
    shadowDbInitScript: "",
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: readFileSync(path.join(directory, name, "migration.sql"), "utf8") } },
    })),
  };
}

/**
 * @param {{ schema?: string; migrations?: string }} [sources] the schema text and the migrations folder; the package's own by default
 * @returns {Promise<{ sql: string; isEmpty: boolean }>}
 */
export async function diffMigrationsAgainstSchema(sources = {}) {
  const [{ SchemaEngine }, { bindMigrationAwareSqlAdapterFactory }, { PGlite }, { PrismaPGlite }] = await Promise.all([
    loadSchemaEngine(),
    import("@prisma/driver-adapter-utils"),
    import("@electric-sql/pglite"),
    import("pglite-prisma-adapter"),
  ]);
  const schema = sources.schema ?? readFileSync(schemaPath, "utf8");
  const database = new PGlite();
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(database));
    const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, () => {}, adapter);
    const result = await engine.diff({
      from: { tag: "migrations", ...readMigrations(sources.migrations ?? migrationsDirectory) },
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    const sql = (result.stdout ?? "")
      // Our runner creates the configured schema itself; an explicit "public" would be wrong for any other schema.
      .replace(/^-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n?/m, "")
      .trim();
    const isEmpty = sql === "" || /^-- This is an empty migration\.?$/.test(sql);
    return { sql: isEmpty ? "" : `${sql}\n`, isEmpty };
  } finally {
    await database.close();
  }
}

function timestamp(date) {
  const pad = (value) => String(value).padStart(2, "0");
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { sql, isEmpty } = await diffMigrationsAgainstSchema();
  const createIndex = process.argv.indexOf("--create");
  if (isEmpty) {
    console.log("prisma/migrations already matches prisma/schema.prisma");
  } else if (createIndex === -1) {
    process.stdout.write(sql);
  } else {
    const name = process.argv[createIndex + 1];
    if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error("--create needs a snake_case migration name");
    const directory = path.join(migrationsDirectory, `${timestamp(new Date())}_${name}`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(path.join(directory, "migration.sql"), sql);
    console.log(`wrote ${path.relative(packageDirectory, directory)}/migration.sql`);
  }
}
