import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  VsError,
  type AnyVectorStoreProvider,
  type Filter,
  type ProviderSearchResult,
  type StoredChunk,
  type VectorMetric,
  type VectorStoreWriter,
} from "@vs/core";
import { bruteForceSearch, matchesFilter, minimumGap, type ExpectedHit } from "./brute-force.js";
import { generateCorpus, randomUnitVector, seededRandom, type CorpusRow } from "./corpus.js";

/** What a provider's test hands the suite: a provider, and where it may create (and drop) its stores. */
export interface ProviderUnderTest {
  provider: AnyVectorStoreProvider;
  /** The admin's options of the template store: a connection to create stores on (parsed by `storeOptionsSchema`). */
  templateOptions: Record<string, unknown>;
  /** A backend name (collection, table) unique to this run for a store labelled `label` (letters, digits, `_`). */
  storeName(label: string): string;
  /** Called after the suite; the suite drops every store it created itself. */
  close?(): Promise<void>;
}

export interface ConformanceOptions {
  /** Metrics to check; default all three. */
  metrics?: VectorMetric[];
  corpusSize?: number;
  dimensions?: number;
  /** Largest |score − expected| accepted; engines store float32. Default 1e-4. */
  scoreTolerance?: number;
}

/**
 * The provider conformance suite: every provider of the gateway, and any a contributor writes, runs it as is. It
 * creates stores through the provider's write side, loads the same seeded corpus into each, and checks searches
 * against brute force computed here: ranking and scores for every metric ("higher is better", the same number for
 * every metric on unit vectors), OpenAI `filters` on file attributes, limits, score thresholds, `file_id`/`filename`,
 * deleting a file's chunks, attribute updates, errors (a missing store is a 404) and idempotent drops.
 */
export function describeProviderConformance(name: string, setup: () => Promise<ProviderUnderTest>, options: ConformanceOptions = {}): void {
  const metrics = options.metrics ?? ["cosine", "l2", "ip"];
  const dimensions = options.dimensions ?? 16;
  const tolerance = options.scoreTolerance ?? 1e-4;
  const corpus = generateCorpus({ size: options.corpusSize ?? 240, dimensions, seed: 20261130 });
  const idByText = new Map(corpus.map((row) => [row.text, row.id]));
  const queries = pickQueries(corpus, dimensions, tolerance);

  describe(`provider conformance: ${name}`, () => {
    let subject: ProviderUnderTest;
    let writer: VectorStoreWriter<unknown>;
    const stores = new Map<VectorMetric, { vectorStoreId: string; options: unknown }>();

    beforeAll(async () => {
      subject = await setup();
      if (!subject.provider.writer) throw new Error(`${subject.provider.id} has no write side: the conformance suite loads its corpus through it`);
      writer = subject.provider.writer;
      const template = subject.provider.storeOptionsSchema.parse(subject.templateOptions);
      for (const metric of metrics) {
        const layout = { dimensions, metric };
        const target = { vectorStoreId: subject.storeName(`conf_${metric}`), options: writer.optionsForCreatedStore(template, layout) };
        await writer.dropStore(target);
        await writer.createStore(target, layout);
        for (let start = 0; start < corpus.length; start += 100) await writer.upsertChunks(target, corpus.slice(start, start + 100).map(toChunk));
        stores.set(metric, target);
      }
    }, 300_000);

    afterAll(async () => {
      for (const target of stores.values()) await writer?.dropStore(target).catch(() => undefined);
      await subject?.close?.();
      await subject?.provider.close();
    }, 120_000);

    function search(
      metric: VectorMetric,
      vector: number[],
      extra: { filters?: Filter; maxNumResults?: number; scoreThreshold?: number } = {},
    ): Promise<ProviderSearchResult> {
      const target = stores.get(metric)!;
      return subject.provider.search({
        ...target,
        queryVector: vector,
        searchQuery: "conformance query",
        filters: extra.filters,
        maxNumResults: extra.maxNumResults,
        rankingOptions: extra.scoreThreshold === undefined ? undefined : { score_threshold: extra.scoreThreshold },
      });
    }

    function expectMatches(actual: ProviderSearchResult, expected: ExpectedHit[]): void {
      expect(actual.data.map((row) => idByText.get(row.content[0]?.text ?? ""))).toEqual(expected.map((hit) => hit.id));
      actual.data.forEach((row, index) => {
        expect(Math.abs(row.score - expected[index]!.score), `score of ${expected[index]!.id}`).toBeLessThan(tolerance);
      });
    }

    for (const metric of metrics) {
      it(`ranks and scores like brute force (${metric})`, async () => {
        for (const query of queries) expectMatches(await search(metric, query), bruteForceSearch(corpus, { metric, vector: query }));
      });
    }

    it("scores are higher-is-better in [0, 1] and the same number for every metric on unit vectors", async () => {
      const byMetric = await Promise.all(metrics.map(async (metric) => (await search(metric, queries[0]!, { maxNumResults: 5 })).data.map((row) => row.score)));
      for (const scores of byMetric) {
        for (const score of scores) expect(score >= 0 && score <= 1, `score ${score}`).toBe(true);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
        for (let index = 0; index < scores.length; index++) expect(Math.abs(scores[index]! - byMetric[0]![index]!)).toBeLessThan(tolerance * 2);
      }
    });

    it("rows carry the chunk text, file_id, filename and the file's attributes", async () => {
      const top = (await search(metrics[0]!, queries[1]!, { maxNumResults: 1 })).data[0]!;
      const row = corpus.find((candidate) => candidate.text === top.content[0]?.text)!;
      expect(row, "the top row's text is a corpus text").toBeDefined();
      expect(top.content).toEqual([{ type: "text", text: row.text }]);
      expect(top.file_id).toBe(fileIdOf(row));
      expect(top.filename).toBe(`${fileIdOf(row)}.txt`);
      expect(top.attributes).toEqual(row.attributes);
    });

    it("max_num_results limits the page (default 10)", async () => {
      const metric = metrics[0]!;
      for (const limit of [1, 7, 50])
        expectMatches(await search(metric, queries[2]!, { maxNumResults: limit }), bruteForceSearch(corpus, { metric, vector: queries[2]!, limit }));
      expect((await search(metric, queries[2]!)).data).toHaveLength(10);
    });

    it("score_threshold drops the rows under it", async () => {
      const metric = metrics[metrics.length - 1]!;
      const all = bruteForceSearch(corpus, { metric, vector: queries[0]!, limit: 50 });
      const threshold = (all[4]!.score + all[5]!.score) / 2;
      expectMatches(await search(metric, queries[0]!, { maxNumResults: 50, scoreThreshold: threshold }), all.slice(0, 5));
      expect((await search(metric, queries[0]!, { scoreThreshold: 1 })).data).toEqual([]);
    });

    describe("OpenAI filters on attributes, against brute force", () => {
      for (const [label, filters, none] of FILTER_CASES) {
        it(label, async () => {
          const metric = metrics[0]!;
          const expected = bruteForceSearch(corpus, { metric, vector: queries[3]!, filters, limit: 50 });
          const matching = corpus.filter((row) => matchesFilter(row.attributes, filters)).length;
          if (none === "none") expect(matching).toBe(0);
          else expect(matching > 0 && matching < corpus.length, `${label} is not vacuous: ${matching} rows`).toBe(true);
          expectMatches(await search(metric, queries[3]!, { filters, maxNumResults: 50 }), expected);
        });
      }
    });

    it("a store that does not exist is a 404, not an empty page", async () => {
      const target = stores.get(metrics[0]!)!;
      const error = await subject.provider
        .search({ ...target, vectorStoreId: subject.storeName("conf_missing"), queryVector: queries[0]!, searchQuery: "q" })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(VsError.isInstance(error) && error.status, `expected a 404, got ${String(error)}`).toBe(404);
    });

    it("updating a file's attributes is seen by filters; deleting its chunks removes exactly them", async () => {
      const metric = metrics[0]!;
      const target = stores.get(metric)!;
      const fileId = "file-1";
      const ofFile = corpus.filter((row) => fileIdOf(row) === fileId);
      if (writer.updateFileAttributes) {
        await writer.updateFileAttributes(target, fileId, { category: "updated", rank: 1000 });
        const found = await search(metric, queries[0]!, { filters: { key: "category", type: "eq", value: "updated" }, maxNumResults: 50 });
        expect(new Set(found.data.map((row) => row.file_id))).toEqual(new Set([fileId]));
        expect(found.data).toHaveLength(Math.min(50, ofFile.length));
      }
      await writer.deleteFileChunks(target, fileId);
      const rest = corpus.filter((row) => fileIdOf(row) !== fileId);
      expectMatches(await search(metric, queries[1]!, { maxNumResults: 50 }), bruteForceSearch(rest, { metric, vector: queries[1]!, limit: 50 }));
      await writer.deleteFileChunks(target, fileId); // idempotent
    });

    it("creating an existing store with the same layout is fine; dropping is idempotent; a dropped store is a 404", async () => {
      const layout = { dimensions, metric: "cosine" as const };
      const template = subject.provider.storeOptionsSchema.parse(subject.templateOptions);
      const target = { vectorStoreId: subject.storeName("conf_drop"), options: writer.optionsForCreatedStore(template, layout) };
      await writer.createStore(target, layout);
      await writer.createStore(target, layout);
      await writer.upsertChunks(target, corpus.slice(0, 3).map(toChunk));
      expect((await subject.provider.search({ ...target, queryVector: corpus[0]!.vector, searchQuery: "q", maxNumResults: 1 })).data[0]?.content[0]?.text).toBe(
        corpus[0]!.text,
      );
      await writer.dropStore(target);
      await writer.dropStore(target);
      const error = await subject.provider.search({ ...target, queryVector: corpus[0]!.vector, searchQuery: "q" }).catch((caught: unknown) => caught);
      expect(VsError.isInstance(error) && error.status).toBe(404);
    });
  });
}

function fileIdOf(row: CorpusRow): string {
  return `file-${Number(row.id.slice("doc-".length)) % 6}`;
}

function toChunk(row: CorpusRow): StoredChunk {
  const fileId = fileIdOf(row);
  const index = Number(row.id.slice("doc-".length));
  return { id: `${fileId}:${index}`, fileId, filename: `${fileId}.txt`, chunkIndex: index, text: row.text, vector: row.vector, attributes: row.attributes };
}

/** Queries whose expected top 50 are far enough apart to be ordered exactly despite float32 storage. */
function pickQueries(corpus: CorpusRow[], dimensions: number, tolerance: number): number[][] {
  const random = seededRandom(7);
  const picked: number[][] = [];
  for (let attempt = 0; picked.length < 4 && attempt < 10_000; attempt++) {
    const vector = randomUnitVector(random, dimensions);
    const gaps = (["cosine", "l2", "ip"] as const).map((metric) => minimumGap(bruteForceSearch(corpus, { metric, vector, limit: 50 })));
    if (Math.min(...gaps) > tolerance * 4) picked.push(vector);
  }
  if (picked.length < 4) throw new Error("the conformance corpus has no well-separated queries; use a smaller corpus or a larger tolerance");
  return picked;
}

/** The third element marks the cases whose right answer is no row at all. */
export const FILTER_CASES: ReadonlyArray<readonly [string, Filter, "none"?]> = [
  ["eq string", { key: "category", type: "eq", value: "travel" }],
  ["eq number", { key: "rank", type: "eq", value: 42 }],
  ["eq boolean", { key: "in_stock", type: "eq", value: true }],
  ["eq is typed: the string '42' is not the number 42", { key: "code", type: "eq", value: 42 }, "none"],
  ["ne (rows without the key never match)", { key: "color", type: "ne", value: "red" }],
  ["gt number", { key: "rank", type: "gt", value: 80 }],
  ["gte number with decimals", { key: "price", type: "gte", value: 512.5 }],
  ["lt number", { key: "price", type: "lt", value: 100 }],
  ["lte number", { key: "rank", type: "lte", value: 10 }],
  ["in strings", { key: "color", type: "in", value: ["red", "blue"] }],
  ["in numbers", { key: "rank", type: "in", value: [1, 2, 3, 50, 99] }],
  ["nin (rows without the key never match)", { key: "color", type: "nin", value: ["red", "blue", "green"] }],
  ["a missing key matches nothing", { key: "nope", type: "eq", value: 1 }, "none"],
  [
    "and",
    {
      type: "and",
      filters: [
        { key: "category", type: "eq", value: "tech" },
        { key: "in_stock", type: "eq", value: false },
      ],
    },
  ],
  [
    "or",
    {
      type: "or",
      filters: [
        { key: "category", type: "eq", value: "finance" },
        { key: "rank", type: "gte", value: 95 },
      ],
    },
  ],
  [
    "nested three deep",
    {
      type: "or",
      filters: [
        {
          type: "and",
          filters: [
            { key: "category", type: "in", value: ["animals", "cooking"] },
            {
              type: "or",
              filters: [
                { key: "price", type: "lt", value: 200 },
                { key: "color", type: "eq", value: "cyan" },
              ],
            },
          ],
        },
        {
          type: "and",
          filters: [
            { key: "rank", type: "gt", value: 90 },
            { key: "in_stock", type: "ne", value: true },
          ],
        },
      ],
    },
  ],
  ["a value that looks like an injection is just a value", { key: "category", type: "eq", value: "x' OR '1'='1" }, "none"],
];
