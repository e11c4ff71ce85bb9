import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BENCH_DIMENSIONS, BENCH_RESULT_ROWS, benchVector } from "./bench-data.js";
import { directMilvusPath, directPath, sdkPath } from "./paths.js";
import { startBenchUpstreams, type BenchUpstreams } from "./upstreams.js";

let upstreams: BenchUpstreams;

beforeAll(async () => {
  upstreams = await startBenchUpstreams();
});

afterAll(async () => {
  await upstreams.close();
});

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("the benchmark's upstreams", () => {
  it("answer /v1/embeddings like an OpenAI-compatible server: one unit vector per input, with usage", async () => {
    const { status, json } = await post(`${upstreams.embeddingsUrl}/embeddings`, { model: "bench", input: ["one", "two three"] });
    expect(status).toBe(200);
    const data = json["data"] as Array<{ index: number; embedding: number[] }>;
    expect(data.map((item) => item.index)).toEqual([0, 1]);
    expect(data[0]?.embedding).toHaveLength(BENCH_DIMENSIONS);
    expect(data[0]?.embedding).toEqual(benchVector());
    const norm = Math.sqrt((data[0]?.embedding ?? []).reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 6);
    expect(json["usage"]).toEqual({ prompt_tokens: 4, total_tokens: 4 });
  });

  it("answer base64 float32 bytes when asked for encoding_format base64, as OpenAI does, at the size they were started with", async () => {
    const { json } = await post(`${upstreams.embeddingsUrl}/embeddings`, { model: "bench", input: ["one"], encoding_format: "base64" });
    const encoded = (json["data"] as Array<{ embedding: string }>)[0]?.embedding ?? "";
    const bytes = Buffer.from(encoded, "base64");
    expect([...new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))]).toEqual(benchVector().map(Math.fround));
    const large = await startBenchUpstreams({ dimensions: 1536 });
    try {
      const answer = await post(`${large.embeddingsUrl}/embeddings`, { model: "bench", input: ["one"] });
      expect((answer.json["data"] as Array<{ embedding: number[] }>)[0]?.embedding).toEqual(benchVector(1536));
    } finally {
      await large.close();
    }
  });

  it("refuse an embedding request without input, as OpenAI does", async () => {
    expect((await post(`${upstreams.embeddingsUrl}/embeddings`, { model: "bench" })).status).toBe(400);
  });

  it("answer entities/search with a Milvus success and the fixed rows, anything else with a Milvus error", async () => {
    const search = await post(`${upstreams.milvusUrl}/v2/vectordb/entities/search`, { collectionName: "c", data: [benchVector()] });
    expect(search.json["code"]).toBe(0);
    expect(search.json["data"]).toHaveLength(BENCH_RESULT_ROWS);
    expect(search.json["topks"]).toEqual([BENCH_RESULT_ROWS]);
    const other = await post(`${upstreams.milvusUrl}/v2/vectordb/collections/describe`, { collectionName: "c" });
    expect(other.json["code"]).toBe(1100);
  });
});

describe("the benchmarked client paths against them", () => {
  it.each([
    ["direct", () => directPath(upstreams)],
    ["direct Milvus", () => directMilvusPath(upstreams)],
    ["SDK in-process", () => sdkPath(upstreams)],
  ])("%s completes a checked request", async (_name, makePath) => {
    const client = await makePath().open(1, "latency");
    try {
      await expect(client.operation()).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });
});
