import { describe, expect, it } from "vitest";
import { closestName, editDistance } from "./did-you-mean.js";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and neighbour swaps as one edit each", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("", "ab")).toBe(2);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("databse_url", "database_url")).toBe(1);
    expect(editDistance("vector_store_regsitry", "vector_store_registry")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("master_key", "master_key")).toBe(0);
  });

  it("is symmetric", () => {
    for (const [a, b] of [
      ["flaw", "lawn"],
      ["gumbo", "gambol"],
      ["abcdef", "badcfe"],
    ] as const) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
    }
  });
});

describe("closestName", () => {
  const keys = ["master_key", "database_url", "data_dir", "log_level"];

  it("suggests the closest known name for a typo, ignoring case", () => {
    expect(closestName("databse_url", keys)).toBe("database_url");
    expect(closestName("DATABASE_URL", keys)).toBe("database_url");
    expect(closestName("masterkey", keys)).toBe("master_key");
    expect(closestName("vector_store_regsitry", ["model_list", "vector_store_registry", "general_settings"])).toBe("vector_store_registry");
  });

  it("suggests nothing when no name is plausibly meant", () => {
    expect(closestName("completely_different", keys)).toBeUndefined();
    expect(closestName("x", keys)).toBeUndefined();
    expect(closestName("anything", [])).toBeUndefined();
  });

  it("prefers the nearest candidate, then the earlier one", () => {
    expect(closestName("data_dri", ["database_url", "data_dir"])).toBe("data_dir");
    expect(closestName("rpn", ["rpm", "tpn"])).toBe("rpm");
  });
});
