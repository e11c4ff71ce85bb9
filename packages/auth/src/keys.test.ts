import { BadRequestError, parseInput } from "@vs/core";
import { describe, expect, it } from "vitest";
import {
  generateKeyInputSchema,
  generateKeyString,
  hashKey,
  isKeyExpired,
  isKeyUsable,
  keyAllows,
  keyDisplayName,
  parseDuration,
  updateKeyInputSchema,
} from "./keys.js";

function badRequest(run: () => unknown): BadRequestError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return error as BadRequestError;
  }
  throw new Error("expected a BadRequestError");
}

describe("parseDuration", () => {
  it("reads seconds, minutes, hours and days", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("15m")).toBe(900_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("30d")).toBe(2_592_000_000);
  });

  it.each(["", "30", "1w", "-1h", "0s", "1.5h", "h", "1 h x", "99999999999999999d"])("refuses %j naming the duration field", (text) => {
    const error = badRequest(() => parseDuration(text));
    expect(error.param).toBe("duration");
    expect(error.status).toBe(400);
  });
});

describe("hashKey", () => {
  it("is the sha256 hex digest of the key", () => {
    // sha256("abc"), the FIPS 180-2 test vector.
    expect(hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("generated keys", () => {
  it("are sk- and 32 random bytes in base64url, different each time", () => {
    const first = generateKeyString();
    const second = generateKeyString();
    expect(first).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.slice(3), "base64url")).toHaveLength(32);
    expect(first).not.toBe(second);
  });

  it("are shown in lists by their last four characters only", () => {
    expect(keyDisplayName("sk-abcdefghijklmnop1234")).toBe("sk-...1234");
  });
});

describe("generateKeyInputSchema", () => {
  it("takes the reference page's body and fills defaults", () => {
    const input = parseInput(generateKeyInputSchema, {
      allowed_vector_store_indexes: [{ index_name: "dall-e-6", index_permissions: ["write", "read"] }],
      models: ["embedding-model"],
    });
    expect(input).toEqual({
      allowed_vector_store_indexes: [{ index_name: "dall-e-6", index_permissions: ["write", "read"] }],
      models: ["embedding-model"],
      metadata: {},
      blocked: false,
      can_create_vector_stores: false,
    });
  });

  it("names the bad permission", () => {
    const error = badRequest(() =>
      parseInput(generateKeyInputSchema, { allowed_vector_store_indexes: [{ index_name: "a", index_permissions: ["read", "admin"] }] }),
    );
    expect(error.param).toBe("allowed_vector_store_indexes[0].index_permissions[1]");
  });

  it("wants at least one permission per index and each index once", () => {
    expect(badRequest(() => parseInput(generateKeyInputSchema, { allowed_vector_store_indexes: [{ index_name: "a", index_permissions: [] }] })).param).toBe(
      "allowed_vector_store_indexes[0].index_permissions",
    );
    const twice = [
      { index_name: "a", index_permissions: ["read"] },
      { index_name: "a", index_permissions: ["write"] },
    ];
    expect(badRequest(() => parseInput(generateKeyInputSchema, { allowed_vector_store_indexes: twice })).param).toBe(
      "allowed_vector_store_indexes[1].index_name",
    );
  });

  it("names a bad duration, an unknown field and a caller key without the sk- prefix", () => {
    expect(badRequest(() => parseInput(generateKeyInputSchema, { duration: "forever" })).param).toBe("duration");
    expect(badRequest(() => parseInput(generateKeyInputSchema, { team_id: "t" })).param).toBe("team_id");
    expect(badRequest(() => parseInput(generateKeyInputSchema, { key: "my-own-key-123456" })).param).toBe("key");
  });

  it("accepts null duration (never expires) and a caller-chosen key", () => {
    expect(parseInput(generateKeyInputSchema, { duration: null, key: "sk-chosen-key-1234" })).toMatchObject({ duration: null, key: "sk-chosen-key-1234" });
  });
});

describe("updateKeyInputSchema", () => {
  it("keeps absent fields absent so they are left alone", () => {
    expect(parseInput(updateKeyInputSchema, { models: ["m"] })).toEqual({ models: ["m"] });
  });

  it("does not let an update change the key itself", () => {
    expect(badRequest(() => parseInput(updateKeyInputSchema, { key: "sk-another-key-1234" })).param).toBe("key");
  });
});

describe("keyAllows", () => {
  const info = {
    allowed_vector_store_indexes: [
      { index_name: "docs", index_permissions: ["read" as const] },
      { index_name: "uploads", index_permissions: ["read" as const, "write" as const] },
    ],
  };

  it("grants exactly the listed permissions", () => {
    expect(keyAllows(info, "docs", "read")).toBe(true);
    expect(keyAllows(info, "docs", "write")).toBe(false);
    expect(keyAllows(info, "uploads", "write")).toBe(true);
  });

  it("refuses an index that is not listed, and everything to a key with no list", () => {
    expect(keyAllows(info, "other", "read")).toBe(false);
    expect(keyAllows({ allowed_vector_store_indexes: [] }, "docs", "read")).toBe(false);
  });
});

describe("isKeyExpired / isKeyUsable", () => {
  const now = new Date("2030-01-01T00:00:00Z");

  it("compares expires with the given instant", () => {
    expect(isKeyExpired({ expires: null }, now)).toBe(false);
    expect(isKeyExpired({ expires: "2030-01-01T00:00:01Z" }, now)).toBe(false);
    expect(isKeyExpired({ expires: "2030-01-01T00:00:00Z" }, now)).toBe(true);
  });

  it("refuses blocked keys", () => {
    expect(isKeyUsable({ expires: null, blocked: false }, now)).toBe(true);
    expect(isKeyUsable({ expires: null, blocked: true }, now)).toBe(false);
    expect(isKeyUsable({ expires: "2029-12-31T23:59:59Z", blocked: false }, now)).toBe(false);
  });
});
