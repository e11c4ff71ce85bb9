import { parseInput } from "@vs/core";
import { describe, expect, it } from "vitest";
import { parseTableName, pgvectorOptionsSchema, resolvePgvectorConnection } from "./pgvector-options.js";
import { mergePgvectorOptions, pgvectorCallerOptionsSchema } from "./pgvector-caller-options.js";

describe("pgvectorOptionsSchema", () => {
  it("fills the defaults", () => {
    expect(pgvectorOptionsSchema.parse({})).toEqual({ vector_column: "embedding", text_column: "content", metadata_column: "metadata", metric: "cosine" });
  });

  it("names every bad field, unknown ones included", () => {
    const attempt = () =>
      parseInput(
        pgvectorOptionsSchema,
        { metric: "dot", vector_column: 'x"; drop', tabel: "t", filters: { key: "a", type: "like", value: 1 } },
        { what: "pgvector parameters" },
      );
    expect(attempt).toThrow(/metric: /);
    expect(attempt).toThrow(/vector_column: must be a PostgreSQL identifier/);
    expect(attempt).toThrow(/tabel: unknown field/);
    expect(attempt).toThrow(/filters\.type/);
  });

  it("admin filters are OpenAI filter objects, not SQL", () => {
    expect(pgvectorOptionsSchema.safeParse({ filters: "category = 'x'" }).success).toBe(false);
    expect(pgvectorOptionsSchema.safeParse({ filters: { type: "and", filters: [{ key: "a", type: "eq", value: 1 }] } }).success).toBe(true);
  });
});

describe("caller options", () => {
  it("only ef_search and probes; the caller's win, everything else stays the admin's", () => {
    expect(pgvectorCallerOptionsSchema.safeParse({ api_base: "postgresql://evil/db" }).success).toBe(false);
    expect(pgvectorCallerOptionsSchema.safeParse({ ef_search: 1001 }).success).toBe(false);
    const store = pgvectorOptionsSchema.parse({ api_base: "postgresql://h/db", ef_search: 40, filters: { key: "a", type: "eq", value: 1 } });
    expect(mergePgvectorOptions(store, { ef_search: 100 })).toEqual({ ...store, ef_search: 100 });
    expect(mergePgvectorOptions(store, {})).toEqual(store);
  });
});

describe("resolvePgvectorConnection", () => {
  it("api_base, else database_url, else PGVECTOR_DATABASE_URL, else DATABASE_URL", () => {
    expect(resolvePgvectorConnection({ api_base: "postgresql://u@db.example:6543/vectors" }).displayAddress).toBe("postgresql://db.example:6543/vectors");
    expect(resolvePgvectorConnection({ database_url: "postgres://u@h/d" }, {}).displayAddress).toBe("postgresql://h:5432/d");
    expect(resolvePgvectorConnection({}, { PGVECTOR_DATABASE_URL: "postgresql://a/x", DATABASE_URL: "postgresql://b/y" }).displayAddress).toBe(
      "postgresql://a:5432/x",
    );
    expect(resolvePgvectorConnection({}, { DATABASE_URL: "postgresql://b/y" }).displayAddress).toBe("postgresql://b:5432/y");
  });

  it("api_key is the password, and pools differ by password", () => {
    const withKey = resolvePgvectorConnection({ api_base: "postgresql://app@h/d", api_key: "p@ss word" });
    expect(new URL(withKey.connectionString).password).toBe(encodeURIComponent("p@ss word"));
    expect(withKey.poolKey).not.toBe(resolvePgvectorConnection({ api_base: "postgresql://app@h/d", api_key: "other" }).poolKey);
    expect(withKey.displayAddress).not.toContain("p@ss");
  });

  it("refuses what it cannot use, naming the field and never echoing the URL", () => {
    expect(() => resolvePgvectorConnection({}, {})).toThrow(expect.objectContaining({ status: 400, param: "api_base", code: "missing_api_base" }));
    expect(() => resolvePgvectorConnection({ api_base: "postgresql://a/x", database_url: "postgresql://b/y" })).toThrow(
      expect.objectContaining({ param: "database_url" }),
    );
    const error = (() => {
      try {
        resolvePgvectorConnection({ database_url: "mysql://root:hunter2@h/d" });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ status: 400, param: "database_url" });
    expect(error!.message).not.toContain("hunter2");
  });
});

describe("parseTableName", () => {
  it("quotes table and schema.table, refuses anything else", () => {
    expect(parseTableName("docs").sql).toBe('"docs"');
    expect(parseTableName("rag.Docs_2").sql).toBe('"rag"."Docs_2"');
    for (const bad of ['docs"', "a.b.c", "1docs", "", "a b", "x".repeat(64), "docs;drop"]) {
      expect(() => parseTableName(bad), bad).toThrow(expect.objectContaining({ status: 400, param: "vector_store_id" }));
    }
  });
});
