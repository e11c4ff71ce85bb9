import { afterAll, beforeAll, expect, it } from "vitest";
import { seededRandom } from "@vs/provider-conformance";
import type { MilvusResponse, MilvusTransport } from "../milvus-transport.js";

/**
 * The transport contract: the REST v2 calls the gateway makes (and the passthrough forwards), with the answers Milvus
 * gives. The gRPC transport runs it against Milvus Lite (a real engine) and the REST transport against the package's
 * REST v2 test server, so the test server is checked against the engine instead of only trusted.
 */
export interface ContractEngine {
  transport: MilvusTransport;
  /** Done outside the REST v2 calls under test (the Node SDK on Milvus Lite, `partitions/create` over REST). */
  createPartition(collection: string, partition: string): Promise<void>;
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  close(): Promise<void>;
}

const DIMENSION = 64;

type Metric = "L2" | "IP" | "COSINE";
type Row = { id: number; vector: number[]; wordCount: number };

function makeRows(count: number, seed: number, firstId = 0): Row[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => ({
    id: firstId + index,
    vector: Array.from({ length: DIMENSION }, () => random()),
    wordCount: 1 + Math.floor(random() * 100),
  }));
}

/** Milvus's score for a pair: L2 is the squared distance (smaller is better), IP and COSINE are similarities. */
function score(metric: Metric, a: number[], b: number[]): number {
  let dot = 0;
  let squaredA = 0;
  let squaredB = 0;
  let squaredDistance = 0;
  for (let index = 0; index < a.length; index += 1) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    squaredA += x * x;
    squaredB += y * y;
    squaredDistance += (x - y) ** 2;
  }
  if (metric === "L2") return squaredDistance;
  if (metric === "IP") return dot;
  return dot / Math.sqrt(squaredA * squaredB);
}

/** The exact answer, best first. */
function bruteForce(metric: Metric, query: number[], rows: Row[], limit: number, offset = 0): { id: number; distance: number }[] {
  return rows
    .map((row) => ({ id: row.id, distance: score(metric, query, row.vector) }))
    .sort((left, right) => (metric === "L2" ? left.distance - right.distance : right.distance - left.distance))
    .slice(offset, offset + limit);
}

function expectSameRanking(actual: unknown, expected: { id: number; distance: number }[]): void {
  expect(Array.isArray(actual)).toBe(true);
  const rows = actual as { id: unknown; distance: unknown }[];
  expect(rows.map((row) => row.id)).toEqual(expected.map((row) => row.id));
  rows.forEach((row, index) => {
    expect(typeof row.distance).toBe("number");
    expect(row.distance as number).toBeCloseTo((expected[index] as { distance: number }).distance, 3);
  });
}

function dataOf(response: MilvusResponse): Record<string, unknown>[] {
  expect(response.code, JSON.stringify(response).slice(0, 500)).toBe(0);
  return response.data as Record<string, unknown>[];
}

/** Registers the contract's tests in the surrounding `describe`. */
export function transportContract(setup: () => Promise<ContractEngine>): void {
  const runId = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  const books = `contract_books_${runId}`;
  const innerProduct = `contract_ip_${runId}`;
  const cosine = `contract_cosine_${runId}`;
  const created = [books, innerProduct, cosine];
  const bookRows = makeRows(2000, 1);
  const partitionRows = makeRows(20, 2, 10_000);
  const innerProductRows = makeRows(300, 3);
  const cosineRows = makeRows(300, 4);
  const queries = makeRows(3, 5).map((row) => row.vector);
  const query = queries[0] as number[];
  let transport: MilvusTransport;
  let engine: ContractEngine;

  beforeAll(async () => {
    engine = await setup();
    transport = engine.transport;
  }, 120_000);

  afterAll(async () => {
    for (const name of created) await transport?.call("collections/drop", { collectionName: name }).catch(() => undefined);
    await engine?.close();
  });

  async function insertRows(
    collection: string,
    rows: Row[],
    toRecord: (row: Row) => Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    for (let start = 0; start < rows.length; start += 1000) {
      const batch = rows.slice(start, start + 1000);
      const response = await transport.call("entities/insert", { collectionName: collection, data: batch.map(toRecord), ...extra });
      expect(response.code, JSON.stringify(response).slice(0, 300)).toBe(0);
      expect(response.data).toEqual({ insertCount: batch.length, insertIds: batch.map((row) => row.id) });
    }
  }

  const bookRecord = (row: Row) => ({ book_id: row.id, word_count: row.wordCount, book_intro: row.vector });

  it("creates a collection from a full schema with an L2 index and no index type, and describes it", async () => {
    expect(dataOf(await transport.call("collections/has", { collectionName: books }))).toEqual({ has: false });
    const createdAnswer = await transport.call("collections/create", {
      collectionName: books,
      schema: {
        fields: [
          { fieldName: "book_id", dataType: "Int64", isPrimary: true, description: "customized primary id" },
          { fieldName: "word_count", dataType: "Int64", isPrimary: false, description: "word count" },
          {
            fieldName: "book_intro",
            dataType: "FloatVector",
            isPrimary: false,
            description: "book introduction",
            elementTypeParams: { dim: String(DIMENSION) },
          },
        ],
      },
      indexParams: [{ fieldName: "book_intro", indexName: "book_intro_index", metricType: "L2" }],
    });
    expect(createdAnswer).toEqual({ code: 0, data: {} });

    const described = await transport.call("collections/describe", { collectionName: books });
    expect(described.code).toBe(0);
    const description = described.data as Record<string, unknown>;
    expect(description).toMatchObject({
      collectionName: books,
      autoId: false,
      enableDynamicField: false,
      load: "LoadStateLoaded",
      indexes: [{ fieldName: "book_intro", metricType: "L2" }],
    });
    // Milvus Lite ignores index names and names each index after its field.
    expect(["book_intro_index", "book_intro"]).toContain((description.indexes as { indexName: unknown }[])[0]?.indexName);
    expect(typeof description.shardsNum).toBe("number");
    const fields = description.fields as Record<string, unknown>[];
    expect(fields.map((field) => [field.name, field.type, field.primaryKey, field.autoId])).toEqual([
      ["book_id", "Int64", true, false],
      ["word_count", "Int64", false, false],
      ["book_intro", "FloatVector", false, false],
    ]);
    expect(fields[2]?.params).toEqual([{ key: "dim", value: String(DIMENSION) }]);
    expect(dataOf(await transport.call("collections/has", { collectionName: books }))).toEqual({ has: true });
  });

  it("inserts 2,000 rows in batches, flushes, loads and reports the load state", async () => {
    await insertRows(books, bookRows, bookRecord);
    expect(await transport.call("collections/flush", { collectionName: books })).toEqual({ code: 0, data: {} });
    expect(await transport.call("collections/load", { collectionName: books })).toEqual({ code: 0, data: {} });
    expect(await transport.call("collections/get_load_state", { collectionName: books })).toMatchObject({ code: 0, data: { loadState: "LoadStateLoaded" } });
    const count = dataOf(await transport.call("entities/query", { collectionName: books, filter: "", outputFields: ["count(*)"] }));
    expect(count).toEqual([{ "count(*)": 2000 }]);
    expect(dataOf(await transport.call("collections/list", {}))).toContain(books);
  });

  it("searches with the metric learnt from the index: order and squared L2 distances match brute force", async () => {
    const response = await transport.call("entities/search", { collectionName: books, data: [query], annsField: "book_intro", limit: 10 });
    expect(response.topks).toEqual([10]);
    const rows = dataOf(response);
    expectSameRanking(rows, bruteForce("L2", query, bookRows, 10));
    expect(Object.keys(rows[0] as object).sort()).toEqual(["distance", "id"]);
  });

  it("serves the reference's search: metric_type + params, three query vectors, flat data and topks", async () => {
    const response = await transport.call("entities/search", {
      collectionName: books,
      data: queries,
      limit: 2,
      searchParams: { metric_type: "L2", params: { level: 2 } },
      annsField: "book_intro",
    });
    expect(response.topks).toEqual([2, 2, 2]);
    const rows = dataOf(response);
    expect(rows).toHaveLength(6);
    queries.forEach((vector, index) => {
      expectSameRanking(rows.slice(index * 2, index * 2 + 2), bruteForce("L2", vector, bookRows, 2));
    });
  });

  it("takes the flat searchParams form and pages with limit and offset", async () => {
    const rows = dataOf(
      await transport.call("entities/search", { collectionName: books, data: [query], limit: 5, offset: 5, searchParams: { metricType: "L2" } }),
    );
    expectSameRanking(rows, bruteForce("L2", query, bookRows, 5, 5));
  });

  it("filters with exprParams and returns the output fields asked for", async () => {
    const rows = dataOf(
      await transport.call("entities/search", {
        collectionName: books,
        data: [query],
        limit: 8,
        filter: "word_count >= {minimum} and book_id not in {excluded}",
        exprParams: { minimum: 60, excluded: [bookRows[0]?.id ?? 0] },
        outputFields: ["word_count", "book_id"],
      }),
    );
    const eligible = bookRows.filter((row) => row.wordCount >= 60 && row.id !== bookRows[0]?.id);
    expectSameRanking(rows, bruteForce("L2", query, eligible, 8));
    for (const row of rows) {
      expect(row.book_id).toBe(row.id);
      expect(row.word_count).toBe(bookRows[row.id as number]?.wordCount);
    }
  });

  it("searches one partition only", async () => {
    await engine.createPartition(books, "recent");
    await insertRows(books, partitionRows, bookRecord, { partitionName: "recent" });
    const rows = dataOf(await transport.call("entities/search", { collectionName: books, data: [query], limit: 5, partitionNames: ["recent"] }));
    expectSameRanking(rows, bruteForce("L2", query, partitionRows, 5));
  });

  it("groups results by a field", async () => {
    const grouped = dataOf(
      await transport.call("entities/search", { collectionName: books, data: [query], limit: 5, groupingField: "word_count", outputFields: ["word_count"] }),
    );
    expect(grouped).toHaveLength(5);
    expect(new Set(grouped.map((row) => row.word_count)).size).toBe(5);
    const groupedBySize = dataOf(
      await transport.call("entities/search", {
        collectionName: books,
        data: [query],
        limit: 3,
        groupingField: "word_count",
        groupSize: 2,
        strictGroupSize: true,
        outputFields: ["word_count"],
      }),
    );
    const perGroup = new Map<unknown, number>();
    for (const row of groupedBySize) perGroup.set(row.word_count, (perGroup.get(row.word_count) ?? 0) + 1);
    expect(perGroup.size).toBe(3);
    for (const size of perGroup.values()) expect(size).toBeLessThanOrEqual(2);
  });

  it("hybrid-searches with two sub-searches and a reranker", async () => {
    const response = await transport.call("entities/hybrid_search", {
      collectionName: books,
      search: [
        { data: [query], annsField: "book_intro", limit: 10 },
        { data: [queries[1]], annsField: "book_intro", limit: 10 },
      ],
      rerank: { strategy: "rrf", params: { k: 60 } },
      limit: 4,
      outputFields: ["word_count"],
    });
    const rows = dataOf(response);
    expect(rows).toHaveLength(4);
    const candidates = new Set([...bruteForce("L2", query, bookRows, 10), ...bruteForce("L2", queries[1] as number[], bookRows, 10)].map((row) => row.id));
    for (const row of rows) {
      expect(candidates.has(row.id as number)).toBe(true);
      expect(typeof row.distance).toBe("number");
      expect(row.word_count).toBe(bookRows[row.id as number]?.wordCount);
    }
  });

  it("queries, gets, upserts and deletes entities", async () => {
    const queried = dataOf(
      await transport.call("entities/query", { collectionName: books, filter: "book_id in [3, 4, 5]", outputFields: ["book_id", "word_count"] }),
    );
    expect(queried.sort((left, right) => (left.book_id as number) - (right.book_id as number))).toEqual(
      [3, 4, 5].map((id) => ({ book_id: id, word_count: bookRows[id]?.wordCount })),
    );
    const fetched = dataOf(await transport.call("entities/get", { collectionName: books, id: [7, 8], outputFields: ["word_count"] }));
    expect(fetched.map((row) => row.book_id).sort()).toEqual([7, 8]);

    const vector = bookRows[7]?.vector ?? [];
    const upserted = await transport.call("entities/upsert", { collectionName: books, data: [{ book_id: 7, word_count: 999, book_intro: vector }] });
    expect(upserted).toMatchObject({ code: 0, data: { upsertCount: 1, upsertIds: [7] } });
    expect(dataOf(await transport.call("entities/get", { collectionName: books, id: 7, outputFields: ["word_count"] }))).toEqual([
      { book_id: 7, word_count: 999 },
    ]);

    const deleted = await transport.call("entities/delete", { collectionName: books, filter: "book_id in [8]" });
    expect(deleted).toMatchObject({ code: 0, data: { deleteCount: 1 } });
    expect(dataOf(await transport.call("entities/get", { collectionName: books, id: 8 }))).toEqual([]);
    const deletedById = await transport.call("entities/delete", { collectionName: books, id: [9] });
    expect(deletedById).toMatchObject({ code: 0, data: { deleteCount: 1 } });
  });

  it("searches an IP collection and keeps string literals of a templated filter intact", async () => {
    const createdAnswer = await transport.call("collections/create", {
      collectionName: innerProduct,
      schema: {
        autoID: false,
        fields: [
          { fieldName: "book_id", dataType: "Int64", isPrimary: true },
          { fieldName: "word_count", dataType: "Int64" },
          { fieldName: "title", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
          { fieldName: "book_intro", dataType: "FloatVector", elementTypeParams: { dim: DIMENSION } },
        ],
      },
      indexParams: [{ fieldName: "book_intro", metric_type: "IP", indexName: "ip_index" }],
    });
    expect(createdAnswer.code, createdAnswer.message).toBe(0);
    await insertRows(innerProduct, innerProductRows, (row) => ({ ...bookRecord(row), title: `{minimum} ${row.id}` }));
    const rows = dataOf(await transport.call("entities/search", { collectionName: innerProduct, data: [query], limit: 10 }));
    expectSameRanking(rows, bruteForce("IP", query, innerProductRows, 10));

    const filtered = dataOf(
      await transport.call("entities/search", {
        collectionName: innerProduct,
        data: [query],
        limit: 5,
        filter: 'title != "{minimum}" and word_count >= {minimum}',
        exprParams: { minimum: 50 },
        outputFields: ["title"],
      }),
    );
    expectSameRanking(
      filtered,
      bruteForce(
        "IP",
        query,
        innerProductRows.filter((row) => row.wordCount >= 50),
        5,
      ),
    );
    expect(filtered[0]?.title).toBe(`{minimum} ${filtered[0]?.id as number}`);
  });

  it("creates a collection from the quick form (COSINE, dynamic fields) and returns dynamic output fields", async () => {
    expect(await transport.call("collections/create", { collectionName: cosine, dimension: DIMENSION })).toEqual({ code: 0, data: {} });
    await insertRows(cosine, cosineRows, (row) => ({ id: row.id, vector: row.vector, note: `note ${row.id}` }));
    const rows = dataOf(await transport.call("entities/search", { collectionName: cosine, data: [query], limit: 5, outputFields: ["note"] }));
    expectSameRanking(rows, bruteForce("COSINE", query, cosineRows, 5));
    for (const row of rows) expect(row.note).toBe(`note ${row.id as number}`);
  });

  it("forgets the learnt metric when a collection is dropped and created again", async () => {
    expect(await transport.call("collections/drop", { collectionName: cosine })).toEqual({ code: 0, data: {} });
    expect(dataOf(await transport.call("collections/has", { collectionName: cosine }))).toEqual({ has: false });
    expect(await transport.call("collections/create", { collectionName: cosine, dimension: DIMENSION, metricType: "L2" })).toEqual({ code: 0, data: {} });
    const rows = cosineRows.slice(0, 50);
    await insertRows(cosine, rows, (row) => ({ id: row.id, vector: row.vector }));
    const found = dataOf(await transport.call("entities/search", { collectionName: cosine, data: [query], limit: 5 }));
    expectSameRanking(found, bruteForce("L2", query, rows, 5));
  });

  it("sends the body's dbName with each call, without switching the shared client's database", async () => {
    const databaseName = `contract_db_${runId}`;
    await engine.createDatabase(databaseName);
    try {
      expect(await transport.call("collections/create", { dbName: databaseName, collectionName: books, dimension: 4 })).toEqual({ code: 0, data: {} });
      await transport.call("entities/insert", { dbName: databaseName, collectionName: books, data: [{ id: 1, vector: [1, 0, 0, 0] }] });
      const rows = dataOf(await transport.call("entities/search", { dbName: databaseName, collectionName: books, data: [[1, 0, 0, 0]], limit: 5 }));
      expect(rows.map((row) => row.id)).toEqual([1]);
      // The same collection name in the default database is still the 2,000-book one.
      const count = dataOf(await transport.call("entities/query", { collectionName: books, filter: "", outputFields: ["count(*)"] }));
      expect((count[0]?.["count(*)"] as number) > 1000).toBe(true);
      expect(await transport.call("collections/drop", { dbName: databaseName, collectionName: books })).toEqual({ code: 0, data: {} });
      expect(dataOf(await transport.call("collections/has", { collectionName: books }))).toEqual({ has: true });
    } finally {
      await engine.dropDatabase(databaseName);
    }
  });

  it("answers an unknown collection with code 100", async () => {
    const missing = `contract_missing_${runId}`;
    expect((await transport.call("collections/describe", { collectionName: missing })).code).toBe(100);
    expect((await transport.call("entities/search", { collectionName: missing, data: [query] })).code).toBe(100);
    expect((await transport.call("entities/insert", { collectionName: missing, data: [{ id: 1 }] })).code).toBe(100);
    expect((await transport.call("collections/get_load_state", { collectionName: missing })).code).toBe(100);
  });

  it("answers bad bodies with the REST server's codes", async () => {
    expect((await transport.call("entities/search", { data: [query] })).code).toBe(1802);
    expect((await transport.call("entities/search", { collectionName: books, data: [query], limit: "ten" })).code).toBe(1801);
    expect((await transport.call("entities/search", { collectionName: books, data: [[1, 2, 3]] })).code).toBe(1801);
    expect((await transport.call("entities/search", { collectionName: books, data: [query], consistencyLevel: "Sometimes" })).code).toBe(1100);
    expect((await transport.call("entities/search", { collectionName: books, data: [query], filter: "word_count >>> 3" })).code).toBe(1100);
  });
}
