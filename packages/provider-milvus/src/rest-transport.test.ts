import { transportContract } from "./testing/transport-contract.js";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AbortedError, BadRequestError, UpstreamError, UpstreamTimeoutError } from "@vs/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMilvusProvider } from "./milvus-provider.js";
import { createRestTransport } from "./rest-transport.js";
import { startMilvusRestServer, type MilvusRestServer } from "./testing/milvus-rest-server.js";

const TOKEN = "root:Sup3r-Secret";

let milvus: MilvusRestServer;

beforeAll(async () => {
  milvus = await startMilvusRestServer({ token: TOKEN });
});

afterAll(async () => {
  await milvus.close();
});

afterEach(() => {
  milvus.latencyMs = 0;
  milvus.requests.length = 0;
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function plainServer(status: number, body: string): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((_request, response) => {
    response.writeHead(status, { "content-type": "text/html" }).end(body);
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, connections: () => connections };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("createRestTransport", () => {
  it("POSTs JSON to /v2/vectordb/{endpoint} with the Milvus headers", async () => {
    const transport = createRestTransport({ baseUrl: milvus.url, token: TOKEN });
    try {
      const answer = await transport.call("collections/has", { collectionName: "nothing_here" });
      expect(answer).toEqual({ code: 0, data: { has: false } });
      const [request] = milvus.requests;
      expect(request?.endpoint).toBe("collections/has");
      expect(request?.body).toEqual({ collectionName: "nothing_here" });
      expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request?.headers["content-type"]).toBe("application/json");
      expect(request?.headers["accept-type-allow-int64"]).toBe("true");
      expect(transport.kind).toBe("rest");
    } finally {
      await transport.close();
    }
  });

  it("sends no Authorization header without a token, and returns Milvus's 401 answer as an answer", async () => {
    const transport = createRestTransport({ baseUrl: milvus.url });
    try {
      const answer = await transport.call("collections/list", {});
      expect(answer.code).toBe(1800);
      expect(milvus.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await transport.close();
    }
  });

  it("keeps a path prefix of the base URL", async () => {
    const { url, server } = await plainServer(200, JSON.stringify({ code: 0, data: [] }));
    const paths: string[] = [];
    server.on("request", (request) => paths.push(request.url ?? ""));
    const transport = createRestTransport({ baseUrl: `${url}/milvus/` });
    try {
      await transport.call("collections/list", {});
      expect(paths).toEqual(["/milvus/v2/vectordb/collections/list"]);
    } finally {
      await transport.close();
      await stop(server);
    }
  });

  it("reuses keep-alive connections instead of opening one per call", async () => {
    const { url, server, connections } = await plainServer(200, JSON.stringify({ code: 0, data: [] }));
    const transport = createRestTransport({ baseUrl: url });
    try {
      for (let index = 0; index < 20; index++) await transport.call("collections/list", {});
      // undici may open a second socket while the first is still settling after an answer; never one per call.
      expect(connections()).toBeLessThanOrEqual(2);
    } finally {
      await transport.close();
      await stop(server);
    }
  });

  it("fails with 504 when Milvus does not answer in time", async () => {
    milvus.latencyMs = 10_000;
    const transport = createRestTransport({ baseUrl: milvus.url, token: TOKEN, timeoutMs: 30_000 });
    try {
      const error = await failure(transport.call("collections/list", {}, { timeoutMs: 50 }));
      expect(error).toBeInstanceOf(UpstreamTimeoutError);
      expect((error as UpstreamTimeoutError).status).toBe(504);
      expect((error as Error).message).toContain("50 ms");
    } finally {
      await transport.close();
    }
  });

  it("fails with AbortedError when the caller aborts, before or during the call", async () => {
    const transport = createRestTransport({ baseUrl: milvus.url, token: TOKEN });
    try {
      expect(await failure(transport.call("collections/list", {}, { signal: AbortSignal.abort() }))).toBeInstanceOf(AbortedError);
      milvus.latencyMs = 10_000;
      const controller = new AbortController();
      const pending = transport.call("collections/list", {}, { signal: controller.signal });
      // Abort once the request has reached the server, so the abort hits an in-flight call.
      while (milvus.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort();
      const error = await failure(pending);
      expect(error).toBeInstanceOf(AbortedError);
      expect((error as AbortedError).status).toBe(499);
    } finally {
      await transport.close();
    }
  });

  it("fails with 502 naming the host, never the token, when Milvus is unreachable", async () => {
    const port = await closedPort();
    const transport = createRestTransport({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN });
    try {
      const error = await failure(transport.call("collections/list", {}));
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).status).toBe(502);
      expect((error as UpstreamError).upstream).toBe("vector_store");
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain("ECONNREFUSED");
      expect((error as Error).message).not.toContain(TOKEN);
    } finally {
      await transport.close();
    }
  });

  it("treats a non-Milvus body as 502 with the HTTP status, and a bare 401/403 as Milvus code 1800", async () => {
    const notFound = await plainServer(404, "<html>404 page not found</html>");
    const forbidden = await plainServer(403, "<html>Forbidden</html>");
    const notJson = await plainServer(200, "hello");
    const transports = [
      createRestTransport({ baseUrl: notFound.url }),
      createRestTransport({ baseUrl: forbidden.url }),
      createRestTransport({ baseUrl: notJson.url }),
    ];
    try {
      const error = await failure(transports[0]!.call("entities/search", {}));
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).status).toBe(502);
      expect((error as UpstreamError).upstreamStatus).toBe(404);
      expect((error as Error).message).toContain("404 page not found");
      const answer = await transports[1]!.call("entities/search", {});
      expect(answer.code).toBe(1800);
      expect(answer.message).toContain("HTTP 403");
      const notMilvus = await failure(transports[2]!.call("entities/search", {}));
      expect((notMilvus as UpstreamError).status).toBe(502);
      expect((notMilvus as Error).message).toContain("not a Milvus answer");
    } finally {
      await Promise.all(transports.map((transport) => transport.close()));
      await Promise.all([stop(notFound.server), stop(forbidden.server), stop(notJson.server)]);
    }
  });

  it("refuses endpoints that are not plain path segments, and calls after close", async () => {
    const transport = createRestTransport({ baseUrl: milvus.url, token: TOKEN });
    for (const endpoint of ["../users/list", "entities/search?x=1", "/entities/search", "entities//search", ""]) {
      expect(await failure(transport.call(endpoint, {}))).toBeInstanceOf(BadRequestError);
    }
    await transport.close();
    expect(await failure(transport.call("collections/list", {}))).toBeInstanceOf(UpstreamError);
    expect(milvus.requests).toHaveLength(0);
  });
});

describe("createRestTransport: exact integers and secrets", () => {
  async function scriptedServer(status: number, answer: string): Promise<{ url: string; server: Server; received: string[] }> {
    const received: string[] = [];
    const server = createServer((request, response) => {
      let text = "";
      request.on("data", (chunk) => (text += chunk));
      request.on("end", () => {
        received.push(text);
        response.writeHead(status, { "content-type": "application/json" }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, received };
  }

  it("sends raw-JSON integers as written and answers integers past 2^53 as exact strings", async () => {
    const milvusServer = await scriptedServer(200, '{"code":0,"data":[{"id":9007199254740993,"count":3,"score":0.25}],"cost":0}');
    const transport = createRestTransport({ baseUrl: milvusServer.url });
    try {
      const body = JSON.parse('{"collectionName":"c","id":[1]}') as Record<string, unknown>;
      body["id"] = [(JSON as unknown as { rawJSON(text: string): unknown }).rawJSON("9007199254740993")];
      const answer = await transport.call("entities/get", body);
      expect(milvusServer.received).toEqual(['{"collectionName":"c","id":[9007199254740993]}']);
      expect(answer.data).toEqual([{ id: "9007199254740993", count: 3, score: 0.25 }]);
    } finally {
      await transport.close();
      await stop(milvusServer.server);
    }
  });

  it("removes the token and its password from Milvus messages and from quoted bodies", async () => {
    const echoing = await scriptedServer(200, JSON.stringify({ code: 1800, message: `invalid credential ${TOKEN}; password Sup3r-Secret rejected` }));
    const crashing = await scriptedServer(500, `panic: bad auth header Bearer ${TOKEN}`);
    const transports = [createRestTransport({ baseUrl: echoing.url, token: TOKEN }), createRestTransport({ baseUrl: crashing.url, token: TOKEN })];
    try {
      const answer = await transports[0]!.call("collections/has", { collectionName: "c" });
      expect(answer.message).toBe("invalid credential [redacted]; password [redacted] rejected");
      const error = (await failure(transports[1]!.call("collections/has", { collectionName: "c" }))) as UpstreamError;
      expect(error.status).toBe(502);
      expect(error.message).toContain("Bearer [redacted]");
      expect(error.message).not.toContain("Sup3r-Secret");
    } finally {
      await Promise.all(transports.map((transport) => transport.close()));
      await stop(echoing.server);
      await stop(crashing.server);
    }
  });
});

describe("MilvusProvider.transportFor", () => {
  it("creates one transport per (kind, api_base, api_key) and reuses it", async () => {
    const provider = createMilvusProvider({ env: {} });
    try {
      const first = provider.transportFor({ api_base: milvus.url, api_key: TOKEN, dbName: "team_a" });
      const again = provider.transportFor({ api_base: milvus.url, api_key: TOKEN, milvus_text_field: "text" });
      const otherKey = provider.transportFor({ api_base: milvus.url, api_key: "other" });
      expect(again.transport).toBe(first.transport);
      expect(otherKey.transport).not.toBe(first.transport);
      expect(first.dbName).toBe("team_a");
      expect(first.displayAddress).toBe(milvus.url);
      expect((await first.transport.call("collections/has", { collectionName: "x" })).code).toBe(0);
    } finally {
      await provider.close();
    }
  });
});

describe("REST transport against the REST v2 test server: the transport contract", () => {
  transportContract(async () => {
    const server = await startMilvusRestServer();
    const transport = createRestTransport({ baseUrl: server.url, token: "root:Milvus" });
    const call = async (endpoint: string, body: Record<string, unknown>) => {
      const answer = await transport.call(endpoint, body);
      expect(answer.code, `${endpoint}: ${answer.message}`).toBe(0);
    };
    return {
      transport,
      createPartition: (collection, partition) => call("partitions/create", { collectionName: collection, partitionName: partition }),
      createDatabase: (name) => call("databases/create", { dbName: name }),
      dropDatabase: (name) => call("databases/drop", { dbName: name }),
      close: async () => {
        await transport.close();
        await server.close();
      },
    };
  });
});
