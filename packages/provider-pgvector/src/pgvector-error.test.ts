import pg from "pg";
import { describe, expect, it } from "vitest";
import { pgvectorErrorFrom } from "./pgvector-error.js";
import { normalizeScore } from "./pgvector-scores.js";

const context = { operation: 'search table "docs"', displayAddress: "postgresql://db:5432/app", timeoutMs: 1500 };

function databaseError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.code = code;
  return error;
}

describe("pgvectorErrorFrom", () => {
  it.each([
    ["42P01", 404, "not_found_error"],
    ["3F000", 404, "not_found_error"],
    ["28P01", 401, "authentication_error"],
    ["28000", 401, "authentication_error"],
    ["42703", 400, "invalid_request_error"],
    ["22000", 400, "invalid_request_error"],
    ["42501", 502, "upstream_error"],
    ["53300", 502, "upstream_error"],
    ["XX000", 502, "upstream_error"],
  ])("SQLSTATE %s → %i", (code, status, type) => {
    const error = pgvectorErrorFrom(databaseError(code, "boom"), context);
    expect(error).toMatchObject({ status, type, code: `vector_store_error:${code}` });
    expect(error.message).toContain(`PostgreSQL ${code}: boom`);
    expect(error.message).toContain('search table "docs"');
  });

  it("a statement timeout (57014) is a 504", () => {
    expect(pgvectorErrorFrom(databaseError("57014", "canceling statement due to statement timeout"), context)).toMatchObject({
      status: 504,
      code: "vector_store_timeout",
      isRetryable: true,
    });
  });

  it("network failures are retryable 502s naming the address", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(pgvectorErrorFrom(refused, context)).toMatchObject({
      status: 502,
      code: "vector_store_error:ECONNREFUSED",
      isRetryable: true,
      message: expect.stringContaining("postgresql://db:5432/app"),
    });
    const aggregate = new AggregateError([refused], "");
    expect(pgvectorErrorFrom(aggregate, context)).toMatchObject({ status: 502, code: "vector_store_error:ECONNREFUSED" });
  });

  it("a library message carrying a URL with credentials is redacted", () => {
    const error = pgvectorErrorFrom(new Error("cannot use postgresql://app:hunter2@db/app"), context);
    expect(error.status).toBe(502);
    expect(error.message).not.toContain("hunter2");
  });
});

describe("normalizeScore", () => {
  it("gives (1 + cos) / 2 from each operator's distance of the same pair of unit vectors", () => {
    for (const cos of [-1, -0.3, 0, 0.42, 1]) {
      const expected = (1 + cos) / 2;
      expect(normalizeScore("cosine", 1 - cos)).toBeCloseTo(expected, 12);
      expect(normalizeScore("l2", Math.sqrt(2 - 2 * cos))).toBeCloseTo(expected, 12);
      expect(normalizeScore("ip", -cos)).toBeCloseTo(expected, 12);
    }
  });
});
