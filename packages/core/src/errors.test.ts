import { describe, expect, it } from "vitest";
import { BadRequestError, UpstreamError, VsError } from "./errors.js";

describe("errors", () => {
  it("recognises its errors by marker and renders the OpenAI body", () => {
    const error = new BadRequestError("query: Required", { param: "query" });
    expect(VsError.isInstance(error)).toBe(true);
    expect(VsError.isInstance(new Error("x"))).toBe(false);
    expect(error.toBody()).toEqual({ error: { message: "query: Required", type: "invalid_request_error", param: "query", code: "invalid_request" } });
  });

  it("carries the upstream's code in its own code and derives the type from the status", () => {
    const error = new UpstreamError({ upstream: "vector_store", message: "collection not found", status: 404, upstreamCode: 100 });
    expect(error.code).toBe("vector_store_error:100");
    expect(error.type).toBe("not_found_error");
    expect(error.status).toBe(404);
    const retryable = new UpstreamError({ upstream: "embedding", message: "busy", upstreamStatus: 503 });
    expect(retryable.isRetryable).toBe(true);
    expect(retryable.status).toBe(502);
  });
});
