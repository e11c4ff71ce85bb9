import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BadRequestError, VsError } from "./errors.js";
import { parseInput } from "./validation.js";
import { vectorStoreSearchParamsSchema, filterSchema } from "./search.js";

function errorOf(fn: () => unknown): VsError {
  try {
    fn();
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("parseInput", () => {
  it("names every bad field by its path", () => {
    const error = errorOf(() =>
      parseInput(vectorStoreSearchParamsSchema, { vector_store_id: "c", litellm_embedding_model: "local/x", query: "", max_num_results: 51 }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toContain("query: must not be empty");
    expect(error.message).toContain("max_num_results:");
    expect(error.param).toBe("query");
  });

  it("names nested filter paths and unknown keys", () => {
    const schema = z.strictObject({ filters: filterSchema });
    const error = errorOf(() =>
      parseInput(schema, {
        filters: {
          type: "and",
          filters: [
            { key: "a", type: "eq", value: 1 },
            { key: "b", type: "like", value: 1 },
          ],
        },
        extra: 1,
      }),
    );
    expect(error.message).toContain("extra: unknown field");
    expect(error.message).toMatch(/filters/);
  });

  it("keeps provider parameters for the provider's own schema", () => {
    const parsed = parseInput(vectorStoreSearchParamsSchema, {
      vector_store_id: "c",
      litellm_embedding_model: "local/x",
      query: ["a", "b"],
      milvus_text_field: "text",
    });
    expect(parsed.custom_llm_provider).toBe("milvus");
    expect(parsed["milvus_text_field"]).toBe("text");
  });
});
