import { BadRequestError, UpstreamError, type Filter, type ProviderSearchRequest } from "@vs/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMilvusProvider, type MilvusProvider } from "./milvus-provider.js";
import type { MilvusOptions } from "./milvus-options.js";
import { startMilvusRestServer, type MilvusRestServer } from "./testing/milvus-rest-server.js";

const DIMENSION = 8;
const GENRES = ["poetry", "history", "science"];

interface Book {
  book_id: number;
  title: string;
  year: number;
  genre: string;
  intro: string;
  embedding: number[];
}

// Deterministic pseudo-random numbers: a failing ordering can be reproduced.
let seed = 7;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31 - 0.5;
}
const randomVector = () => Array.from({ length: DIMENSION }, random);

const books: Book[] = Array.from({ length: 40 }, (_, index) => ({
  book_id: 1000 + index,
  title: `Book ${index}`,
  year: 1850 + index * 5,
  genre: GENRES[index % GENRES.length] as string,
  intro: `Introduction of book ${index}`,
  embedding: randomVector(),
}));
const queryVector = randomVector();

const dot = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * (b[index] as number), 0);
const bruteForce = {
  L2: (book: Book) => book.embedding.reduce((sum, value, index) => sum + (value - (queryVector[index] as number)) ** 2, 0),
  COSINE: (book: Book) => dot(book.embedding, queryVector) / Math.sqrt(dot(book.embedding, book.embedding) * dot(queryVector, queryVector)),
};

/** The ids brute force ranks first: smallest L2 distance, largest cosine. */
function expectedRanking(metric: "L2" | "COSINE", candidates: Book[] = books): Array<{ book: Book; raw: number }> {
  return candidates.map((book) => ({ book, raw: bruteForce[metric](book) })).sort((a, b) => (metric === "L2" ? a.raw - b.raw : b.raw - a.raw));
}

let milvus: MilvusRestServer;
let provider: MilvusProvider;

async function createCollection(name: string, metricType: "L2" | "COSINE", dbName?: string): Promise<void> {
  const { transport } = provider.transportFor({ api_base: milvus.url });
  const created = await transport.call("collections/create", {
    collectionName: name,
    ...(dbName ? { dbName } : {}),
    schema: {
      autoId: false,
      enableDynamicField: false,
      fields: [
        { fieldName: "book_id", dataType: "Int64", isPrimary: true },
        { fieldName: "title", dataType: "VarChar", elementTypeParams: { max_length: 200 } },
        { fieldName: "year", dataType: "Int64" },
        { fieldName: "genre", dataType: "VarChar", elementTypeParams: { max_length: 50 } },
        { fieldName: "intro", dataType: "VarChar", elementTypeParams: { max_length: 1000 } },
        { fieldName: "embedding", dataType: "FloatVector", elementTypeParams: { dim: DIMENSION } },
      ],
    },
    indexParams: [{ fieldName: "embedding", metricType, indexName: "embedding_index" }],
  });
  expect(created.code).toBe(0);
  const inserted = await transport.call("entities/insert", { collectionName: name, ...(dbName ? { dbName } : {}), data: books });
  expect(inserted.code).toBe(0);
}

function searchRequest(
  collection: string,
  options: Partial<MilvusOptions> = {},
  extra: Partial<ProviderSearchRequest<MilvusOptions>> = {},
): ProviderSearchRequest<MilvusOptions> {
  return {
    vectorStoreId: collection,
    queryVector,
    searchQuery: "a query",
    ...extra,
    options: { api_base: milvus.url, milvus_text_field: "intro", ...options },
  };
}

function lastSearchBody(): Record<string, unknown> {
  const searches = milvus.requestsTo("entities/search");
  return searches[searches.length - 1]?.body as Record<string, unknown>;
}

beforeAll(async () => {
  milvus = await startMilvusRestServer();
  provider = createMilvusProvider({ env: {} });
  await createCollection("books_l2", "L2");
  await createCollection("books_cosine", "COSINE");
  // Milvus answers code 800 for a database that was never created.
  expect((await provider.transportFor({ api_base: milvus.url }).transport.call("databases/create", { dbName: "library" })).code).toBe(0);
  await createCollection("books_in_db", "COSINE", "library");
});

afterAll(async () => {
  await provider.close();
  await milvus.close();
});

afterEach(() => {
  milvus.requests.length = 0;
});

describe("MilvusProvider.search against a Milvus REST v2 server", () => {
  it("ranks like brute-force L2, scoring 1 - d/4 and keeping the raw distance", async () => {
    const { data } = await provider.search(searchRequest("books_l2"));
    const expected = expectedRanking("L2").slice(0, 10);
    expect(data.map((row) => row.attributes.book_id)).toEqual(expected.map(({ book }) => book.book_id));
    data.forEach((row, index) => {
      const { book, raw } = expected[index] as { book: Book; raw: number };
      expect(row.distance).toBeCloseTo(raw, 9);
      expect(row.score).toBeCloseTo(1 - raw / 4, 9);
      expect(row.content).toEqual([{ type: "text", text: book.intro }]);
      // Milvus returns the primary key under `id` whatever its field name, and under that name as an output field.
      expect(row.attributes).toEqual({ id: book.book_id, book_id: book.book_id, title: book.title, year: book.year, genre: book.genre });
      expect(row.file_id).toBeNull();
      expect(row.filename).toBeNull();
    });
    const body = lastSearchBody();
    expect(body).toMatchObject({
      collectionName: "books_l2",
      data: [queryVector],
      limit: 10,
      outputFields: ["intro", "*"],
      searchParams: { metricType: "L2" },
    });
    expect(body).not.toHaveProperty("annsField");
    expect(body).not.toHaveProperty("dbName");
  });

  it("ranks like brute-force COSINE, scoring (1 + cosine) / 2", async () => {
    const { data } = await provider.search(searchRequest("books_cosine", {}, { maxNumResults: 5 }));
    const expected = expectedRanking("COSINE").slice(0, 5);
    expect(data.map((row) => row.attributes.book_id)).toEqual(expected.map(({ book }) => book.book_id));
    data.forEach((row, index) => {
      expect(row.score).toBeCloseTo((1 + (expected[index]?.raw as number)) / 2, 9);
    });
    expect(lastSearchBody().searchParams).toEqual({ metricType: "COSINE" });
  });

  it("drops rows under ranking_options.score_threshold", async () => {
    const ranked = expectedRanking("COSINE").map(({ raw }) => (1 + raw) / 2);
    const threshold = ((ranked[3] as number) + (ranked[4] as number)) / 2;
    const { data } = await provider.search(searchRequest("books_cosine", {}, { rankingOptions: { score_threshold: threshold } }));
    expect(data).toHaveLength(4);
    expect(data.every((row) => row.score >= threshold)).toBe(true);
  });

  it("lets max_num_results win over the limit option, which wins over the default of 10", async () => {
    expect((await provider.search(searchRequest("books_l2", { limit: 7 }, { maxNumResults: 3 }))).data).toHaveLength(3);
    expect(lastSearchBody().limit).toBe(3);
    expect((await provider.search(searchRequest("books_l2", { limit: 7 }))).data).toHaveLength(7);
    expect(lastSearchBody().limit).toBe(7);
    expect((await provider.search(searchRequest("books_l2"))).data).toHaveLength(10);
  });

  it("pages with offset", async () => {
    const { data } = await provider.search(searchRequest("books_l2", { offset: 5, limit: 4 }));
    expect(data.map((row) => row.attributes.book_id)).toEqual(
      expectedRanking("L2")
        .slice(5, 9)
        .map(({ book }) => book.book_id),
    );
    expect(lastSearchBody().offset).toBe(5);
  });

  it("requests the operator's outputFields plus the text field, and returns only those", async () => {
    const { data } = await provider.search(searchRequest("books_l2", { outputFields: ["title"] }));
    expect(lastSearchBody().outputFields).toEqual(["title", "intro"]);
    const first = expectedRanking("L2")[0]?.book as Book;
    expect(data[0]?.attributes).toEqual({ id: first.book_id, title: first.title });
    expect(data[0]?.content[0]?.text).toBe(first.intro);
  });

  it("ANDs the filter option with the request's filters, values only as exprParams", async () => {
    const filters: Filter = {
      type: "and",
      filters: [
        { key: "genre", type: "eq", value: "poetry" },
        { key: "year", type: "lt", value: 2000 },
      ],
    };
    const { data } = await provider.search(searchRequest("books_cosine", { filter: "year > 1900", limit: 50 }, { filters }));
    const body = lastSearchBody();
    expect(body.filter).toBe("(year > 1900) and ((genre == {p0}) and (year < {p1}))");
    expect(body.exprParams).toEqual({ p0: "poetry", p1: 2000 });
    const candidates = books.filter((book) => book.year > 1900 && book.genre === "poetry" && book.year < 2000);
    expect(candidates.length).toBeGreaterThan(2);
    expect(data.map((row) => row.attributes.book_id)).toEqual(expectedRanking("COSINE", candidates).map(({ book }) => book.book_id));
  });

  it("learns the metric from collections/describe once, and not at all when configured", async () => {
    const fresh = createMilvusProvider({ env: {} });
    try {
      await Promise.all([fresh.search(searchRequest("books_cosine")), fresh.search(searchRequest("books_cosine"))]);
      await fresh.search(searchRequest("books_cosine", { maxNumResults: 2 } as Partial<MilvusOptions>));
      expect(milvus.requestsTo("collections/describe")).toHaveLength(1);
      expect(milvus.requestsTo("entities/search").every((request) => (request.body as { searchParams: unknown }).searchParams !== undefined)).toBe(true);

      milvus.requests.length = 0;
      await fresh.search(searchRequest("books_l2", { searchParams: { metric_type: "L2", params: { nprobe: 10 } }, outputFields: ["title"] }));
      expect(milvus.requestsTo("collections/describe")).toHaveLength(0);
      expect(lastSearchBody().searchParams).toEqual({ metricType: "L2", params: { nprobe: 10 } });
    } finally {
      await fresh.close();
    }
  });

  it("sends dbName and annsField when given", async () => {
    const { data } = await provider.search(searchRequest("books_in_db", { dbName: "library", annsField: "embedding", limit: 3 }));
    expect(data).toHaveLength(3);
    expect(lastSearchBody()).toMatchObject({ dbName: "library", annsField: "embedding" });
    expect(milvus.requestsTo("collections/describe")[0]?.body).toEqual({ collectionName: "books_in_db", dbName: "library" });
  });

  it("refuses a query vector of another dimension than the field's before searching, naming both", async () => {
    const searchesBefore = milvus.requestsTo("entities/search").length;
    const error = await provider.search(searchRequest("books_cosine", {}, { queryVector: [1, 0, 0] })).catch((caught: unknown) => caught);
    expect(BadRequestError.isInstance(error)).toBe(true);
    expect((error as BadRequestError).code).toBe("embedding_dimension_mismatch");
    expect((error as BadRequestError).message).toContain(
      `3-dimension vectors, but vector field "embedding" of collection "books_cosine" holds ${DIMENSION}-dimension`,
    );
    expect(milvus.requestsTo("entities/search")).toHaveLength(searchesBefore);
  });

  it("answers a missing collection with 404, never with an empty page", async () => {
    const error = await provider.search(searchRequest("no_such_books")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(404);
    expect((error as UpstreamError).upstreamCode).toBe("100");

    const configured = await provider
      .search(searchRequest("no_such_books", { searchParams: { metricType: "COSINE" }, outputFields: ["title"] }))
      .catch((caught: unknown) => caught);
    expect((configured as UpstreamError).status).toBe(404);
  });

  it("maps a failing search answer to its error and describes the collection again afterwards", async () => {
    const fresh = createMilvusProvider({ env: {} });
    try {
      await fresh.search(searchRequest("books_l2"));
      milvus.failNext({ code: 1807, message: "rate limit exceeded", endpoint: "entities/search" });
      const error = await fresh.search(searchRequest("books_l2")).catch((caught: unknown) => caught);
      expect((error as UpstreamError).status).toBe(429);
      expect((error as Error).message).toContain("rate limit exceeded");
      await fresh.search(searchRequest("books_l2"));
      expect(milvus.requestsTo("collections/describe")).toHaveLength(2);
    } finally {
      await fresh.close();
    }
  });

  it("refuses a metric that does not match the index (Milvus code 1100 → 400)", async () => {
    const error = await provider.search(searchRequest("books_cosine", { searchParams: { metricType: "L2" } })).catch((caught: unknown) => caught);
    expect((error as UpstreamError).status).toBe(400);
    expect((error as Error).message).toContain("metric type not match");
  });

  it("needs milvus_text_field and a limit + offset Milvus accepts", async () => {
    const request = searchRequest("books_l2");
    delete request.options.milvus_text_field;
    await expect(provider.search(request)).rejects.toBeInstanceOf(BadRequestError);
    await expect(provider.search(searchRequest("books_l2", { offset: 16380, limit: 10 }))).rejects.toThrow(/offset/);
    expect(milvus.requests).toHaveLength(0);
  });
});

describe("search rows with the primary key under id only (not an output field)", () => {
  it("keeps the primary key as id in attributes", async () => {
    const legacy = await startMilvusRestServer();
    const legacyProvider = createMilvusProvider({ env: {} });
    try {
      const { transport } = legacyProvider.transportFor({ api_base: legacy.url });
      await transport.call("collections/create", {
        collectionName: "quick",
        dimension: DIMENSION,
        metricType: "L2",
        primaryFieldName: "pk",
        vectorFieldName: "vec",
      });
      await transport.call("entities/insert", {
        collectionName: "quick",
        data: books.slice(0, 3).map((book) => ({ pk: book.book_id, vec: book.embedding, intro: book.intro })),
      });
      const { data } = await legacyProvider.search({
        vectorStoreId: "quick",
        queryVector,
        searchQuery: "q",
        options: { api_base: legacy.url, milvus_text_field: "intro", outputFields: ["intro"] },
      });
      expect(data).toHaveLength(3);
      const ids = data.map((row) => row.attributes.id);
      expect(new Set(ids)).toEqual(new Set(books.slice(0, 3).map((book) => book.book_id)));
      expect(data[0]?.attributes).not.toHaveProperty("pk");
      expect(data[0]?.content[0]?.text).toMatch(/^Introduction of book/);
    } finally {
      await legacyProvider.close();
      await legacy.close();
    }
  });
});

describe("createMilvusProvider({createTransport})", () => {
  it("hands the resolved connection to the factory and searches through the transport it returns", async () => {
    const { createRestTransport } = await import("./rest-transport.js");
    const connections: unknown[] = [];
    const custom = createMilvusProvider({
      env: { MILVUS_API_KEY: "env-token" },
      createTransport: (connection) => {
        connections.push(connection);
        return createRestTransport({ baseUrl: milvus.url });
      },
    });
    try {
      const request = searchRequest("books_cosine", { api_base: "grpcs://milvus.example.com:19530", limit: 2 });
      const { data } = await custom.search(request);
      await custom.search(request);
      expect(data).toHaveLength(2);
      expect(connections).toEqual([
        {
          kind: "grpc",
          address: "milvus.example.com:19530",
          ssl: true,
          token: "env-token",
          timeoutMs: 30_000,
          displayAddress: "grpcs://milvus.example.com:19530",
        },
      ]);
    } finally {
      await custom.close();
    }
  });
});
