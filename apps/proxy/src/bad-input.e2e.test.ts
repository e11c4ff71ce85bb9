import { randomUUID } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMilvusRestServer } from "@vs/provider-milvus/testing";
import { FakeEmbeddingServer } from "@vs/test-support";
import { MASTER_KEY, startTestProxy, type TestProxy } from "./test-support/harness.js";

// Bad input over real HTTP: each answer is a 4xx in the JSON error shape naming where, never a 5xx, and never costs
// another request its spend row.

const DIM = 4;
let embeddingServer: FakeEmbeddingServer;
let milvus: Awaited<ReturnType<typeof startMilvusRestServer>>;
let proxy: TestProxy;

beforeAll(async () => {
  embeddingServer = await new FakeEmbeddingServer(4, () => [1, 0, 0, 0]).start();
  milvus = await startMilvusRestServer();
  const post = (endpoint: string, body: unknown) =>
    fetch(`${milvus.url}/v2/vectordb/${endpoint}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("collections/create", {
    collectionName: "docs",
    schema: {
      fields: [
        { fieldName: "id", dataType: "Int64", isPrimary: true },
        { fieldName: "text", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "topic", dataType: "VarChar", elementTypeParams: { max_length: 64 } },
        { fieldName: "vector", dataType: "FloatVector", elementTypeParams: { dim: DIM } },
      ],
    },
    indexParams: [{ fieldName: "vector", metricType: "L2" }],
  });
  await post("entities/insert", { collectionName: "docs", data: [{ id: 1, text: "one", topic: "a", vector: [1, 0, 0, 0] }] });
  proxy = await startTestProxy(`
vector_store_registry:
  - vector_store_name: docs
    litellm_params: { vector_store_id: docs, api_base: "${milvus.url}", milvus_text_field: text, litellm_embedding_model: openai/fixed, litellm_embedding_config: { api_base: "${embeddingServer.apiBase}", api_key: k } }
general_settings:
  master_key: ${MASTER_KEY}
`);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await milvus?.close();
  await embeddingServer?.close();
});

function nestedFilter(levels: number): string {
  return '{"type":"and","filters":['.repeat(levels) + '{"type":"eq","key":"topic","value":"a"}' + "]}".repeat(levels);
}

async function expectReady(): Promise<void> {
  const readiness = await proxy.call("/health/readiness", { key: null });
  expect(readiness.status).toBe(200);
}

describe("deeply nested JSON", () => {
  // The top-level object is level 1, so the first container refused (level 65) sits 64 path segments deep.
  it("answers 400 naming the path for 10,000 levels of filters", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/docs/search", { body: `{"query":"q","filters":${nestedFilter(10_000)}}` });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "json_too_deep" });
    expect(body.error.param).toMatch(/^filters(\.filters\[0\]){31}\.filters$/);
    expect(body.error.message).toContain("64 levels");
  });

  it("answers 400 (not a 502 'could not reach') for 10,000 levels in searchParams", async () => {
    const { status, body } = await proxy.call("/v1/vector_stores/docs/search", {
      body: `{"query":"q","searchParams":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`,
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("json_too_deep");
    expect(body.error.param).toMatch(/^searchParams(\.a){63}$/);
    expect(milvus.requestsTo("entities/search")).toHaveLength(0);
  });

  it("answers 400 for deep arrays and for a deep admin body, and still serves a search nested within the limit", async () => {
    const arrays = await proxy.call("/v1/vector_stores/docs/search", { body: `{"query":"q","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}` });
    expect(arrays.status).toBe(400);
    expect(arrays.body.error.param).toMatch(/^x(\[0\]){63}$/);
    const admin = await proxy.call("/key/generate", { body: `{"metadata":${'{"m":'.repeat(5_000)}1${"}".repeat(5_000)}}` });
    expect(admin.status).toBe(400);
    expect(admin.body.error.param).toMatch(/^metadata(\.m){63}$/);

    const fine = await proxy.call("/v1/vector_stores/docs/search", { body: `{"query":"q","filters":${nestedFilter(20)}}` });
    expect(fine.status).toBe(200);
    expect(fine.body.data).toHaveLength(1);
  });
});

describe("NUL characters (PostgreSQL stores none)", () => {
  it("refuses a %00 in the URL path or query before the database, naming it", async () => {
    const search = await proxy.call("/v1/vector_stores/a%00b/search", { body: { query: "q" } });
    expect(search.status).toBe(400);
    expect(search.body.error).toMatchObject({ param: "path", code: "invalid_character" });
    const index = await proxy.call("/v1/indexes/a%00b");
    expect(index.status).toBe(400);
    expect(index.body.error.param).toBe("path");
    const info = await proxy.call("/key/info?key=sk-a%00b");
    expect(info.status).toBe(400);
    expect(info.body.error.param).toBe("key");
    const spend = await proxy.call("/spend/logs?key=alias%00");
    expect(spend.status).toBe(400);
    await expectReady();
  });

  it("refuses a NUL in admin bodies, naming the field", async () => {
    const cases: Array<[string, unknown, string]> = [
      ["/key/generate", { key_alias: "a\u0000b" }, "key_alias"],
      ["/key/generate", { metadata: { team: ["ok", "x\u0000"] } }, "metadata.team[1]"],
      ["/key/update", { key: "sk-a\u0000b", blocked: true }, "key"],
      ["/key/delete", { key_aliases: ["\u0000"] }, "key_aliases[0]"],
      [
        "/v1/indexes",
        { index_name: "i", litellm_params: { vector_store_index: "docs", vector_store_name: "docs" }, index_info: { "n\u0000": 1 } },
        'index_info["n\\u0000"]',
      ],
    ];
    for (const [path, body, param] of cases) {
      const answer = await proxy.call(path, { body });
      expect({ path, status: answer.status, param: answer.body.error?.param }).toEqual({ path, status: 400, param });
    }
    await expectReady();
    const generated = await proxy.call("/key/generate", { body: { key_alias: "after-the-nuls" } });
    expect(generated.status).toBe(200);
  });

  it("keeps every spend row of a batch that holds a request with %00 in its path", async () => {
    const marker = randomUUID();
    const ids = Array.from({ length: 5 }, (_, position) => `${marker}-${position}`);
    // Within one flush interval, so they share a batch: good, bad (unauthenticated, NUL in the path), good.
    const answers = await Promise.all([
      proxy.call("/v1/vector_stores/docs/search", { body: { query: "q" }, headers: { "x-request-id": ids[0]! } }),
      proxy.call("/v1/vector_stores/x%00y/search", { body: { query: "q" }, key: null, headers: { "x-request-id": ids[1]! } }),
      proxy.call("/v1/vector_stores/docs/search", { body: { query: "q" }, headers: { "x-request-id": ids[2]! } }),
      proxy.call("/nothing%00here", { key: null, headers: { "x-request-id": ids[3]! } }),
      proxy.call("/v1/vector_stores/docs/search", { body: { query: "q" }, headers: { "x-request-id": ids[4]! } }),
    ]);
    expect(answers.map((answer) => (answer.status === 200 ? "ok" : answer.status >= 400 && answer.status < 500 ? "refused" : answer.status))).toEqual([
      "ok",
      "refused",
      "ok",
      "refused",
      "ok",
    ]);
    let rows: Array<{ request_id: string; route: string; status_code: number }> = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await new Promise((done) => setTimeout(done, 200));
      rows = (await proxy.call("/spend/logs?limit=1000")).body.data.filter((row: { request_id: string }) => row.request_id.startsWith(marker));
      if (rows.length === ids.length) break;
    }
    expect(rows.map((row) => row.request_id).sort()).toEqual(ids);
    expect(rows.find((row) => row.request_id === ids[1])).toMatchObject({ route: "/v1/vector_stores/x\uFFFDy/search", status_code: 400 });
  });
});

/** Writes raw bytes on a fresh connection and returns everything the server sent before closing it. */
async function rawExchange(request: string): Promise<string> {
  const url = new URL(proxy.url);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.write(request);
  let received = "";
  socket.on("data", (chunk) => (received += chunk));
  await new Promise<void>((done, fail) => {
    socket.on("close", () => done());
    socket.on("error", fail);
    setTimeout(() => fail(new Error(`no close; received ${JSON.stringify(received)}`)), 5_000).unref();
  });
  return received;
}

function parseRaw(text: string): { status: number; headers: string; body: { error: { code: string; type: string; message: string } } } {
  const [head, body] = text.split("\r\n\r\n", 2) as [string, string];
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe("requests Node's HTTP parser refuses", () => {
  it("answers an unknown method in the JSON error shape and closes the connection", async () => {
    const answer = parseRaw(await rawExchange("BREW /v1/vector_stores HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(answer.status).toBe(400);
    expect(answer.headers).toContain("connection: close");
    expect(answer.headers).toContain("content-type: application/json");
    expect(answer.body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_method" });
  });

  it("answers 431 for headers over the limit", async () => {
    const answer = parseRaw(await rawExchange(`GET /health/liveliness HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`));
    expect(answer.status).toBe(431);
    expect(answer.body.error.code).toBe("headers_too_large");
  });

  it("answers 400 for a malformed request, a NUL in a header included", async () => {
    const malformed = parseRaw(await rawExchange("GET /health/liveliness HTTP/1.1\r\nHost x\r\n\r\n"));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("malformed_request");
    const nul = parseRaw(await rawExchange("GET /key/info HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-a\u0000b\r\n\r\n"));
    expect(nul.status).toBe(400);
    expect(nul.body.error.type).toBe("invalid_request_error");
  });

  it("answers on a keep-alive connection that already served a request", async () => {
    const url = new URL(proxy.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = "";
    socket.on("data", (chunk) => (received += chunk));
    socket.write("GET /health/liveliness HTTP/1.1\r\nHost: x\r\n\r\n");
    while (!received.includes('"healthy"')) await new Promise((done) => setTimeout(done, 10));
    socket.write("BREW / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((done) => socket.on("close", done));
    expect(received.startsWith("HTTP/1.1 200")).toBe(true);
    expect(received).toContain('"code":"invalid_method"');
  });
});
