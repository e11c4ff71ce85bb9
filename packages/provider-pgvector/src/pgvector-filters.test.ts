import { describe, expect, it } from "vitest";
import { buildPgvectorFilter, SqlParameters } from "./pgvector-filters.js";
import { buildSearchStatement } from "./pgvector-search.js";
import { pgvectorOptionsSchema } from "./pgvector-options.js";

describe("buildPgvectorFilter", () => {
  it("binds every key and value: nothing the caller sent is in the SQL text", () => {
    const parameters = new SqlParameters();
    const hostile = "x' OR 1=1; DROP TABLE docs; --";
    const sql = buildPgvectorFilter(
      {
        type: "or",
        filters: [
          { key: hostile, type: "eq", value: hostile },
          {
            type: "and",
            filters: [
              { key: "n", type: "gte", value: 3 },
              { key: "s", type: "lt", value: hostile },
              { key: "t", type: "nin", value: [hostile, 2] },
            ],
          },
        ],
      },
      '"metadata"',
      parameters,
    );
    expect(sql).not.toContain("DROP");
    expect(sql).not.toContain("x'");
    expect(parameters.values).toContain(hostile);
    expect(parameters.values).toContain(JSON.stringify(hostile));
    expect(sql).toMatch(/^\(.*\) OR \(\(.*\) AND \(.*\) AND \(.*\)\)$/);
    expect(sql).toContain('COLLATE "C"');
    expect(sql).toContain("= ANY(");
  });

  it("names the bad field's path", () => {
    const build = (filters: Parameters<typeof buildPgvectorFilter>[0]) => () => buildPgvectorFilter(filters, '"m"', new SqlParameters());
    expect(build({ key: "a", type: "in", value: "x" })).toThrow(expect.objectContaining({ status: 400, param: "filters.value" }));
    expect(
      build({
        type: "and",
        filters: [
          { key: "a", type: "eq", value: 1 },
          { key: "b", type: "eq", value: [1] },
        ],
      }),
    ).toThrow(expect.objectContaining({ param: "filters.filters[1].value" }));
    expect(build({ type: "or", filters: [{ type: "and", filters: [{ key: "b", type: "lte", value: false }] }] })).toThrow(
      expect.objectContaining({ param: "filters.filters[0].filters[0].value" }),
    );
    expect(build({ type: "and", filters: [] })).toThrow(expect.objectContaining({ param: "filters.filters" }));
    expect(build({ key: "a", type: "gt", value: Number.NaN })).toThrow(expect.objectContaining({ param: "filters.value" }));
  });
});

describe("buildSearchStatement", () => {
  it("quotes identifiers, binds the vector, the filters and the limit", () => {
    const statement = buildSearchStatement({
      vectorStoreId: "rag.docs",
      queryVector: [0.5, -0.25],
      searchQuery: "q",
      maxNumResults: 7,
      filters: { key: "lang", type: "eq", value: "en" },
      options: pgvectorOptionsSchema.parse({ metric: "ip", id_column: "doc_id", file_id_column: "file", filters: { key: "tenant", type: "eq", value: "a" } }),
    });
    expect(statement.text).toContain('FROM "rag"."docs" WHERE');
    expect(statement.text).toContain('ORDER BY ("embedding" <#> $1::vector)');
    expect(statement.text).toMatch(/LIMIT \$6$/);
    expect(statement.values).toEqual(["[0.5,-0.25]", "tenant", '"a"', "lang", '"en"', 7]);
  });
});
