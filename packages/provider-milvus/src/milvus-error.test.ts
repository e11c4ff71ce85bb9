import { UpstreamError } from "@vs/core";
import { describe, expect, it } from "vitest";
import { milvusErrorFromResponse } from "./milvus-error.js";

describe("milvusErrorFromResponse", () => {
  it("maps each Milvus code to whose fault it is, keeping Milvus's code and message", () => {
    const cases: Array<[number, string, number]> = [
      [100, "can't find collection[database=default][collection=books]", 404],
      [1100, "invalid parameter[expected=COSINE][actual=L2]", 400],
      [1802, "missing required parameters", 400],
      [1800, "user hasn't authenticated", 401],
      [1807, "rate limit exceeded", 429],
      [65535, "internal failure", 502],
      [5, "some other code", 502],
    ];
    for (const [code, message, status] of cases) {
      const error = milvusErrorFromResponse({ code, message }, { operation: 'search in collection "books"' });
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.status).toBe(status);
      expect(error.upstream).toBe("vector_store");
      expect(error.upstreamCode).toBe(String(code));
      expect(error.code).toBe(`vector_store_error:${code}`);
      expect(error.message).toContain(message);
      expect(error.message).toContain('search in collection "books"');
    }
  });

  it("says that a 1800 is the store rejecting the gateway's credentials, not the caller's", () => {
    const error = milvusErrorFromResponse({ code: 1800, message: "user hasn't authenticated" });
    expect(error.message).toMatch(/rejected the gateway's Milvus credentials/);
    expect(error.message).toMatch(/MILVUS_API_KEY/);
    expect(error.type).toBe("authentication_error");
  });

  it("recognises a missing collection reported under another code", () => {
    expect(milvusErrorFromResponse({ code: 65535, message: "collection not found[collection=books]" }).status).toBe(404);
    expect(milvusErrorFromResponse({ code: 1, message: "DescribeCollection failed: can't find collection: books" }).status).toBe(404);
    expect(milvusErrorFromResponse({ code: 1, message: "field books not found" }).status).toBe(502);
  });

  it("marks rate limiting as retryable and copes with a missing message", () => {
    expect(milvusErrorFromResponse({ code: 1807 }).isRetryable).toBe(true);
    expect(milvusErrorFromResponse({ code: 42 }).message).toContain("Milvus code 42: no message");
  });
});
