import { describe, expect, it } from "vitest";
import { BadRequestError, ConfigurationError, MethodNotAllowedError, NotFoundError, UpstreamError, UpstreamTimeoutError, VsError } from "./errors.js";

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

  it("answers isInstance for each class itself, not for its siblings", () => {
    const badRequest = new BadRequestError("x");
    expect(UpstreamError.isInstance(badRequest)).toBe(false);
    expect(BadRequestError.isInstance(badRequest)).toBe(true);
    expect(NotFoundError.isInstance(badRequest)).toBe(false);
    expect(UpstreamTimeoutError.isInstance(new UpstreamError({ upstream: "embedding", message: "x" }))).toBe(false);
    expect(ConfigurationError.isInstance(new ConfigurationError("x"))).toBe(true);
    expect(new MethodNotAllowedError("x").status).toBe(405);
    expect(new ConfigurationError("x").code).toBe("invalid_config");
    // A subclass is an instance of its parent's kind too.
    class TableMissing extends NotFoundError {}
    expect(NotFoundError.isInstance(new TableMissing("x"))).toBe(true);
    expect(VsError.isInstance(new TableMissing("x"))).toBe(true);
  });

  it("recognises an error made by another copy of the package (marker and kinds, not the prototype)", () => {
    const original = new UpstreamError({ upstream: "vector_store", message: "down" });
    // What a second copy of @vs/core would produce: the same symbols on an object of an unrelated class.
    const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
    for (const symbol of Object.getOwnPropertySymbols(original)) foreign[symbol] = (original as unknown as Record<symbol, unknown>)[symbol];
    expect(original instanceof Error).toBe(true);
    expect(UpstreamError.isInstance(foreign)).toBe(true);
    expect(BadRequestError.isInstance(foreign)).toBe(false);
    expect(VsError.isInstance(foreign)).toBe(true);
  });
});
