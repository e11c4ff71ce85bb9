import { describe, expect, it } from "vitest";
import { parseInput, VsError } from "@vs/core";
import { proxyConfigSchema, resolveSecretReferences } from "./config.js";

function errorOf(fn: () => unknown): VsError {
  try {
    fn();
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected an error");
}

describe("config", () => {
  it("resolves os.environ references and names the key path of a missing one", () => {
    const raw = {
      general_settings: { master_key: "os.environ/VS_KEY" },
      model_list: [{ model_name: "m", litellm_params: { model: "openai/x", api_key: "os.environ/NOPE" } }],
    };
    const error = errorOf(() => resolveSecretReferences(raw, { VS_KEY: "sk-12345678" }));
    expect(error.message).toContain("model_list[0].litellm_params.api_key references environment variable NOPE");
    expect(resolveSecretReferences({ a: ["os.environ/VS_KEY"] }, { VS_KEY: "v" })).toEqual({ a: ["v"] });
  });

  it("rejects a guardrail pattern that is not a regular expression, naming it", () => {
    const error = errorOf(() =>
      parseInput(
        proxyConfigSchema,
        { guardrails: [{ guardrail_name: "g", litellm_params: { guardrail: "block_patterns", patterns: ["ok", "(unclosed"] } }] },
        { what: "config" },
      ),
    );
    expect(error.message).toContain("guardrails[0].litellm_params.patterns[1]: not a valid regular expression");
  });

  it("rejects duplicate store names and fills defaults", () => {
    const config = proxyConfigSchema.parse({});
    expect(config.general_settings.max_request_body_bytes).toBe(1024 * 1024);
    expect(config.general_settings.embedding_cache.enabled).toBe(true);
    const error = errorOf(() =>
      parseInput(
        proxyConfigSchema,
        {
          vector_store_registry: [
            { vector_store_name: "a", litellm_params: { vector_store_id: "x" } },
            { vector_store_name: "a", litellm_params: { vector_store_id: "y" } },
          ],
        },
        { what: "config" },
      ),
    );
    expect(error.message).toContain("vector_store_registry[1].vector_store_name");
    expect(
      proxyConfigSchema.safeParse({
        vector_store_registry: [
          { vector_store_name: "a", litellm_params: { vector_store_id: "x" } },
          { vector_store_name: "b", litellm_params: { vector_store_id: "x" } },
        ],
      }).success,
    ).toBe(true);
    expect(
      proxyConfigSchema.safeParse({
        vector_store_registry: [
          { vector_store_name: "a", litellm_params: { vector_store_id: "x" } },
          { vector_store_name: "b", litellm_params: { vector_store_id: "a" } },
        ],
      }).success,
    ).toBe(false);
  });
});
