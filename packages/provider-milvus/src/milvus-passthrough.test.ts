import { describe, expect, it } from "vitest";
import { BadRequestError } from "@vs/core";
import { parseJsonExact, scanJson, type JsonSpan } from "./exact-json.js";
import {
  checkPassthroughKeys,
  checkPinnedDatabase,
  classifyPassthroughPath,
  foldJsonKey,
  requestedCollection,
  rewritePassthroughRequest,
  rewritePassthroughRequestText,
  rewritePassthroughResponse,
} from "./milvus-passthrough.js";

function refusal(run: () => unknown): BadRequestError {
  try {
    run();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
    throw error;
  }
  throw new Error("expected a 400");
}

describe("passthrough policy", () => {
  it("allows exactly the listed endpoints, each with its permission", () => {
    expect(classifyPassthroughPath("/v2/vectordb/entities/search")).toEqual({ endpoint: "entities/search", permission: "read" });
    expect(classifyPassthroughPath("/v2/vectordb/entities/insert")).toEqual({ endpoint: "entities/insert", permission: "write" });
    expect(classifyPassthroughPath("/v2/vectordb/collections/drop")).toEqual({ endpoint: "collections/drop", permission: "write" });
    for (const path of [
      "/v2/vectordb/users/create",
      "/v2/vectordb/entities/search/../../users/list",
      "/v2/vectordb/entities/searchx",
      "/v1/vector/search",
      "/v2/vectordb/constructor",
      "/v2/vectordb/toString",
      "/v2/vectordb/databases/drop",
    ]) {
      expect(classifyPassthroughPath(path)).toBeNull();
    }
  });

  it("rewrites the collection and pins the database", () => {
    expect(rewritePassthroughRequest({ collectionName: "dall-e-6", dbName: "other", limit: 2 }, { collection: "real_books", dbName: "team_a" })).toEqual({
      collectionName: "real_books",
      dbName: "team_a",
      limit: 2,
    });
    expect(rewritePassthroughRequest({ collectionName: "dall-e-6", dbName: "other" }, { collection: "real_books" })).toEqual({ collectionName: "real_books" });
    expect(() => requestedCollection({})).toThrow(/collectionName/);
  });

  it("folds keys as Go's encoding/json matches them to fields", () => {
    for (const key of ["dbName", "DBNAME", "dbname", "DbNaMe"]) expect(foldJsonKey(key)).toBe(foldJsonKey("dbName"));
    // Dotless ı and dotted İ fold to i, the long ſ to s, the Kelvin sign to k.
    for (const key of ["collect\u0131onName", "COLLECT\u0130ONNAME"]) expect(foldJsonKey(key)).toBe(foldJsonKey("collectionName"));
    expect(foldJsonKey("\u017fearch\u212a")).toBe("searchk");
    expect(foldJsonKey("db_name")).not.toBe(foldJsonKey("dbName"));
  });

  it("refuses a collectionName or dbName Milvus could read other than the gateway checked", () => {
    expect(checkPassthroughKeys(["collectionName", "data"])).toEqual({ dbNameKey: undefined });
    expect(checkPassthroughKeys(["collectionName", "DBName"])).toEqual({ dbNameKey: "DBName" });
    for (const keys of [["collectionName", "CollectionName"], ["collectionName", "collectionName"], ["COLLECTIONNAME"], ["collect\u0131onName"]]) {
      expect(refusal(() => checkPassthroughKeys(keys))).toMatchObject({ param: "collectionName", code: "ambiguous_parameter" });
    }
    expect(refusal(() => checkPassthroughKeys(["collectionName", "dbName", "DBNAME"]))).toMatchObject({ param: "dbName", code: "database_pinned" });
  });

  it("accepts the pinned database, in the body or the header, and refuses any other", () => {
    expect(() => checkPinnedDatabase({ bodyKey: "dbName", bodyValue: "default", header: "default" }, ["default"])).not.toThrow();
    expect(() => checkPinnedDatabase({ bodyKey: undefined, bodyValue: undefined, header: undefined }, ["team_a"])).not.toThrow();
    expect(refusal(() => checkPinnedDatabase({ bodyKey: "DBName", bodyValue: "other", header: undefined }, ["default"]))).toMatchObject({
      param: "dbName",
      code: "database_pinned",
    });
    expect(refusal(() => checkPinnedDatabase({ bodyKey: "dbName", bodyValue: 1, header: undefined }, ["default"]))).toMatchObject({ param: "dbName" });
    expect(refusal(() => checkPinnedDatabase({ bodyKey: undefined, bodyValue: undefined, header: "default, other" }, ["default"]))).toMatchObject({
      param: "DB-Name",
    });
  });

  it("drops every spelling of dbName and keeps the body's integers and keys exact", () => {
    const body = parseJsonExact('{"collectionName":"v","DBName":"default","data":[{"id":9007199254740993}],"__proto__":{"x":1}}', "raw") as Record<
      string,
      unknown
    >;
    const rewritten = rewritePassthroughRequest(body, { collection: "real", dbName: "team_a" });
    expect(JSON.stringify(rewritten)).toBe('{"collectionName":"real","data":[{"id":9007199254740993}],"__proto__":{"x":1},"dbName":"team_a"}');
    expect(Object.getPrototypeOf(rewritten)).toBe(Object.prototype);
  });

  it("hides the real collection name in answers but leaves rows and field names alone", () => {
    const answer = rewritePassthroughResponse(
      { code: 0, message: "collection real_books loaded", data: { collectionName: "real_books", fields: [{ name: "real_books_vector" }] } },
      { collection: "real_books", virtualName: "dall-e-6" },
    );
    expect(answer).toEqual({ code: 0, message: "collection dall-e-6 loaded", data: { collectionName: "dall-e-6", fields: [{ name: "real_books_vector" }] } });
    const rows = rewritePassthroughResponse({ code: 0, data: [{ title: "real_books" }] }, { collection: "real_books", virtualName: "v" });
    expect(rows.data).toEqual([{ title: "real_books" }]);
  });
});

describe("rewritePassthroughRequestText", () => {
  function rewriteBoth(text: string, target: { collection: string; dbName?: string }): { fromText: string; fromObject: string } {
    const values: JsonSpan[] = [];
    const scan = scanJson(text, 64, values);
    const body = parseJsonExact(text, "raw", scan.hasUnsafeInteger) as Record<string, unknown>;
    return {
      fromText: rewritePassthroughRequestText(text, { keys: scan.topLevelKeys, values }, body, target),
      fromObject: JSON.stringify(rewritePassthroughRequest(body, target)),
    };
  }

  it("means what the rewritten object means: vectors copied as written, every other value printed as before", () => {
    const text =
      '{ "collectionName" : "virtual", "DBNAME": "default", "data": [[0.10, -2.5e-3, 1], [3, 4.000]], "limit": 10.0,\n "filter": "id in [1]", "ids": [9007199254740993, 1.0], "searchParams": {"params": {"nprobe": 1e1}}, "limit": 5 }';
    const { fromText, fromObject } = rewriteBoth(text, { collection: "real", dbName: "pinned" });
    expect(JSON.parse(fromText)).toEqual(JSON.parse(fromObject));
    expect(Object.keys(JSON.parse(fromText) as object)).toEqual(Object.keys(JSON.parse(fromObject) as object));
    // The vectors as the client wrote them; the limit normalised (its last value), the big id exact.
    expect(fromText).toContain('"data": [[0.10, -2.5e-3, 1], [3, 4.000]]');
    expect(fromText).toContain('"limit":5,');
    expect(fromText).toContain('"ids":[9007199254740993,1]');
    expect(fromText).toContain('"searchParams":{"params":{"nprobe":10}}');
    expect(fromText).not.toMatch(/DBNAME|virtual/);
    expect(fromText.endsWith('"dbName":"pinned"}')).toBe(true);
  });

  it("prints lists that are not number lists (rows, strings, sparse vectors) from the parsed body", () => {
    const text = '{"collectionName":"v","data":[{"id":1.0,"vector":[0.5]}],"search":[{"data":["text"]}],"sparse":[[{"1":0.5}]]}';
    const { fromText, fromObject } = rewriteBoth(text, { collection: "r" });
    expect(fromText).toBe(fromObject);
  });
});
