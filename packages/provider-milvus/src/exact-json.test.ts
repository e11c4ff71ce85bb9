import { describe, expect, it } from "vitest";
import { containsRawJson, hasUnsafeIntegerLiteral, isRawJson, parseJsonExact, rawIntegersToStrings, scanJson } from "./exact-json.js";

describe("exact JSON", () => {
  it("keeps integers past 2^53 byte for byte as raw JSON, and leaves everything else to JSON.parse", () => {
    const text = '{"id":9007199254740993,"small":42,"float":1.5,"neg":-9223372036854775808,"s":"9007199254740993","e":1e+21}';
    const parsed = parseJsonExact(text, "raw") as Record<string, unknown>;
    expect(isRawJson(parsed["id"])).toBe(true);
    expect(parsed["small"]).toBe(42);
    expect(parsed["e"]).toBe(1e21);
    expect(JSON.stringify(parsed)).toBe(text);
    expect(containsRawJson(parsed)).toBe(true);
    expect(rawIntegersToStrings(parsed)).toEqual({
      id: "9007199254740993",
      small: 42,
      float: 1.5,
      neg: "-9223372036854775808",
      s: "9007199254740993",
      e: 1e21,
    });
    expect(parseJsonExact('{"data":[{"id":9007199254740993}]}', "string")).toEqual({ data: [{ id: "9007199254740993" }] });
  });

  it("scans depth, unsafe integers and top-level keys (duplicates and escapes included) without recursion", () => {
    expect(scanJson('{"a":{"b":[1,2,{"c":[]}]}}', 64)).toEqual({ hasUnsafeInteger: false, tooDeepAt: undefined, topLevelKeys: ["a"] });
    expect(scanJson('{"a":{"b":[1,2,{"c":[]}]}}', 4).tooDeepAt).toBe("a.b[2].c");
    expect(scanJson('{"k":"{[\\"","dbName":1,"db\\u004eame":2,"x y":[9007199254740993]}', 64)).toEqual({
      hasUnsafeInteger: true,
      tooDeepAt: undefined,
      topLevelKeys: ["k", "dbName", "dbName", "x y"],
    });
    expect(scanJson(`${"[".repeat(200_000)}${"]".repeat(200_000)}`, 64).tooDeepAt).toBe("[0]".repeat(64));
    expect(scanJson('[1234567890123456.5,-12345678901234567e0,1e400,123456789012345,"\\\\",900719925474099]', 64).hasUnsafeInteger).toBe(false);
    expect(scanJson('["a\\"b",-9007199254740993]', 64).hasUnsafeInteger).toBe(true);
    expect(scanJson('[-,1.,2e,"x\\\\"]', 64).hasUnsafeInteger).toBe(false);
    expect(scanJson('{"k\\\\":[9007199254740992]}', 64)).toEqual({ hasUnsafeInteger: true, tooDeepAt: undefined, topLevelKeys: ["k\\"] });
  });

  it("rules out unsafe integers without a walk only when no run of 16 digits exists", () => {
    expect(hasUnsafeIntegerLiteral('{"a":[0.1234567890123456]}')).toBe(false);
    expect(hasUnsafeIntegerLiteral('{"a":"12345678901234567"}')).toBe(false);
    expect(hasUnsafeIntegerLiteral('{"a":[1,9007199254740993]}')).toBe(true);
    expect(hasUnsafeIntegerLiteral('{"a":[1,2,3]}')).toBe(false);
  });
});
