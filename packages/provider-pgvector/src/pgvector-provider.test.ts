import { AbortedError, VsError, type Filter, type VectorMetric } from "@vs/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgvectorProvider, type PgvectorProvider } from "./pgvector-provider.js";
import { pgvectorOptionsSchema, type PgvectorOptions, type PgvectorOptionsInput } from "./pgvector-options.js";
import { bruteForceSearch, generateCorpus, minimumGap, randomUnitVector, seededRandom, type CorpusRow } from "@vs/provider-conformance";
import { closedPort, startPgvectorTestServer, type PgvectorTestServer } from "./testing/pglite-server.js";

// Against real pgvector (PGlite's bundled extension) over the PostgreSQL wire protocol on loopback: every
// expectation is computed by brute force in JavaScript from the same seeded corpus.

const DIMENSIONS = 16;
const corpus: CorpusRow[] = generateCorpus({ size: 300, dimensions: DIMENSIONS, seed: 7 });
const random = seededRandom(99);
const queries = Array.from({ length: 5 }, () => randomUnitVector(random, DIMENSIONS));
const METRICS: VectorMetric[] = ["cosine", "l2", "ip"];
/** pgvector computes in float32: scores agree with the float64 reference to about 1e-6. */
const SCORE_TOLERANCE = 1e-5;

let server: PgvectorTestServer;
let provider: PgvectorProvider;

function options(input: PgvectorOptionsInput = {}): PgvectorOptions {
  return pgvectorOptionsSchema.parse({ api_base: server.url, id_column: "doc_id", ...input });
}

async function search(
  query: number[],
  input: PgvectorOptionsInput,
  extra: { filters?: Filter; maxNumResults?: number; scoreThreshold?: number; table?: string } = {},
) {
  return provider.search({
    vectorStoreId: extra.table ?? "docs",
    queryVector: query,
    searchQuery: "q",
    filters: extra.filters,
    maxNumResults: extra.maxNumResults,
    rankingOptions: extra.scoreThreshold === undefined ? undefined : { score_threshold: extra.scoreThreshold },
    options: options(input),
  });
}

/** Same ids in the same order (where the reference's neighbours are far enough apart to be told apart) and scores. */
function expectMatches(actual: Awaited<ReturnType<typeof search>>, expected: ReturnType<typeof bruteForceSearch>) {
  expect(actual.data.map((row) => row.attributes["doc_id"])).toEqual(expected.map((hit) => hit.id));
  actual.data.forEach((row, index) => {
    expect(Math.abs(row.score - expected[index]!.score)).toBeLessThan(SCORE_TOLERANCE);
  });
}

beforeAll(async () => {
  server = await startPgvectorTestServer();
  provider = createPgvectorProvider({ env: {} });
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  // No ANN index: an exact scan, so the reference order is the only right answer.
  await client.query(`CREATE TABLE docs (doc_id text PRIMARY KEY, content text NOT NULL, metadata jsonb NOT NULL, embedding vector(${DIMENSIONS}) NOT NULL)`);
  await client.query("INSERT INTO docs SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::vector[])", [
    corpus.map((row) => row.id),
    corpus.map((row) => row.text),
    corpus.map((row) => JSON.stringify(row.attributes)),
    corpus.map((row) => `[${row.vector.join(",")}]`),
  ]);
  // A table whose every read sleeps, for the timeout: PGlite does not enforce statement_timeout, so this proves the
  // gateway's own client-side timeout (a real server answers 57014 first, see pgvector-postgres.integration.test.ts).
  await client.query("CREATE VIEW slow_docs AS SELECT d.* FROM docs d, (SELECT pg_sleep(3)) s");
  await client.end();
}, 120_000);

afterAll(async () => {
  await provider?.close();
  await server?.close();
});

describe("search against brute force", () => {
  for (const metric of METRICS) {
    it(`${metric}: top 10 of 300, same order and the score (1 + cos) / 2`, async () => {
      for (const query of queries) {
        const expected = bruteForceSearch(corpus, { metric, vector: query });
        expect(minimumGap(expected)).toBeGreaterThan(SCORE_TOLERANCE);
        const actual = await search(query, { metric });
        expectMatches(actual, expected);
        const top = actual.data[0]!;
        const row = corpus.find((candidate) => candidate.id === top.attributes["doc_id"])!;
        expect(top.content).toEqual([{ type: "text", text: row.text }]);
        expect(top.attributes).toEqual({ ...row.attributes, doc_id: row.id });
        expect(top.file_id).toBeNull();
        expect(top.filename).toBeNull();
        expect(typeof top.distance).toBe("number");
      }
    });
  }

  it("keeps pgvector's raw distance: 1 − cos for <=>, √(2 − 2cos) for <->, −cos for <#>", async () => {
    const query = queries[0]!;
    const [cosine, l2, ip] = await Promise.all(METRICS.map((metric) => search(query, { metric }, { maxNumResults: 1 })));
    const similarity = 2 * cosine!.data[0]!.score - 1;
    expect(cosine!.data[0]!.distance).toBeCloseTo(1 - similarity, 5);
    expect(l2!.data[0]!.distance).toBeCloseTo(Math.sqrt(2 - 2 * similarity), 5);
    expect(ip!.data[0]!.distance).toBeCloseTo(-similarity, 5);
    // The same pair, the same score, whatever the metric.
    expect(l2!.data[0]!.score).toBeCloseTo(cosine!.data[0]!.score, 5);
    expect(ip!.data[0]!.score).toBeCloseTo(cosine!.data[0]!.score, 5);
  });

  it("max_num_results: 1, 37 and 50; the default is 10", async () => {
    for (const limit of [1, 37, 50]) {
      const actual = await search(queries[1]!, {}, { maxNumResults: limit });
      expect(actual.data).toHaveLength(limit);
      expectMatches(actual, bruteForceSearch(corpus, { metric: "cosine", vector: queries[1]!, limit }));
    }
    expect((await search(queries[1]!, {})).data).toHaveLength(10);
  });

  it("score_threshold drops rows under it, after the limit", async () => {
    const query = queries[2]!;
    const all = bruteForceSearch(corpus, { metric: "l2", vector: query, limit: 50 });
    const threshold = (all[4]!.score + all[5]!.score) / 2; // exactly five rows above it
    const actual = await search(query, { metric: "l2" }, { maxNumResults: 50, scoreThreshold: threshold });
    expect(actual.data).toHaveLength(5);
    expectMatches(actual, bruteForceSearch(corpus, { metric: "l2", vector: query, limit: 50, scoreThreshold: threshold }));
    expect((await search(query, {}, { scoreThreshold: 1 })).data).toEqual([]);
  });

  it("refuses hybrid_search with a 400 naming it, instead of answering the embedding half alone", async () => {
    const error = await provider
      .search({
        vectorStoreId: "docs",
        queryVector: queries[0]!,
        searchQuery: "q",
        rankingOptions: { hybrid_search: { embedding_weight: 1, text_weight: 1 } },
        options: options({}),
      })
      .catch((caught: unknown) => caught);
    expect(VsError.isInstance(error) && [error.status, error.param]).toEqual([400, "ranking_options.hybrid_search"]);
  });

  it("skips rows whose distance is not a number (a zero vector has no cosine)", async () => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(`CREATE TABLE with_zero (doc_id text, content text, metadata jsonb, embedding vector(2))`);
    await client.query(`INSERT INTO with_zero VALUES ('a', 'a', '{}', '[1,0]'), ('zero', 'z', '{}', '[0,0]')`);
    await client.end();
    const actual = await search([1, 0], {}, { table: "with_zero" });
    expect(actual.data.map((row) => row.attributes["doc_id"])).toEqual(["a"]);
  });
});

describe("filters against brute force", () => {
  /** The third element marks the cases whose right answer is no row at all. */
  // The common cases (every comparison, typed equality, missing keys, and/or nesting) run for every provider in
  // conformance.test.ts; these are what SQL makes worth checking here.
  const cases: Array<[string, Filter, "none"?]> = [
    ["gt string (code point order)", { key: "color", type: "gt", value: "green" }],
    ["lt string across types matches nothing numeric", { key: "rank", type: "lt", value: "5" }, "none"],
    ["a key that looks like SQL is just a key", { key: "x') OR 1=1 --", type: "eq", value: "y' OR '1'='1" }, "none"],
  ];
  for (const [name, filters] of cases) {
    it(name, async () => {
      const query = queries[3]!;
      const expected = bruteForceSearch(corpus, { metric: "cosine", vector: query, filters, limit: 50 });
      const actual = await search(query, {}, { filters, maxNumResults: 50 });
      expectMatches(actual, expected);
    });
  }

  it("the cases are not vacuous: each matches some rows but not all, except those meant to match none", () => {
    for (const [name, filters, none] of cases) {
      const count = bruteForceSearch(corpus, { metric: "cosine", vector: queries[3]!, filters, limit: 1000 }).length;
      if (none) expect(count, name).toBe(0);
      else expect(count > 0 && count < corpus.length, `${name}: ${count} rows`).toBe(true);
    }
  });

  it("the admin's filters are ANDed with the caller's, which cannot lift them", async () => {
    const admin: Filter = { key: "category", type: "eq", value: "animals" };
    const caller: Filter = {
      type: "or",
      filters: [
        { key: "category", type: "eq", value: "finance" },
        { key: "rank", type: "lt", value: 50 },
      ],
    };
    const query = queries[4]!;
    const actual = await search(query, { filters: admin }, { filters: caller, maxNumResults: 50 });
    expect(actual.data.length).toBeGreaterThan(0);
    expectMatches(actual, bruteForceSearch(corpus, { metric: "cosine", vector: query, filters: { type: "and", filters: [admin, caller] }, limit: 50 }));
    const pinnedOnly = await search(query, { filters: admin }, { maxNumResults: 50 });
    expect(pinnedOnly.data.every((row) => row.attributes["category"] === "animals")).toBe(true);
  });

  it("bad filters are 400s naming the field", async () => {
    await expect(search(queries[0]!, {}, { filters: { key: "rank", type: "in", value: [] } })).rejects.toMatchObject({ status: 400, param: "filters.value" });
    await expect(search(queries[0]!, {}, { filters: { type: "and", filters: [{ key: "rank", type: "gt", value: true }] } })).rejects.toMatchObject({
      status: 400,
      param: "filters.filters[0].value",
    });
  });
});

describe("errors", () => {
  it("a missing table is a 404 with PostgreSQL's code", async () => {
    const error = await search(queries[0]!, {}, { table: "no_such_table" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VsError);
    expect(error).toMatchObject({ status: 404, type: "not_found_error", code: "vector_store_error:42P01", param: "vector_store_id" });
    expect((error as Error).message).toContain("no_such_table");
  });

  it("a misnamed column is a 400 with PostgreSQL's code", async () => {
    await expect(search(queries[0]!, { text_column: "body" })).rejects.toMatchObject({ status: 400, code: "vector_store_error:42703" });
  });

  it("a query vector of the wrong dimension is a 400, not an empty page", async () => {
    await expect(search([1, 0, 0], {})).rejects.toMatchObject({ status: 400, code: expect.stringMatching(/^vector_store_error:22/) });
  });

  it("a closed port is a 502 naming the address, never the password", async () => {
    const port = await closedPort();
    const error = await search(queries[0]!, { api_base: `postgresql://app:s3cret-pw@127.0.0.1:${port}/db` }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 502, code: "vector_store_error:ECONNREFUSED", type: "upstream_error" });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain("s3cret-pw");
    expect(JSON.stringify((error as VsError).toBody())).not.toContain("s3cret-pw");
  });

  it("a search slower than timeout_ms is a 504, and the pool still serves the next search", async () => {
    const started = performance.now();
    const error = await search(queries[0]!, { timeout_ms: 300 }, { table: "slow_docs" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 504, code: "vector_store_timeout" });
    expect(performance.now() - started).toBeLessThan(2_500);
    // PGlite finishes the abandoned sleep first (one backend), then answers.
    expect((await search(queries[0]!, {})).data).toHaveLength(10);
  }, 20_000);

  it("a caller's abort is a 499", async () => {
    const controller = new AbortController();
    const pending = provider.search(
      { vectorStoreId: "slow_docs", queryVector: queries[0]!, searchQuery: "q", options: options() },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect((await search(queries[0]!, {})).data).toHaveLength(10);
  }, 20_000);

  it("an invalid table name is a 400 before any SQL", async () => {
    await expect(search(queries[0]!, {}, { table: 'docs"; DROP TABLE docs; --' })).rejects.toMatchObject({ status: 400, param: "vector_store_id" });
    await expect(search(queries[0]!, {}, { table: "a.b.c" })).rejects.toMatchObject({ status: 400, param: "vector_store_id" });
  });
});

describe("checkHealth", () => {
  it("resolves for a table that exists and rejects with 404 for one that does not", async () => {
    await expect(provider.checkHealth!({ vectorStoreId: "docs", options: options() })).resolves.toBeUndefined();
    await expect(provider.checkHealth!({ vectorStoreId: "public.docs", options: options() })).resolves.toBeUndefined();
    await expect(provider.checkHealth!({ vectorStoreId: "gone", options: options() })).rejects.toMatchObject({ status: 404 });
  });
});

describe("caller options", () => {
  it("ef_search and probes are the only ones, and they reach the search", async () => {
    expect(Object.keys(provider.callerOptionsSchema.shape).sort()).toEqual(["ef_search", "probes"]);
    expect(provider.callerOptionsSchema.safeParse({ table: "x" }).success).toBe(false);
    const merged = provider.mergeOptions(options({ ef_search: 40 }), { ef_search: 200, probes: 3 });
    expect(merged).toMatchObject({ ef_search: 200, probes: 3, api_base: server.url });
    expectMatches(
      await provider.search({ vectorStoreId: "docs", queryVector: queries[0]!, searchQuery: "q", options: merged }),
      bruteForceSearch(corpus, { metric: "cosine", vector: queries[0]! }),
    );
  });
});

describe("write side", () => {
  const STORE = "vs_created_store";
  const dims = 8;
  const vectorRandom = seededRandom(5);
  const fileA = Array.from({ length: 3 }, (_, index) => ({
    id: `file-a:${index}`,
    fileId: "file-a",
    filename: "a.txt",
    chunkIndex: index,
    text: `a chunk ${index}`,
    vector: randomUnitVector(vectorRandom, dims),
    attributes: { lang: "en", year: 2024 },
  }));
  const fileB = Array.from({ length: 2 }, (_, index) => ({
    id: `file-b:${index}`,
    fileId: "file-b",
    filename: "b.md",
    chunkIndex: index,
    text: `b chunk ${index}`,
    vector: randomUnitVector(vectorRandom, dims),
    attributes: { lang: "fr", year: 2020 },
  }));

  for (const metric of METRICS) {
    it(`${metric}: create (idempotent), upsert, search finds file_id, update attributes, delete, drop`, async () => {
      const writer = provider.writer;
      const created = {
        vectorStoreId: `${STORE}_${metric}`,
        options: writer.optionsForCreatedStore(options({ id_column: undefined }), { dimensions: dims, metric }),
      };
      await writer.createStore(created, { dimensions: dims, metric });
      await writer.createStore(created, { dimensions: dims, metric });
      await writer.upsertChunks(created, [...fileA, ...fileB]);
      // Re-writing a chunk replaces it.
      await writer.upsertChunks(created, [{ ...fileA[0]!, text: "a chunk 0, edited" }]);

      const hit = await provider.search({ vectorStoreId: created.vectorStoreId, queryVector: fileA[0]!.vector, searchQuery: "q", options: created.options });
      expect(hit.data).toHaveLength(5);
      expect(hit.data[0]).toMatchObject({
        file_id: "file-a",
        filename: "a.txt",
        content: [{ type: "text", text: "a chunk 0, edited" }],
        attributes: { lang: "en", year: 2024 },
      });
      expect(hit.data[0]!.score).toBeCloseTo(1, 5);

      const french = await provider.search({
        vectorStoreId: created.vectorStoreId,
        queryVector: fileA[0]!.vector,
        searchQuery: "q",
        filters: { key: "lang", type: "eq", value: "fr" },
        options: created.options,
      });
      expect(french.data.map((row) => row.file_id)).toEqual(["file-b", "file-b"]);

      await writer.updateFileAttributes!(created, "file-b", { lang: "de", year: 2021 });
      const german = await provider.search({
        vectorStoreId: created.vectorStoreId,
        queryVector: fileA[0]!.vector,
        searchQuery: "q",
        filters: { key: "lang", type: "eq", value: "de" },
        options: created.options,
      });
      expect(german.data.map((row) => [row.file_id, row.attributes["year"]])).toEqual([
        ["file-b", 2021],
        ["file-b", 2021],
      ]);

      await writer.deleteFileChunks(created, "file-a");
      const afterDelete = await provider.search({
        vectorStoreId: created.vectorStoreId,
        queryVector: fileA[0]!.vector,
        searchQuery: "q",
        options: created.options,
      });
      expect(afterDelete.data.map((row) => row.file_id)).toEqual(["file-b", "file-b"]);

      await writer.dropStore(created);
      await writer.dropStore(created);
      await expect(
        provider.search({ vectorStoreId: created.vectorStoreId, queryVector: fileA[0]!.vector, searchQuery: "q", options: created.options }),
      ).rejects.toMatchObject({ status: 404 });
    });
  }

  it("creates an HNSW index with the metric's operator class, and refuses another layout at the same name", async () => {
    const writer = provider.writer;
    const target = { vectorStoreId: "public.vs_layout", options: writer.optionsForCreatedStore(options(), { dimensions: dims, metric: "ip" }) };
    await writer.createStore(target, { dimensions: dims, metric: "ip" });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'vs_layout' ORDER BY indexname");
    await client.end();
    expect(rows.map((row: { indexdef: string }) => row.indexdef).join("\n")).toMatch(/USING hnsw \(embedding vector_ip_ops\)/);
    await expect(writer.createStore(target, { dimensions: dims + 1, metric: "ip" })).rejects.toMatchObject({
      status: 409,
      code: "vector_store_layout_conflict",
    });
    await expect(writer.createStore(target, { dimensions: dims, metric: "l2" })).rejects.toMatchObject({ status: 409 });
    await writer.dropStore(target);
  });

  it("a chunk of the wrong dimension is a 400 and nothing of its batch is written", async () => {
    const writer = provider.writer;
    const target = { vectorStoreId: "vs_bad_chunk", options: writer.optionsForCreatedStore(options(), { dimensions: dims, metric: "cosine" }) };
    await writer.createStore(target, { dimensions: dims, metric: "cosine" });
    await expect(writer.upsertChunks(target, [fileA[0]!, { ...fileA[1]!, vector: [1, 0] }])).rejects.toMatchObject({ status: 400 });
    const result = await provider.search({ vectorStoreId: target.vectorStoreId, queryVector: fileA[0]!.vector, searchQuery: "q", options: target.options });
    expect(result.data).toEqual([]);
    await writer.dropStore(target);
  });
});
