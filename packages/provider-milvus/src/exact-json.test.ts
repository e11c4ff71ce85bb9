import { describe, expect, it } from "vitest";
import { containsRawJson, isRawJson, parseJsonExact, rawIntegersToStrings, scanJson } from "./exact-json.js";

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
  });
});
