import { BadRequestError, parseInput } from "@vs/core";
import { describe, expect, it } from "vitest";
import { milvusOptionsSchema, resolveMilvusConnection } from "./milvus-options.js";

function parseError(input: unknown): BadRequestError {
  try {
    parseInput(milvusOptionsSchema, input, { what: "milvus parameters" });
  } catch (error) {
    if (BadRequestError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a validation error");
}

describe("milvusOptionsSchema", () => {
  it("accepts the reference page's parameters and adds no defaults", () => {
    const options = {
      api_key: "root:Milvus",
      api_base: "https://milvus.example.com",
      milvus_text_field: "book_intro",
      dbName: "default",
      annsField: "book_intro_vector",
      limit: 10,
      offset: 0,
      outputFields: ["id", "book_intro", "title"],
      filter: "book_id > 0",
      groupingField: "author",
      groupSize: 2,
      searchParams: { metric_type: "L2", params: { nprobe: 10 } },
      partitionNames: ["p1"],
      consistencyLevel: "Strong",
      timeout_ms: 5000,
      transport: "grpc",
    };
    expect(milvusOptionsSchema.parse(options)).toEqual(options);
    expect(milvusOptionsSchema.parse({ milvus_text_field: "text" })).toEqual({ milvus_text_field: "text" });
  });

  it("names every bad field, unknown keys included", () => {
    const error = parseError({ limit: 0, offset: -1, consistencyLevel: "Always", anns_field: "x", searchParams: { metricType: "" }, outputFields: "title" });
    expect(error.message).toContain("limit:");
    expect(error.message).toContain("offset:");
    expect(error.message).toContain("consistencyLevel:");
    expect(error.message).toContain("anns_field: unknown field");
    expect(error.message).toContain("searchParams.metricType:");
    expect(error.message).toContain("outputFields:");
    expect(error.param).toBe("limit");
    expect(parseError({ limit: 16385 }).param).toBe("limit");
    expect(parseError({ transport: "http" }).param).toBe("transport");
  });

  it("still allows the proxy to pick fields from it", () => {
    expect(Object.keys(milvusOptionsSchema.pick({ limit: true, filter: true }).shape)).toEqual(["limit", "filter"]);
  });
});

describe("resolveMilvusConnection", () => {
  it("picks the transport from the scheme", () => {
    expect(resolveMilvusConnection({ api_base: "http://localhost:19530/", api_key: "t" }, {})).toMatchObject({
      kind: "rest",
      baseUrl: "http://localhost:19530",
      token: "t",
    });
    expect(resolveMilvusConnection({ api_base: "https://x.zillizcloud.com/prefix/" }, {})).toMatchObject({
      kind: "rest",
      baseUrl: "https://x.zillizcloud.com/prefix",
    });
    expect(resolveMilvusConnection({ api_base: "grpc://127.0.0.1:19531" }, {})).toMatchObject({ kind: "grpc", address: "127.0.0.1:19531", ssl: false });
    expect(resolveMilvusConnection({ api_base: "grpcs://x.zillizcloud.com" }, {})).toMatchObject({ kind: "grpc", address: "x.zillizcloud.com:443", ssl: true });
    expect(resolveMilvusConnection({ api_base: "grpc://milvus" }, {})).toMatchObject({ kind: "grpc", address: "milvus:19530" });
  });

  it("lets transport override the scheme", () => {
    expect(resolveMilvusConnection({ api_base: "http://milvus:19530", transport: "grpc" }, {})).toMatchObject({
      kind: "grpc",
      address: "milvus:19530",
      ssl: false,
    });
    expect(resolveMilvusConnection({ api_base: "https://milvus.example.com", transport: "grpc" }, {})).toMatchObject({
      kind: "grpc",
      address: "milvus.example.com:443",
      ssl: true,
    });
    expect(resolveMilvusConnection({ api_base: "grpc://milvus:19530", transport: "rest" }, {})).toMatchObject({ kind: "rest", baseUrl: "http://milvus:19530" });
  });

  it("falls back to MILVUS_API_BASE and MILVUS_API_KEY, options first", () => {
    const env = { MILVUS_API_BASE: "http://from-env:19530", MILVUS_API_KEY: "env-token" };
    expect(resolveMilvusConnection({}, env)).toMatchObject({ kind: "rest", baseUrl: "http://from-env:19530", token: "env-token" });
    expect(resolveMilvusConnection({ api_base: "http://explicit:1", api_key: "mine" }, env)).toMatchObject({ baseUrl: "http://explicit:1", token: "mine" });
    expect(resolveMilvusConnection({ api_base: "http://explicit:1" }, {}).token).toBeUndefined();
  });

  it("explains a missing or unusable api_base without echoing secrets", () => {
    const missing = (() => {
      try {
        resolveMilvusConnection({}, {});
      } catch (error) {
        return error as BadRequestError;
      }
    })();
    expect(missing).toBeInstanceOf(BadRequestError);
    expect(missing?.param).toBe("api_base");
    expect(missing?.message).toContain("MILVUS_API_BASE");
    expect(() => resolveMilvusConnection({ api_base: "localhost:19530" }, {})).toThrow(/scheme/);
    expect(() => resolveMilvusConnection({ api_base: "not a url" }, {})).toThrow(/not a URL/);
    let withCredentials: unknown;
    try {
      resolveMilvusConnection({ api_base: "http://root:s3cret-pass@milvus:19530" }, {});
    } catch (error) {
      withCredentials = error;
    }
    expect(withCredentials).toBeInstanceOf(BadRequestError);
    expect((withCredentials as Error).message).not.toContain("s3cret-pass");
  });
});
