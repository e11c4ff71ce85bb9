import { BadRequestError, parseInput } from "@vs/core";
import { describe, expect, it } from "vitest";
import { chunkingStrategySchema, resolveChunkingStrategy, type ChunkingStrategyInput } from "./chunking-strategy.js";

function rejection(input: unknown): BadRequestError {
  try {
    resolveChunkingStrategy(input as ChunkingStrategyInput);
  } catch (error) {
    if (BadRequestError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe("resolveChunkingStrategy", () => {
  it("resolves auto and a missing strategy to OpenAI's 800 tokens with 400 overlap", () => {
    const auto = { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };
    expect(resolveChunkingStrategy({ type: "auto" })).toEqual(auto);
    expect(resolveChunkingStrategy()).toEqual(auto);
  });

  it("keeps a static strategy as given, at the limits too", () => {
    expect(resolveChunkingStrategy({ type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } })).toEqual({
      type: "static",
      static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 },
    });
    expect(resolveChunkingStrategy({ type: "static", static: { max_chunk_size_tokens: 4096, chunk_overlap_tokens: 0 } }).static).toEqual({
      max_chunk_size_tokens: 4096,
      chunk_overlap_tokens: 0,
    });
  });

  it.each([
    [99, 0, "chunking_strategy.static.max_chunk_size_tokens", "at least 100"],
    [4097, 0, "chunking_strategy.static.max_chunk_size_tokens", "at most 4096"],
    [800, 401, "chunking_strategy.static.chunk_overlap_tokens", "half of max_chunk_size_tokens (400)"],
    [101, 51, "chunking_strategy.static.chunk_overlap_tokens", "half of max_chunk_size_tokens (50)"],
    [800, -1, "chunking_strategy.static.chunk_overlap_tokens", "0 or more"],
    [800.5, 0, "chunking_strategy.static.max_chunk_size_tokens", "integer"],
  ])("rejects max %d / overlap %d naming %s", (max, overlap, param, message) => {
    const error = rejection({ type: "static", static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } });
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toContain(param);
    expect(error.message).toContain(message);
  });

  it("rejects unknown fields, a missing static block and an unknown type, naming them", () => {
    expect(rejection({ type: "auto", static: {} }).message).toContain("chunking_strategy.static: unknown field");
    expect(rejection({ type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400, extra: 1 } }).param).toBe(
      "chunking_strategy.static.extra",
    );
    expect(rejection({ type: "static" }).param).toBe("chunking_strategy.static");
    expect(rejection({ type: "dynamic" }).message).toContain('type must be "auto" or "static"');
  });
});

describe("chunkingStrategySchema", () => {
  it("reports the field path without a prefix when used in a larger schema", () => {
    const result = chunkingStrategySchema.safeParse({ type: "static", static: { max_chunk_size_tokens: 99, chunk_overlap_tokens: 0 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["static", "max_chunk_size_tokens"]);
    expect(() => parseInput(chunkingStrategySchema, { type: "static", static: { max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0 } })).toThrow(
      /static\.max_chunk_size_tokens: must be at most 4096/,
    );
  });
});
