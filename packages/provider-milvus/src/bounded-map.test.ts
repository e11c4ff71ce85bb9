import { describe, expect, it } from "vitest";
import { BoundedMap, MAX_CACHED_COLLECTIONS } from "./bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the first-inserted entry once past its bound; reads do not reorder", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    expect(map.get("a")).toBe(1);
    map.set("c", 3);
    expect(map.size).toBe(2);
    expect(map.get("a")).toBeUndefined();
    expect(map.get("b")).toBe(2);
    expect(map.get("c")).toBe(3);
  });

  it("replaces a value in place, deletes and clears", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 10);
    expect(map.size).toBe(2);
    expect(map.get("a")).toBe(10);
    expect(map.delete("b")).toBe(true);
    map.clear();
    expect(map.size).toBe(0);
  });

  it("is bounded by default", () => {
    const map = new BoundedMap<number, number>();
    for (let index = 0; index <= MAX_CACHED_COLLECTIONS; index += 1) map.set(index, index);
    expect(map.size).toBe(MAX_CACHED_COLLECTIONS);
    expect(map.get(0)).toBeUndefined();
  });
});
