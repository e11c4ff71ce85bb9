import { describe, expect, it } from "vitest";
import { classifyPassthroughPath, requestedCollection, rewritePassthroughRequest, rewritePassthroughResponse } from "./milvus-passthrough.js";

describe("passthrough policy", () => {
  it("allows exactly the listed endpoints, each with its permission", () => {
    expect(classifyPassthroughPath("/v2/vectordb/entities/search")).toEqual({ endpoint: "entities/search", permission: "read" });
    expect(classifyPassthroughPath("/v2/vectordb/entities/insert")).toEqual({ endpoint: "entities/insert", permission: "write" });
    expect(classifyPassthroughPath("/v2/vectordb/collections/drop")).toEqual({ endpoint: "collections/drop", permission: "write" });
    for (const path of ["/v2/vectordb/users/create", "/v2/vectordb/entities/search/../../users/list", "/v2/vectordb/entities/searchx", "/v1/vector/search", "/v2/vectordb/constructor", "/v2/vectordb/toString", "/v2/vectordb/databases/drop"]) {
      expect(classifyPassthroughPath(path)).toBeNull();
    }
  });

  it("rewrites the collection and pins the database", () => {
    expect(rewritePassthroughRequest({ collectionName: "dall-e-6", dbName: "other", limit: 2 }, { collection: "real_books", dbName: "team_a" })).toEqual({ collectionName: "real_books", dbName: "team_a", limit: 2 });
    expect(rewritePassthroughRequest({ collectionName: "dall-e-6", dbName: "other" }, { collection: "real_books" })).toEqual({ collectionName: "real_books" });
    expect(() => requestedCollection({})).toThrow(/collectionName/);
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
