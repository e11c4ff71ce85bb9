import { describe, expect, it } from "vitest";
import { encodeMilvusBody, maxVectorJsonBytes, writeVectorJson } from "./vector-json.js";

function seededFloat32(count: number, seed: number): number[] {
  let state = seed >>> 0;
  const values: number[] = [];
  const bits = new Uint32Array(1);
  const view = new Float32Array(bits.buffer);
  while (values.length < count) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bits[0] = state;
    const value = view[0] as number;
    if (Number.isFinite(value)) values.push(value);
  }
  return values;
}

function written(vector: ArrayLike<number>): string {
  const bytes = new Uint8Array(maxVectorJsonBytes(vector.length));
  const end = writeVectorJson(vector, bytes, 0);
  return end < 0 ? "(refused)" : Buffer.from(bytes.subarray(0, end)).toString("latin1");
}

describe("writeVectorJson", () => {
  it("writes every float32 — any exponent, subnormals, powers of ten, ±0 — so that it reads back as the same float32", () => {
    const edges = [
      0, -0, 1, -1, 0.5, 1e-45, 1.17549435e-38, 3.4028234663852886e38, -3.4028234663852886e38, 1e-7, 1e-8, 0.1, 1e9, 99999999.5, 123456.789, 0.000999999, 1e10,
      16777216,
    ].map(Math.fround);
    const values = [...edges, ...seededFloat32(100_000, 7)];
    const back = JSON.parse(written(values)) as number[];
    expect(back).toHaveLength(values.length);
    const wrong = values.filter((value, index) => Math.fround(back[index] as number) !== value);
    expect(wrong).toEqual([]);
  });

  it("writes the usual embedding values in plain decimals, at most 9 significant digits", () => {
    expect(written([0.5, -0.25, 0.1, -0.0060727494, 1, 12.5, 1e-9].map(Math.fround))).toBe("[0.5,-0.25,0.100000001,-0.00607274938,1,12.5,999999972e-18]");
  });

  it("refuses what is not a finite float32, so the body is left to JSON.stringify", () => {
    expect(written([0.5, 0.1])).toBe("(refused)");
    expect(written([0.5, Number.NaN])).toBe("(refused)");
    expect(written([0.5, Number.POSITIVE_INFINITY])).toBe("(refused)");
  });
});

describe("encodeMilvusBody", () => {
  const vector = Array.from({ length: 1536 }, (_, index) => Math.fround(Math.sin(index * 7.3) * 0.05 + 1e-4));

  it("is the JSON.stringify text with float32 vectors written shortly, keys in their order", () => {
    const body = {
      collectionName: "c",
      dbName: "d",
      data: [vector],
      annsField: "v",
      limit: 10,
      filter: 'x == "\u0000vs-vector-0:0"',
      outputFields: ["text"],
      searchParams: { metricType: "COSINE" },
    };
    const encoded = encodeMilvusBody(body);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    const text = encoded.toString();
    expect(Object.keys(JSON.parse(text) as object)).toEqual(Object.keys(body));
    const parsed = JSON.parse(text) as typeof body;
    expect({ ...parsed, data: [] }).toEqual({ ...body, data: [] });
    expect((parsed.data[0] as number[]).map(Math.fround)).toEqual(vector);
    expect(text.length).toBeLessThan(JSON.stringify(body).length);
  });

  it("finds vectors where Milvus bodies carry them: hybrid searches and inserted rows", () => {
    const body = {
      collectionName: "c",
      search: [
        { data: [vector], annsField: "v" },
        { data: ["text query"], annsField: "sparse" },
      ],
      data: [{ id: 1, vector, text: "t" }],
      rerank: { params: { weights: [0.5, 0.5] } },
    };
    const encoded = encodeMilvusBody(body);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    const parsed = JSON.parse(encoded.toString()) as { search: Array<{ data: number[][] }>; data: Array<{ vector: number[] }> };
    expect(parsed.search[0]?.data[0]?.map(Math.fround)).toEqual(vector);
    expect(parsed.data[0]?.vector.map(Math.fround)).toEqual(vector);
    expect({ ...parsed, search: [], data: [] }).toEqual({ ...body, search: [], data: [] });
  });

  it("leaves bodies without float32 vectors, and vectors of doubles, to JSON.stringify", () => {
    const doubles = vector.map((value, index) => (index === 100 ? 0.1 : value));
    for (const body of [
      { collectionName: "c", data: [doubles] },
      { collectionName: "c", limit: 3 },
      { collectionName: "c", data: [[0.5, 0.25]] },
    ]) {
      expect(encodeMilvusBody(body)).toBe(JSON.stringify(body));
    }
  });
});
