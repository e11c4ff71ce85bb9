import { BadRequestError, UpstreamError, VsError, type Filter, type StoreLayout, type StoredChunk } from "@vs/core";
import { cosine, seededRandom } from "@vs/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMilvusFilter } from "./milvus-filters.js";
import { hybridSearchBody, hybridWeights } from "./milvus-hybrid.js";
import { compareExistingLayout, managedCreateBody, managedRow } from "./milvus-managed.js";
import { milvusOptionsSchema, type MilvusOptions } from "./milvus-options.js";
import { createMilvusProvider, type MilvusProvider } from "./milvus-provider.js";
import { upsertBatches } from "./milvus-writer.js";
import { startMilvusRestServer } from "./testing/milvus-rest-server.js";

const milvusAddress = process.env.VS_TEST_MILVUS_ADDRESS?.replace(/^(?:grpcs?|https?):\/\//i, "");
const DIMENSION = 32;

describe("managed layout bodies", () => {
  const layout: StoreLayout = { dimensions: 8, metric: "l2", fullText: true };

  it("creates the owned schema with a BM25 function, both indexes and Strong consistency", () => {
    const body = managedCreateBody("vs_store", "docs", layout, true);
    expect(body.collectionName).toBe("vs_store");
    expect(body.dbName).toBe("docs");
    const schema = body.schema as { fields: Array<Record<string, unknown>>; functions: unknown[] };
    expect(schema.fields.map((field) => [field.fieldName, field.dataType])).toEqual([
      ["id", "VarChar"],
      ["text", "VarChar"],
      ["vector", "FloatVector"],
      ["file_id", "VarChar"],
      ["filename", "VarChar"],
      ["chunk_index", "Int64"],
      ["attributes", "JSON"],
      ["sparse", "SparseFloatVector"],
    ]);
    expect(schema.fields[0]?.isPrimary).toBe(true);
    expect(schema.fields[1]?.elementTypeParams).toEqual({ max_length: 65535, enable_analyzer: true });
    expect(schema.fields[2]?.elementTypeParams).toEqual({ dim: 8 });
    expect(schema.functions).toEqual([{ name: "text_bm25", type: "BM25", inputFieldNames: ["text"], outputFieldNames: ["sparse"], params: {} }]);
    expect(body.indexParams).toEqual([
      { fieldName: "vector", indexName: "vector", indexType: "AUTOINDEX", metricType: "L2" },
      { fieldName: "sparse", indexName: "sparse", indexType: "SPARSE_INVERTED_INDEX", metricType: "BM25" },
    ]);
    expect(body.params).toEqual({ consistencyLevel: "Strong" });
  });

  it("leaves out the sparse field, function and analyzer without full text", () => {
    const body = managedCreateBody("vs_store", undefined, { dimensions: 8, metric: "cosine" }, false);
    const schema = body.schema as { fields: Array<Record<string, unknown>>; functions?: unknown };
    expect(body).not.toHaveProperty("dbName");
    expect(schema.functions).toBeUndefined();
    expect(schema.fields.map((field) => field.fieldName)).not.toContain("sparse");
    expect(schema.fields[1]?.elementTypeParams).toEqual({ max_length: 65535 });
    expect(body.indexParams).toEqual([{ fieldName: "vector", indexName: "vector", indexType: "AUTOINDEX", metricType: "COSINE" }]);
  });

  const described = (overrides: { dim?: string; metric?: string; vectorIndex?: boolean; sparse?: boolean; fn?: boolean } = {}) => ({
    fields: [
      { name: "id", type: "VarChar", primaryKey: true },
      { name: "text", type: "VarChar" },
      { name: "vector", type: "FloatVector", params: [{ key: "dim", value: overrides.dim ?? "8" }] },
      { name: "file_id", type: "VarChar" },
      { name: "filename", type: "VarChar" },
      { name: "chunk_index", type: "Int64" },
      { name: "attributes", type: "JSON" },
      ...(overrides.sparse === false ? [] : [{ name: "sparse", type: "SparseFloatVector" }]),
    ],
    functions: overrides.fn === false ? [] : [{ name: "text_bm25", type: "BM25", inputFieldNames: ["text"], outputFieldNames: ["sparse"] }],
    indexes: [
      ...(overrides.vectorIndex === false ? [] : [{ fieldName: "vector", metricType: overrides.metric ?? "L2" }]),
      ...(overrides.sparse === false ? [] : [{ fieldName: "sparse", metricType: "BM25" }]),
    ],
  });

  it("accepts an existing collection with the same layout, with or without full text", () => {
    expect(compareExistingLayout(described(), layout)).toEqual({ conflict: undefined, hasSparse: true, missingIndexes: [] });
    expect(compareExistingLayout(described({ sparse: false }), layout)).toEqual({ conflict: undefined, hasSparse: false, missingIndexes: [] });
  });

  it("names what differs: dimensions, metric, a missing field, a sparse field without BM25", () => {
    expect(compareExistingLayout(described({ dim: "16" }), layout).conflict).toBe('its "vector" field has 16 dimensions, not 8');
    expect(compareExistingLayout(described({ metric: "COSINE" }), layout).conflict).toBe('its "vector" index uses metric COSINE, not L2');
    expect(compareExistingLayout({ ...described(), fields: described().fields.filter((field) => field.name !== "attributes") }, layout).conflict).toBe(
      'it has no "attributes" field',
    );
    expect(compareExistingLayout(described({ fn: false }), layout).conflict).toBe('its "sparse" field is not filled by a BM25 function of "text"');
  });

  it("lists the index a crashed creation left out", () => {
    expect(compareExistingLayout(described({ vectorIndex: false }), layout).missingIndexes).toEqual([
      { fieldName: "vector", indexName: "vector", indexType: "AUTOINDEX", metricType: "L2" },
    ]);
  });

  it("writes a chunk as a row of the owned fields", () => {
    const chunk: StoredChunk = { id: "file-1:0", fileId: "file-1", filename: "a.txt", chunkIndex: 0, text: "hello", vector: [1, 2], attributes: { k: "v" } };
    expect(managedRow(chunk)).toEqual({
      id: "file-1:0",
      text: "hello",
      vector: [1, 2],
      file_id: "file-1",
      filename: "a.txt",
      chunk_index: 0,
      attributes: { k: "v" },
    });
  });

  it("batches rows by count and by JSON size", () => {
    const rows = Array.from({ length: 7 }, (_, index) => ({ index, pad: "x".repeat(90) }));
    expect(upsertBatches(rows, 3).map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(upsertBatches(rows, 100, 250).map((batch) => batch.length)).toEqual([2, 2, 2, 1]);
    expect(upsertBatches([{ pad: "y".repeat(1000) }], 100, 10)).toHaveLength(1);
    expect(upsertBatches([])).toEqual([]);
  });

  it("turns filter keys into attributes JSON paths, values into exprParams", () => {
    const filters: Filter = {
      type: "and",
      filters: [
        { key: "author", type: "eq", value: "ann" },
        { key: "year.month", type: "gte", value: 3 },
      ],
    };
    expect(buildMilvusFilter(filters, "filters", { attributesField: "attributes" })).toEqual({
      expression: '(attributes["author"] == {p0}) and (attributes["year.month"] >= {p1})',
      exprParams: { p0: "ann", p1: 3 },
    });
    expect(buildMilvusFilter({ key: "tag", type: "in", value: ["a", "b"] }, "filters", { attributesField: "attributes" })).toEqual({
      expression: '(attributes["tag"] == {p0} or attributes["tag"] == {p1})',
      exprParams: { p0: "a", p1: "b" },
    });
    expect(buildMilvusFilter({ key: "n", type: "nin", value: [1] }, "filters", { attributesField: "attributes" }).expression).toBe('attributes["n"] != {p0}');
    expect(() => buildMilvusFilter({ key: 'a"] or true or x["', type: "eq", value: 1 }, "filters", { attributesField: "attributes" })).toThrow(BadRequestError);
  });

  it("builds the hybrid body: both sub-searches filtered, weights scaled to sum 1, normalised scores", () => {
    const body = hybridSearchBody({
      collectionName: "vs_store",
      dbName: undefined,
      queryVector: [0.1, 0.2],
      queryText: "exact words",
      metric: "COSINE",
      searchParams: {},
      filter: { expression: 'attributes["a"] == {p0}', exprParams: { p0: 1 } },
      limit: 5,
      offset: undefined,
      outputFields: ["text"],
      consistencyLevel: "Strong",
      partitionNames: undefined,
      groupingField: undefined,
      groupSize: undefined,
      weights: { embedding_weight: 3, text_weight: 1 },
    });
    expect(body).toEqual({
      collectionName: "vs_store",
      search: [
        { data: [[0.1, 0.2]], annsField: "vector", metricType: "COSINE", limit: 100, filter: 'attributes["a"] == {p0}', exprParams: { p0: 1 } },
        { data: ["exact words"], annsField: "sparse", metricType: "BM25", limit: 100, filter: 'attributes["a"] == {p0}', exprParams: { p0: 1 } },
      ],
      rerank: { strategy: "weighted", params: { weights: [0.75, 0.25], norm_score: true } },
      limit: 5,
      outputFields: ["text"],
      consistencyLevel: "Strong",
    });
    expect(() => hybridWeights({ embedding_weight: 0, text_weight: 0 })).toThrow(/must not both be 0/);
  });

  it("gives created stores the template's connection, the owned layout and the marker, and they parse", () => {
    const provider = createMilvusProvider({ env: {} });
    const template: MilvusOptions = {
      api_base: "grpc://milvus:19530",
      api_key: "root:Milvus",
      dbName: "docs",
      timeout_ms: 5000,
      milvus_text_field: "body",
      outputFields: ["x"],
      filter: "x > 1",
    };
    const options = provider.writer.optionsForCreatedStore(template, { dimensions: 8, metric: "ip" });
    expect(options).toEqual({
      api_base: "grpc://milvus:19530",
      api_key: "root:Milvus",
      dbName: "docs",
      timeout_ms: 5000,
      milvus_text_field: "text",
      annsField: "vector",
      searchParams: { metricType: "IP" },
      managed_schema: "vs-v1",
    });
    expect(milvusOptionsSchema.parse(options)).toEqual(options);
  });

  it("refuses hybrid search of a store the gateway did not create, before calling Milvus", async () => {
    const provider = createMilvusProvider({
      env: {},
      createTransport: () => ({ kind: "rest", call: () => Promise.reject(new Error("must not be called")), close: async () => undefined }),
    });
    const search = provider.search({
      vectorStoreId: "books",
      options: { api_base: "http://127.0.0.1:1", milvus_text_field: "intro" },
      queryVector: [1, 0],
      searchQuery: "q",
      rankingOptions: { hybrid_search: { embedding_weight: 1, text_weight: 1 } },
    });
    await expect(search).rejects.toMatchObject({ status: 400, param: "ranking_options.hybrid_search" });
  });
});

describe("milvus writer over REST v2 (the package's test server)", () => {
  it("creates, fills, filters, rewrites attributes, deletes and drops through REST bodies", async () => {
    const server = await startMilvusRestServer();
    const provider = createMilvusProvider({ env: {} });
    try {
      const layout: StoreLayout = { dimensions: 4, metric: "cosine" };
      const target = { vectorStoreId: "managed", options: provider.writer.optionsForCreatedStore({ api_base: server.url }, layout) };
      await provider.writer.createStore(target, layout);
      const chunk = (fileId: string, chunkIndex: number, vector: number[]): StoredChunk => ({
        id: `${fileId}:${chunkIndex}`,
        fileId,
        filename: `${fileId}.txt`,
        chunkIndex,
        text: `${fileId} ${chunkIndex}`,
        vector,
        attributes: { owner: fileId },
      });
      await provider.writer.upsertChunks(target, [chunk("f1", 0, [1, 0, 0, 0]), chunk("f1", 1, [0, 1, 0, 0]), chunk("f2", 0, [0.9, 0.1, 0, 0])]);
      const search = (filters?: Filter) => provider.search({ ...target, queryVector: [1, 0, 0, 0], searchQuery: "q", filters });
      expect((await search()).data.map((row) => [row.file_id, row.filename, row.content[0]?.text])).toEqual([
        ["f1", "f1.txt", "f1 0"],
        ["f2", "f2.txt", "f2 0"],
        ["f1", "f1.txt", "f1 1"],
      ]);
      const upserts = server.requestsTo("entities/upsert");
      expect(upserts[0]?.body).toMatchObject({
        collectionName: "managed",
        data: [{ id: "f1:0", file_id: "f1", chunk_index: 0, attributes: { owner: "f1" } }, {}, {}],
      });
      expect(server.requestsTo("entities/search").at(-1)?.body).toMatchObject({
        consistencyLevel: "Strong",
        annsField: "vector",
        outputFields: ["text", "file_id", "filename", "attributes"],
      });
      await provider.writer.updateFileAttributes?.(target, "f1", { owner: "someone" });
      expect((await search({ key: "owner", type: "eq", value: "someone" })).data.map((row) => row.content[0]?.text)).toEqual(["f1 0", "f1 1"]);
      await provider.writer.deleteFileChunks(target, "f1");
      expect((await search()).data.map((row) => row.file_id)).toEqual(["f2"]);
      expect(server.requestsTo("entities/delete").at(-1)?.body).toMatchObject({ filter: "file_id == {file_id}", exprParams: { file_id: "f1" } });
      await provider.writer.dropStore(target);
      await provider.writer.dropStore(target);
    } finally {
      await provider.close();
      await server.close();
    }
  });
});

if (!milvusAddress) {
  if (process.env.CI === "true") {
    describe("milvus writer against Milvus Lite", () => {
      it("needs VS_TEST_MILVUS_ADDRESS", () => {
        expect.fail("VS_TEST_MILVUS_ADDRESS is not set in CI: the test runner must start Milvus Lite");
      });
    });
  } else {
    describe.skip("milvus writer against Milvus Lite (skipped: VS_TEST_MILVUS_ADDRESS is not set; run the tests through the test runner, which starts Milvus Lite)", () => {
      it("creates, fills, searches and drops managed stores", () => undefined);
    });
  }
} else {
  const address = milvusAddress;
  describe("milvus writer against Milvus Lite", () => {
    const runId = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
    const store = `vs_managed_${runId}`;
    const denseOnly = `vs_dense_${runId}`;
    const layout: StoreLayout = { dimensions: DIMENSION, metric: "cosine", fullText: true };
    const random = seededRandom(11);
    const vector = () => Array.from({ length: DIMENSION }, () => random() - 0.5);
    const WORDS = ["river", "mountain", "forest", "city", "harbor", "valley", "desert", "meadow", "island", "canyon"];
    const sentence = () => Array.from({ length: 8 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");

    const fileA = { fileId: "file-a", filename: "a.md", attributes: { author: "ann", year: 2020, draft: false } };
    const fileB = { fileId: "file-b", filename: "b.md", attributes: { author: "bob", year: 2024, draft: true } };
    const chunksOf = (file: typeof fileA | typeof fileB, count: number): StoredChunk[] =>
      Array.from({ length: count }, (_, chunkIndex) => ({
        id: `${file.fileId}:${chunkIndex}`,
        fileId: file.fileId,
        filename: file.filename,
        chunkIndex,
        text: sentence(),
        vector: vector(),
        attributes: { ...file.attributes },
      }));
    const chunksA = chunksOf(fileA, 30);
    const chunksB = chunksOf(fileB, 30);
    const query = vector();
    // The one chunk holding the keyword: its vector points away from the query, so dense search ranks it last.
    const keywordChunk = chunksB[7] as StoredChunk;
    keywordChunk.text = "the xylophone quartet rehearsed";
    keywordChunk.vector = query.map((value) => -value);
    const all = [...chunksA, ...chunksB];

    let provider: MilvusProvider;
    let options: MilvusOptions;

    beforeAll(() => {
      provider = createMilvusProvider({ env: {} });
      options = provider.writer.optionsForCreatedStore({ api_base: `grpc://${address}`, timeout_ms: 60_000 }, layout);
    });

    afterAll(async () => {
      for (const name of [store, denseOnly]) await provider?.writer.dropStore({ vectorStoreId: name, options }).catch(() => undefined);
      await provider?.close();
    });

    const target = () => ({ vectorStoreId: store, options });
    const search = (extra: { filters?: Filter; maxNumResults?: number; hybrid?: { embedding_weight: number; text_weight: number }; text?: string } = {}) =>
      provider.search({
        ...target(),
        queryVector: query,
        searchQuery: extra.text ?? "river",
        filters: extra.filters,
        maxNumResults: extra.maxNumResults ?? 10,
        rankingOptions: extra.hybrid === undefined ? undefined : { hybrid_search: extra.hybrid },
      });
    const bruteForce = (chunks: StoredChunk[]) => [...chunks].sort((a, b) => cosine(query, b.vector) - cosine(query, a.vector));

    it("creates the store idempotently and refuses another layout with a 409", async () => {
      await provider.writer.createStore(target(), layout);
      await provider.writer.createStore(target(), layout);
      const conflict = await provider.writer.createStore(target(), { ...layout, dimensions: DIMENSION * 2 }).catch((error: unknown) => error);
      expect(VsError.isInstance(conflict)).toBe(true);
      expect(conflict).toMatchObject({ status: 409, code: "vector_store_layout_conflict" });
      expect((conflict as Error).message).toContain(`has ${DIMENSION} dimensions, not ${DIMENSION * 2}`);
      const metricConflict = await provider.writer.createStore(target(), { ...layout, metric: "l2" }).catch((error: unknown) => error);
      expect(metricConflict).toMatchObject({ status: 409 });
    });

    it("upserts two files (twice: ids replace rows) and a search returns file_id, filename, attributes in brute-force order", async () => {
      await provider.writer.upsertChunks(target(), all);
      await provider.writer.upsertChunks(target(), chunksA);
      const result = await search({ maxNumResults: 50 });
      expect(result.data).toHaveLength(50);
      const expected = bruteForce(all).slice(0, 10);
      expect(result.data.slice(0, 10).map((row) => row.content[0]?.text)).toEqual(expected.map((chunk) => chunk.text));
      const top = result.data[0];
      const topChunk = expected[0] as StoredChunk;
      expect(top).toMatchObject({ file_id: topChunk.fileId, filename: topChunk.fileId === "file-a" ? "a.md" : "b.md", attributes: topChunk.attributes });
      expect(top?.score).toBeCloseTo((1 + cosine(query, topChunk.vector)) / 2, 4);
      // No duplicate rows after the second upsert of file A.
      const everything = await search({ maxNumResults: 50, filters: { key: "author", type: "in", value: ["ann", "bob"] } });
      expect(new Set(everything.data.map((row) => row.content[0]?.text)).size).toBe(everything.data.length);
    });

    it("applies filters to the attributes", async () => {
      const bob = await search({ maxNumResults: 50, filters: { key: "author", type: "eq", value: "bob" } });
      expect(bob.data).toHaveLength(30);
      expect(new Set(bob.data.map((row) => row.file_id))).toEqual(new Set(["file-b"]));
      const compound = await search({
        maxNumResults: 50,
        filters: {
          type: "and",
          filters: [
            { key: "year", type: "lt", value: 2021 },
            { key: "draft", type: "eq", value: false },
          ],
        },
      });
      expect(new Set(compound.data.map((row) => row.file_id))).toEqual(new Set(["file-a"]));
      expect(compound.data.map((row) => row.content[0]?.text)).toEqual(
        bruteForce(chunksA)
          .slice(0, 30)
          .map((chunk) => chunk.text),
      );
      const none = await search({ filters: { key: "author", type: "eq", value: 'bob" or true or "' } });
      expect(none.data).toEqual([]);
    });

    it("hybrid search finds the exact keyword that dense search ranks last", async () => {
      const dense = await search({ maxNumResults: 50, text: "xylophone" });
      expect(bruteForce(all).at(-1)).toBe(keywordChunk);
      expect(dense.data.map((row) => row.content[0]?.text)).not.toContain(keywordChunk.text);
      const hybrid = await search({ maxNumResults: 5, text: "xylophone", hybrid: { embedding_weight: 1, text_weight: 1 } });
      expect(hybrid.data[0]).toMatchObject({
        file_id: "file-b",
        filename: "b.md",
        content: [{ type: "text", text: keywordChunk.text }],
        attributes: fileB.attributes,
      });
      for (const row of hybrid.data) {
        expect(row.score).toBeGreaterThanOrEqual(0);
        expect(row.score).toBeLessThanOrEqual(1);
      }
      // Text weight 0: the fused order is the dense order.
      const embeddingOnly = await search({ maxNumResults: 5, text: "xylophone", hybrid: { embedding_weight: 1, text_weight: 0 } });
      expect(embeddingOnly.data.map((row) => row.content[0]?.text)).toEqual(dense.data.slice(0, 5).map((row) => row.content[0]?.text));
      // Filters narrow both sub-searches.
      const filtered = await search({
        maxNumResults: 5,
        text: "xylophone",
        hybrid: { embedding_weight: 1, text_weight: 1 },
        filters: { key: "author", type: "eq", value: "ann" },
      });
      expect(filtered.data.length).toBeGreaterThan(0);
      expect(filtered.data.every((row) => row.file_id === "file-a")).toBe(true);
    });

    it("answers hybrid search of a store created without full text with a 400", async () => {
      const denseLayout: StoreLayout = { dimensions: DIMENSION, metric: "cosine" };
      const denseOptions = provider.writer.optionsForCreatedStore({ api_base: `grpc://${address}` }, denseLayout);
      await provider.writer.createStore({ vectorStoreId: denseOnly, options: denseOptions }, denseLayout);
      await provider.writer.upsertChunks({ vectorStoreId: denseOnly, options: denseOptions }, chunksA.slice(0, 3));
      const plain = await provider.search({ vectorStoreId: denseOnly, options: denseOptions, queryVector: query, searchQuery: "q" });
      expect(plain.data).toHaveLength(3);
      const refused = await provider
        .search({
          vectorStoreId: denseOnly,
          options: denseOptions,
          queryVector: query,
          searchQuery: "q",
          rankingOptions: { hybrid_search: { embedding_weight: 1, text_weight: 1 } },
        })
        .catch((error: unknown) => error);
      expect(BadRequestError.isInstance(refused)).toBe(true);
      expect(refused).toMatchObject({ param: "ranking_options.hybrid_search" });
    });

    it("rewrites a file's attributes, keeping its vectors and text", async () => {
      await provider.writer.updateFileAttributes?.(target(), "file-b", { author: "carol", year: 2025 });
      const carol = await search({ maxNumResults: 50, filters: { key: "author", type: "eq", value: "carol" } });
      expect(carol.data.map((row) => row.content[0]?.text)).toEqual(bruteForce(chunksB).map((chunk) => chunk.text));
      expect(carol.data[0]?.attributes).toEqual({ author: "carol", year: 2025 });
      const bob = await search({ filters: { key: "author", type: "eq", value: "bob" } });
      expect(bob.data).toEqual([]);
      // The BM25 field was rebuilt from the rewritten rows' text.
      const hybrid = await search({ maxNumResults: 1, text: "xylophone", hybrid: { embedding_weight: 1, text_weight: 1 } });
      expect(hybrid.data[0]?.content[0]?.text).toBe(keywordChunk.text);
    });

    it("deletes one file's chunks: a search no longer finds them", async () => {
      await provider.writer.deleteFileChunks(target(), "file-a");
      const result = await search({ maxNumResults: 50 });
      expect(result.data).toHaveLength(30);
      expect(result.data.every((row) => row.file_id === "file-b")).toBe(true);
      await provider.writer.deleteFileChunks(target(), "file-a");
    });

    it("refuses chunks Milvus could not store, naming the field", async () => {
      const tooLong = { ...(chunksA[0] as StoredChunk), text: "é".repeat(40_000) };
      await expect(provider.writer.upsertChunks(target(), [tooLong])).rejects.toMatchObject({ status: 400, param: "chunks[0].text" });
      const wrongDimension = { ...(chunksA[0] as StoredChunk), vector: [1, 2, 3] };
      const refused = await provider.writer.upsertChunks(target(), [wrongDimension]).catch((error: unknown) => error);
      expect(UpstreamError.isInstance(refused) || BadRequestError.isInstance(refused)).toBe(true);
    });

    it("converges when several jobs create the same store at once", async () => {
      const racedOptions = provider.writer.optionsForCreatedStore({ api_base: `grpc://${address}` }, layout);
      const raced = { vectorStoreId: `${store}_raced`, options: racedOptions };
      try {
        const outcomes = await Promise.allSettled([1, 2, 3].map(() => provider.writer.createStore(raced, layout)));
        expect(outcomes.map((outcome) => (outcome.status === "rejected" ? String(outcome.reason) : "ok"))).toEqual(["ok", "ok", "ok"]);
        await provider.writer.upsertChunks(raced, chunksA.slice(0, 2));
        expect((await provider.search({ ...raced, queryVector: query, searchQuery: "q" })).data).toHaveLength(2);
      } finally {
        await provider.writer.dropStore(raced);
      }
    });

    it("finishes a store whose creation stopped before its indexes", async () => {
      const halfOptions = provider.writer.optionsForCreatedStore({ api_base: `grpc://${address}` }, layout);
      const half = { vectorStoreId: `${store}_half`, options: halfOptions };
      const { transport } = provider.transportFor(halfOptions);
      const body = managedCreateBody(half.vectorStoreId, undefined, layout, true);
      delete body.indexParams;
      try {
        expect(await transport.call("collections/create", body)).toEqual({ code: 0, data: {} });
        await provider.writer.createStore(half, layout);
        const described = await transport.call("collections/describe", { collectionName: half.vectorStoreId });
        expect(
          (described.data as { indexes: Array<{ fieldName: string; metricType: string }> }).indexes.map((index) => [index.fieldName, index.metricType]).sort(),
        ).toEqual([
          ["sparse", "BM25"],
          ["vector", "COSINE"],
        ]);
        expect((described.data as { load: string }).load).toBe("LoadStateLoaded");
        await provider.writer.upsertChunks(half, [keywordChunk]);
        const found = await provider.search({
          ...half,
          queryVector: query,
          searchQuery: "xylophone",
          rankingOptions: { hybrid_search: { embedding_weight: 0, text_weight: 1 } },
        });
        expect(found.data.map((row) => row.file_id)).toEqual(["file-b"]);
      } finally {
        await provider.writer.dropStore(half);
      }
    });

    it("gRPC transport: refuses an unknown schema function type with code 1100 naming it", async () => {
      const { transport } = provider.transportFor(options);
      const body = managedCreateBody(`${store}_badfn`, undefined, layout, true);
      (body.schema as { functions: Array<Record<string, unknown>> }).functions[0]!.type = "NOPE";
      const answer = await transport.call("collections/create", body);
      expect(answer.code).toBe(1100);
      expect(answer.message).toContain("function type NOPE is invalid");
      expect(await transport.call("collections/has", { collectionName: `${store}_badfn` })).toMatchObject({ data: { has: false } });
    });

    it("drops idempotently; a search of the dropped store is a 404", async () => {
      await provider.writer.dropStore(target());
      await provider.writer.dropStore(target());
      await expect(search()).rejects.toMatchObject({ status: 404 });
    });
  });
}
