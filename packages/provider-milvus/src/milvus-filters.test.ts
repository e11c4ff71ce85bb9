import { BadRequestError, type Filter } from "@vs/core";
import { describe, expect, it } from "vitest";
import { buildMilvusFilter, combineMilvusFilters } from "./milvus-filters.js";

function rejection(filter: Filter): BadRequestError {
  try {
    buildMilvusFilter(filter);
  } catch (error) {
    if (BadRequestError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected the filter to be rejected");
}

describe("buildMilvusFilter", () => {
  it("turns each comparison into a placeholder expression", () => {
    const cases: Array<[Filter, string]> = [
      [{ key: "genre", type: "eq", value: "poetry" }, "genre == {p0}"],
      [{ key: "genre", type: "ne", value: "poetry" }, "genre != {p0}"],
      [{ key: "year", type: "gt", value: 1900 }, "year > {p0}"],
      [{ key: "year", type: "gte", value: 1900 }, "year >= {p0}"],
      [{ key: "year", type: "lt", value: 2000 }, "year < {p0}"],
      [{ key: "year", type: "lte", value: 2000 }, "year <= {p0}"],
      [{ key: "tag", type: "in", value: ["a", "b"] }, "tag in {p0}"],
      [{ key: "tag", type: "nin", value: [1, 2] }, "tag not in {p0}"],
    ];
    for (const [filter, expression] of cases) {
      const built = buildMilvusFilter(filter);
      expect(built.expression).toBe(expression);
      expect(built.exprParams).toEqual({ p0: "value" in filter ? filter.value : undefined });
    }
  });

  it("nests compound filters with parentheses and numbers placeholders in order", () => {
    const built = buildMilvusFilter({
      type: "and",
      filters: [
        { key: "genre", type: "eq", value: "poetry" },
        {
          type: "or",
          filters: [
            { key: "year", type: "lt", value: 1900 },
            { key: "published", type: "eq", value: true },
          ],
        },
      ],
    });
    expect(built.expression).toBe("(genre == {p0}) and ((year < {p1}) or (published == {p2}))");
    expect(built.exprParams).toEqual({ p0: "poetry", p1: 1900, p2: true });
  });

  it("keeps hostile values out of the expression text", () => {
    const hostile = `x" or 1 == 1 or title == "`;
    const built = buildMilvusFilter({ key: "title", type: "eq", value: hostile });
    expect(built.expression).toBe("title == {p0}");
    expect(built.exprParams.p0).toBe(hostile);
  });

  it("accepts dotted and bracketed JSON paths", () => {
    expect(buildMilvusFilter({ key: "meta.author", type: "eq", value: "Ada" }).expression).toBe('meta["author"] == {p0}');
    expect(buildMilvusFilter({ key: "meta.a-b.c_d", type: "eq", value: 1 }).expression).toBe('meta["a-b"]["c_d"] == {p0}');
    expect(buildMilvusFilter({ key: 'meta["author"]', type: "eq", value: "Ada" }).expression).toBe('meta["author"] == {p0}');
    expect(buildMilvusFilter({ key: "tags[0]", type: "eq", value: "x" }).expression).toBe("tags[0] == {p0}");
  });

  it("rejects keys that could change the expression, naming the key's path", () => {
    const hostileKeys = [
      "year > 0 or year",
      "a == 1 or b",
      'meta["a"] or x["b"]',
      "x)",
      "1abc",
      "",
      "meta..a",
      'meta["a\\"]',
      'meta["a"] == 1 or meta["b"]',
      "and",
      "NOT",
      "a b",
      "a\nb",
      "a;b",
    ];
    for (const key of hostileKeys) {
      const error = rejection({ key, type: "eq", value: 1 });
      expect(error.param).toBe("filters.key");
      expect(error.status).toBe(400);
    }
    const nested = rejection({
      type: "and",
      filters: [
        { key: "ok", type: "eq", value: 1 },
        {
          type: "or",
          filters: [
            { key: "fine", type: "eq", value: 1 },
            { key: "bad key", type: "eq", value: 2 },
          ],
        },
      ],
    });
    expect(nested.param).toBe("filters.filters[1].filters[1].key");
    expect(nested.message).toContain("filters.filters[1].filters[1].key");
  });

  it("checks values against the operator", () => {
    expect(rejection({ key: "tag", type: "in", value: "a" }).param).toBe("filters.value");
    expect(rejection({ key: "tag", type: "nin", value: [] }).param).toBe("filters.value");
    expect(rejection({ key: "tag", type: "eq", value: ["a"] }).message).toContain('use "in"');
    expect(rejection({ key: "flag", type: "gt", value: true }).param).toBe("filters.value");
    expect(rejection({ key: "n", type: "eq", value: Number.NaN }).param).toBe("filters.value");
  });
});

describe("combineMilvusFilters", () => {
  it("ANDs the operator's filter with the request's, each in parentheses", () => {
    const request = buildMilvusFilter({ key: "genre", type: "eq", value: "poetry" });
    expect(combineMilvusFilters("book_id > 0 or book_id < -5", request)).toEqual({
      expression: "(book_id > 0 or book_id < -5) and (genre == {p0})",
      exprParams: { p0: "poetry" },
    });
    expect(combineMilvusFilters(undefined, request)).toEqual(request);
    expect(combineMilvusFilters("book_id > 0", undefined)).toEqual({ expression: "book_id > 0", exprParams: {} });
    expect(combineMilvusFilters(undefined, undefined)).toBeUndefined();
  });
});
