import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMilvusRestServer, type MilvusRestServer } from "./milvus-rest-server.js";

let server: MilvusRestServer;

async function call(
  endpoint: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; answer: { code: number; message?: string; data?: unknown; topks?: number[] } }> {
  const response = await fetch(`${server.url}/v2/vectordb/${endpoint}`, {
    method: "POST",
    headers: { "content-type": "application/json", "accept-type-allow-int64": "true", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as { code: number; message?: string; data?: unknown } };
}

async function data(endpoint: string, body: unknown): Promise<unknown> {
  const { answer } = await call(endpoint, body);
  expect(answer, JSON.stringify(answer)).toMatchObject({ code: 0 });
  return answer.data;
}

const rows = [
  { id: 1, vector: [1, 0], title: "north", year: 1990, meta: { lang: "en", tags: ["a", "b"] } },
  { id: 2, vector: [0, 1], title: "east", year: 2005, meta: { lang: "fr", tags: ["b"] } },
  { id: 3, vector: [-1, 0], title: "south", year: 2010, meta: { lang: "en", tags: [] } },
  { id: 4, vector: [0.7, 0.7], title: "north-east", year: 2020, meta: { lang: "de", tags: ["c"] } },
];

beforeAll(async () => {
  server = await startMilvusRestServer();
  await data("collections/create", { collectionName: "points", dimension: 2, metricType: "IP" });
  await data("entities/insert", { collectionName: "points", data: rows });
});

afterAll(async () => {
  await server.close();
});

describe("collections", () => {
  it("creates, describes, lists, loads and drops", async () => {
    await data("collections/create", {
      collectionName: "full",
      schema: {
        fields: [
          { fieldName: "pk", dataType: "VarChar", isPrimary: true, elementTypeParams: { max_length: 10 } },
          { fieldName: "v", dataType: "FloatVector", elementTypeParams: { dim: 3 } },
        ],
      },
    });
    expect(await data("collections/has", { collectionName: "full" })).toEqual({ has: true });
    expect(await data("collections/get_load_state", { collectionName: "full" })).toEqual({ loadState: "LoadStateNotLoad" });
    expect((await call("collections/load", { collectionName: "full" })).answer.code).toBe(700);
    expect(await data("collections/describe", { collectionName: "full" })).toMatchObject({
      collectionName: "full",
      fields: [
        { name: "pk", type: "VarChar", primaryKey: true, params: [{ key: "max_length", value: "10" }] },
        { name: "v", type: "FloatVector", primaryKey: false, params: [{ key: "dim", value: "3" }] },
      ],
      indexes: [],
    });
    expect(await data("collections/describe", { collectionName: "points" })).toMatchObject({
      indexes: [{ fieldName: "vector", metricType: "IP" }],
      load: "LoadStateLoaded",
    });
    expect(await data("collections/list", {})).toEqual(["points", "full"]);
    await data("collections/drop", { collectionName: "full" });
    expect(await data("collections/has", { collectionName: "full" })).toEqual({ has: false });
  });

  it("answers Milvus's error codes", async () => {
    expect((await call("collections/describe", { collectionName: "nope" })).answer.code).toBe(100);
    expect((await call("collections/describe", {})).answer.code).toBe(1802);
    expect((await call("collections/describe", "{not json")).answer.code).toBe(1801);
    expect((await call("entities/insert", { collectionName: "points", data: [{ id: 9, vector: [1, 2, 3] }] })).answer.code).toBe(1804);
    expect((await call("entities/search", { collectionName: "points" })).answer.code).toBe(1802);
    const response = await fetch(`${server.url}/v2/vectordb/users/list`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("404 page not found");
  });
});

describe("entities", () => {
  it("searches best first with the index's metric, and refuses another metric", async () => {
    const { answer } = await call("entities/search", { collectionName: "points", data: [[1, 0]], limit: 2, outputFields: ["title"] });
    expect(answer).toEqual({
      code: 0,
      cost: 0,
      topks: [2],
      data: [
        { id: 1, title: "north", distance: 1 },
        { id: 4, title: "north-east", distance: 0.7 },
      ],
    });
    expect((await call("entities/search", { collectionName: "points", data: [[1, 0]], searchParams: { metricType: "L2" } })).answer.code).toBe(1100);
  });

  it("answers several query vectors in one flat list with topks", async () => {
    const { answer } = await call("entities/search", {
      collectionName: "points",
      data: [
        [1, 0],
        [0, 1],
      ],
      limit: 1,
    });
    expect(answer.topks).toEqual([1, 1]);
    expect(answer.data).toEqual([
      { id: 1, distance: 1 },
      { id: 2, distance: 1 },
    ]);
  });

  it("evaluates filters with exprParams, and/or/not, in, like and JSON paths", async () => {
    const ids = async (filter: string, exprParams?: Record<string, unknown>) =>
      ((await data("entities/query", { collectionName: "points", filter, exprParams, outputFields: ["id"] })) as Array<{ id: number }>).map((row) => row.id);
    expect(await ids("year > {min} and year < {max}", { min: 2000, max: 2015 })).toEqual([2, 3]);
    expect(await ids("year >= 2010 or title == 'north'")).toEqual([1, 3, 4]);
    expect(await ids("not (year > 2000)")).toEqual([1]);
    expect(await ids("title in {names}", { names: ["east", "south"] })).toEqual([2, 3]);
    expect(await ids('title not in ["east", "south"]')).toEqual([1, 4]);
    expect(await ids('title like "north%"')).toEqual([1, 4]);
    expect(await ids('meta["lang"] == {lang} && meta["tags"][0] == "a"', { lang: "en" })).toEqual([1]);
    for (const filter of ["year >", "year > {missing}", "year ===", "unknown_field == 1 and"]) {
      expect((await call("entities/query", { collectionName: "points", filter })).answer.code).toBe(1100);
    }
  });

  it("gets, upserts, deletes, and sends int64 as strings unless the client allows int64", async () => {
    expect(await data("entities/get", { collectionName: "points", id: [2, 3], outputFields: ["title"] })).toEqual([
      { id: 2, title: "east" },
      { id: 3, title: "south" },
    ]);
    await data("entities/upsert", { collectionName: "points", data: [{ id: 5, vector: [0.1, 0.1], title: "center", year: 2000, meta: {} }] });
    const asStrings = await call("entities/get", { collectionName: "points", id: 5, outputFields: ["title"] }, { "accept-type-allow-int64": "false" });
    expect(asStrings.answer.data).toEqual([{ id: "5", title: "center" }]);
    await data("entities/delete", { collectionName: "points", filter: "id == {id}", exprParams: { id: 5 } });
    expect(await data("entities/get", { collectionName: "points", id: 5 })).toEqual([]);
  });

  it("groups search results by a field", async () => {
    const { answer } = await call("entities/search", {
      collectionName: "points",
      data: [[1, 0]],
      limit: 2,
      groupingField: "year",
      groupSize: 1,
      outputFields: ["year"],
    });
    expect((answer.data as Array<{ id: number }>).map((row) => row.id)).toEqual([1, 4]);
  });
});

describe("databases, partitions and hybrid search", () => {
  it("refuses an uncreated database with 800, and drops only empty, non-default ones", async () => {
    expect((await call("collections/list", { dbName: "nowhere" })).answer.code).toBe(800);
    await data("databases/create", { dbName: "shelf" });
    expect((await call("databases/create", { dbName: "shelf" })).answer.code).toBe(65535);
    expect(await data("databases/list", {})).toEqual(["default", "shelf"]);
    await data("collections/create", { dbName: "shelf", collectionName: "points", dimension: 2 });
    expect((await call("databases/drop", { dbName: "shelf" })).answer.code).toBe(65535);
    expect((await call("databases/drop", { dbName: "default" })).answer.code).toBe(65535);
    await data("collections/drop", { dbName: "shelf", collectionName: "points" });
    await data("databases/drop", { dbName: "shelf" });
    expect((await call("collections/has", { dbName: "shelf", collectionName: "points" })).answer.code).toBe(800);
    expect((await call("databases/create", {})).answer.code).toBe(1802);
  });

  it("keeps rows per partition, and answers 200 for an unknown one", async () => {
    await data("collections/create", { collectionName: "parted", dimension: 2, metricType: "IP", primaryFieldName: "pk" });
    await data("partitions/create", { collectionName: "parted", partitionName: "recent" });
    await data("entities/insert", { collectionName: "parted", data: [{ pk: 1, vector: [1, 0] }] });
    await data("entities/insert", { collectionName: "parted", partitionName: "recent", data: [{ pk: 2, vector: [0.9, 0.1] }] });
    expect(await data("partitions/list", { collectionName: "parted" })).toEqual(["_default", "recent"]);
    expect(await data("partitions/has", { collectionName: "parted", partitionName: "old" })).toEqual({ has: false });
    expect(await data("partitions/get_stats", { collectionName: "parted", partitionName: "recent" })).toEqual({ rowCount: 1 });
    const { answer } = await call("entities/search", { collectionName: "parted", data: [[1, 0]], partitionNames: ["recent"], outputFields: ["pk"] });
    // The primary key is under `id` whatever its name, and under its name as an output field.
    expect(answer.data).toEqual([{ id: 2, pk: 2, distance: 0.9 }]);
    expect((await call("entities/search", { collectionName: "parted", data: [[1, 0]], partitionNames: ["old"] })).answer.code).toBe(200);
    expect((await call("entities/insert", { collectionName: "parted", partitionName: "old", data: [{ pk: 3, vector: [1, 1] }] })).answer.code).toBe(200);
    expect(await data("entities/delete", { collectionName: "parted", partitionName: "_default", filter: "pk > 0" })).toEqual({ deleteCount: 1 });
    expect((await call("partitions/drop", { collectionName: "parted", partitionName: "_default" })).answer.code).toBe(1100);
    await data("partitions/drop", { collectionName: "parted", partitionName: "recent" });
    expect(await data("entities/query", { collectionName: "parted", filter: "", outputFields: ["count(*)"] })).toEqual([{ "count(*)": 0 }]);
  });

  it("fuses sub-searches with rrf and with weighted scores", async () => {
    const hybrid = (rerank: unknown) =>
      call("entities/hybrid_search", {
        collectionName: "points",
        search: [
          { data: [[1, 0]], limit: 2 },
          { data: [[0, 1]], limit: 2 },
        ],
        rerank,
        limit: 3,
        outputFields: ["title"],
      });
    // Lists: [1 (1), 4 (0.7)] and [2 (1), 4 (0.7)].
    const rrf = (await hybrid({ strategy: "rrf", params: { k: 10 } })).answer;
    expect(rrf.topks).toEqual([3]);
    expect(rrf.data).toEqual([
      { id: 4, title: "north-east", distance: expect.closeTo(2 / 12, 9) },
      { id: 1, title: "north", distance: expect.closeTo(1 / 11, 9) },
      { id: 2, title: "east", distance: expect.closeTo(1 / 11, 9) },
    ]);
    const weighted = (await hybrid({ strategy: "weighted", params: { weights: [0.8, 0.2], norm_score: true } })).answer;
    const ip = (value: number) => 0.5 + Math.atan(value) / Math.PI;
    expect((weighted.data as Array<{ id: number }>).map((row) => row.id)).toEqual([4, 1, 2]);
    expect((weighted.data as Array<{ distance: number }>)[1]?.distance).toBeCloseTo(0.8 * ip(1), 6);
    expect((weighted.data as Array<{ distance: number }>)[0]?.distance).toBeCloseTo(ip(0.7), 6);
    expect((await hybrid({ strategy: "weighted", params: { weights: [1] } })).answer.code).toBe(1100);
    expect((await hybrid({ strategy: "best" })).answer.code).toBe(1100);
  });

  it("answers binding errors with 1801 and engine refusals with 1100, as Milvus does", async () => {
    const search = (extra: Record<string, unknown>) => call("entities/search", { collectionName: "points", data: [[1, 0]], ...extra });
    expect((await search({ limit: "ten" })).answer.code).toBe(1801);
    expect((await search({ outputFields: "title" })).answer.code).toBe(1801);
    expect((await search({ data: [[1, 0, 0]] })).answer.code).toBe(1801);
    expect((await search({ consistencyLevel: "Sometimes" })).answer.code).toBe(1100);
    expect((await search({ limit: 0 })).answer.code).toBe(1100);
    expect((await call("entities/search", { collectionName: 7, data: [[1, 0]] })).answer.code).toBe(1801);
  });
});

describe("test controls", () => {
  it("checks the token when one is configured", async () => {
    const guarded = await startMilvusRestServer({ token: "root:Milvus" });
    try {
      const denied = await fetch(`${guarded.url}/v2/vectordb/collections/list`, { method: "POST", body: "{}" });
      expect(denied.status).toBe(401);
      expect(await denied.json()).toEqual({ code: 1800, message: "user hasn't authenticated" });
      const allowed = await fetch(`${guarded.url}/v2/vectordb/collections/list`, {
        method: "POST",
        headers: { authorization: "Bearer root:Milvus" },
        body: "{}",
      });
      expect(await allowed.json()).toEqual({ code: 0, data: [] });
    } finally {
      await guarded.close();
    }
  });

  it("fails the next matching request once, in order", async () => {
    server.failNext({ code: 1807, message: "rate limited", endpoint: "entities/search" });
    server.failNext({ code: 65535, message: "boom", httpStatus: 500 });
    expect((await call("collections/has", { collectionName: "points" })).answer).toEqual({ code: 65535, message: "boom" });
    expect((await call("collections/has", { collectionName: "points" })).answer.code).toBe(0);
    expect((await call("entities/search", { collectionName: "points", data: [[1, 0]] })).answer).toEqual({ code: 1807, message: "rate limited" });
    expect((await call("entities/search", { collectionName: "points", data: [[1, 0]] })).answer.code).toBe(0);
  });

  it("answers every search with a fixed answer in benchmark mode, and records requests", async () => {
    server.fixedSearchAnswer = { code: 0, data: [{ id: 1, distance: 0.5 }], topks: [1] };
    try {
      expect((await call("entities/search", { collectionName: "anything", data: [[0]] })).answer).toEqual({
        code: 0,
        data: [{ id: 1, distance: 0.5 }],
        topks: [1],
      });
      expect(server.requestsTo("entities/search").at(-1)?.body).toEqual({ collectionName: "anything", data: [[0]] });
    } finally {
      server.fixedSearchAnswer = undefined;
    }
  });
});
