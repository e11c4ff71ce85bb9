import { createServer, type Server, type Socket } from "node:net";
import { AbortedError, UpstreamError, UpstreamTimeoutError } from "@vs/core";
import { MilvusClient } from "@zilliz/milvus2-sdk-node";
import { describeWithService } from "@vs/test-support/vitest";
import { describe, expect, it } from "vitest";
import { createGrpcTransport, float32Value, inlineExpressionParameters, int64Value } from "./grpc/index.js";
import { transportContract } from "./testing/transport-contract.js";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("grpc transport helpers", () => {
  it("keeps int64 values as numbers only when a double holds them exactly", () => {
    expect(int64Value("42")).toBe(42);
    expect(int64Value("-9007199254740991")).toBe(-9007199254740991);
    expect(int64Value("9007199254740993")).toBe("9007199254740993");
    expect(int64Value("not a number")).toBe("not a number");
  });

  it("prints float32 values with the fewest digits that read back to them", () => {
    expect(float32Value(Math.fround(0.1))).toBe(0.1);
    expect(float32Value(1.9999998807907104)).toBe(1.9999999);
    expect(float32Value(3)).toBe(3);
  });

  it("writes template values into a filter as literals, never inside string literals", () => {
    expect(inlineExpressionParameters('word_count > {min} and title != "{min}"', { min: 5 })).toBe('word_count > 5 and title != "{min}"');
    expect(inlineExpressionParameters("id in {ids} and tag == { tag }", { ids: [1, 2], tag: 'a"b\\c' })).toBe('id in [1, 2] and tag == "a\\"b\\\\c"');
    expect(inlineExpressionParameters("ok == {flag}", { flag: false })).toBe("ok == false");
  });
});

describe("grpc transport without a server", () => {
  it("answers an endpoint it does not translate with code 1100", async () => {
    const transport = createGrpcTransport({ address: `127.0.0.1:${await closedPort()}` });
    try {
      const response = await transport.call("partitions/list", { collectionName: "anything" });
      expect(response.code).toBe(1100);
      expect(response.message).toContain("unsupported endpoint");
    } finally {
      await transport.close();
    }
  });

  it("throws a 502 naming the address, never the token, when nothing listens", async () => {
    const port = await closedPort();
    const transport = createGrpcTransport({ address: `127.0.0.1:${port}`, token: "root:s3cret-token" });
    try {
      const failure = await transport.call("collections/has", { collectionName: "books" }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(UpstreamError);
      expect((failure as UpstreamError).status).toBe(502);
      expect((failure as UpstreamError).message).toContain(`127.0.0.1:${port}`);
      expect((failure as UpstreamError).message).not.toContain("s3cret");
    } finally {
      await transport.close();
    }
  });

  it("throws a 504 when the server never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const transport = createGrpcTransport({ address: `127.0.0.1:${port}`, timeoutMs: 300 });
    try {
      await expect(transport.call("collections/has", { collectionName: "books" })).rejects.toBeInstanceOf(UpstreamTimeoutError);
    } finally {
      await transport.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("throws AbortedError when the caller's signal has fired", async () => {
    const transport = createGrpcTransport({ address: `127.0.0.1:${await closedPort()}` });
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(transport.call("collections/has", { collectionName: "books" }, { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    } finally {
      await transport.close();
    }
  });
});

describeWithService("milvusLite", "grpc transport against Milvus Lite: the transport contract", (milvusAddress) => {
  const address = milvusAddress.replace(/^(?:grpcs?|https?):\/\//i, "");
  transportContract(async () => {
    const transport = createGrpcTransport({ address, token: "root:Milvus" });
    const sdk = new MilvusClient({ address, telemetry: { enabled: false }, isGlobal: false });
    await sdk.connectPromise;
    const succeeded = (status: { error_code: unknown }) => expect(status.error_code).toBe("Success");
    return {
      transport,
      createPartition: async (collection, partition) => succeeded(await sdk.createPartition({ collection_name: collection, partition_name: partition })),
      createDatabase: async (name) => succeeded(await sdk.createDatabase({ db_name: name })),
      dropDatabase: async (name) => succeeded(await sdk.dropDatabase({ db_name: name })),
      close: async () => {
        await transport.close();
        await sdk.closeConnection();
      },
    };
  });
});
