import { describe, expect, it } from "vitest";
import { backoffDelayMs, parseRetryAfterMs, RETRY_AFTER_CAP_MS, RETRY_BASE_DELAY_MS, RETRY_MAX_BACKOFF_MS } from "./retry.js";

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");

  it("reads seconds, an HTTP date, and OpenAI's retry-after-ms", () => {
    expect(parseRetryAfterMs({ retryAfter: "3" }, now)).toBe(3000);
    expect(parseRetryAfterMs({ retryAfter: "1.5" }, now)).toBe(1500);
    expect(parseRetryAfterMs({ retryAfter: "Wed, 01 Jan 2025 00:00:07 GMT" }, now)).toBe(7000);
    expect(parseRetryAfterMs({ retryAfter: "3", retryAfterMs: "250" }, now)).toBe(250);
  });

  it("clamps past dates to 0 and long waits to the cap", () => {
    expect(parseRetryAfterMs({ retryAfter: "Tue, 31 Dec 2024 23:59:00 GMT" }, now)).toBe(0);
    expect(parseRetryAfterMs({ retryAfter: "86400" }, now)).toBe(RETRY_AFTER_CAP_MS);
  });

  it("ignores absent or unparsable values", () => {
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
    expect(parseRetryAfterMs({ retryAfter: "soon" }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ retryAfter: "-1" }, now)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("doubles per retry within [50 %, 100 %] of the step, up to the cap", () => {
    expect(backoffDelayMs(0, () => 0)).toBe(RETRY_BASE_DELAY_MS / 2);
    expect(backoffDelayMs(0, () => 1)).toBe(RETRY_BASE_DELAY_MS);
    expect(backoffDelayMs(2, () => 1)).toBe(RETRY_BASE_DELAY_MS * 4);
    expect(backoffDelayMs(20, () => 1)).toBe(RETRY_MAX_BACKOFF_MS);
  });
});
