import { VsError } from "@vs/core";
import { describe, expect, it } from "vitest";
import { parseProxyConfig } from "./config.js";

function failure(run: () => unknown): VsError {
  try {
    run();
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

const parse = (raw: Record<string, unknown>, env: Record<string, string | undefined> = {}) => parseProxyConfig(raw, { source: "config.yaml", env });
const store = (params: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) => ({
  vector_store_registry: [{ vector_store_name: "kb", litellm_params: { vector_store_id: "c", ...params }, ...entry }],
});
const model = (params: Record<string, unknown> = {}, entry: Record<string, unknown> = {}) => ({
  model_list: [{ model_name: "m", litellm_params: { model: "openai/text-embedding-3-small", ...params }, ...entry }],
});

describe("config keys", () => {
  it("stops on a misspelt key at every level, naming the path and the closest known name", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ vector_store_regsitry: [] }, "vector_store_regsitry: unknown key; did you mean vector_store_registry?"],
      [{ general_settings: { databse_url: "postgresql://db" } }, "general_settings.databse_url: unknown key; did you mean database_url?"],
      [{ general_settings: { master_ky: "sk-1234" } }, "general_settings.master_ky: unknown key; did you mean master_key?"],
      [model({}, { model_nme: "x" }), "model_list[0].model_nme: unknown key; did you mean model_name?"],
      [model({ api_bse: "http://x" }), "model_list[0].litellm_params.api_bse: unknown key; did you mean api_base?"],
      [model({ rpn: 10 }), "model_list[0].litellm_params.rpn: unknown key; did you mean rpm?"],
      [store({}, { vector_store_descripton: "x" }), "vector_store_registry[0].vector_store_descripton: unknown key; did you mean vector_store_description?"],
      [
        store({ litellm_embedding_config: { api_vesion: "1" } }),
        "vector_store_registry[0].litellm_params.litellm_embedding_config.api_vesion: unknown key; did you mean api_version?",
      ],
    ];
    for (const [raw, message] of cases) {
      const error = failure(() => parse(raw));
      expect(error.message).toBe(`Invalid config config.yaml: ${message}`);
      expect(error.code).toBe("invalid_config");
      expect(error.param).toBe(message.split(":")[0]);
    }
  });

  it("lists what vs reads when no known name is close, and reports every unknown key at once", () => {
    const error = failure(() => parse({ zzz: 1, general_settings: { qqqqqq: 1 } }));
    expect(error.message).toContain("zzz: unknown key (vs reads: vector_store_registry, model_list, guardrails, general_settings)");
    expect(error.message).toContain("general_settings.qqqqqq: unknown key (vs reads: master_key, database_url,");
  });

  it("drops the keys LiteLLM configs carry and vs does not read, and lists each path", () => {
    const { config, ignoredKeys } = parse({
      litellm_settings: { drop_params: true, success_callback: ["langfuse"] },
      router_settings: { routing_strategy: "simple-shuffle" },
      environment_variables: {},
      credential_list: [],
      mcp_servers: {},
      general_settings: { master_key: "sk-12345678", alerting: ["slack"], store_model_in_db: true, database_connection_pool_limit: 10 },
      ...model({ rpm: 10, tpm: 1000, timeout: 30, max_retries: 2 }, { model_info: { mode: "embedding", base_model: "x" } }),
      vector_store_registry: [
        { vector_store_name: "kb", vector_store_metadata: {}, litellm_params: { vector_store_id: "c", tpm: 5, milvus_text_field: "text" } },
      ],
    });
    expect(ignoredKeys).toEqual([
      "litellm_settings",
      "router_settings",
      "environment_variables",
      "credential_list",
      "mcp_servers",
      "general_settings.alerting",
      "general_settings.store_model_in_db",
      "general_settings.database_connection_pool_limit",
      "model_list[0].litellm_params.rpm",
      "model_list[0].litellm_params.tpm",
      "model_list[0].litellm_params.timeout",
      "vector_store_registry[0].vector_store_metadata",
      "vector_store_registry[0].litellm_params.tpm",
    ]);
    expect(config.general_settings.master_key).toBe("sk-12345678");
    expect(config.model_list[0]!.litellm_params).toEqual({ model: "openai/text-embedding-3-small", max_retries: 2 });
    // Provider parameters stay for the provider's own check.
    expect(config.vector_store_registry[0]!.litellm_params).toEqual({ vector_store_id: "c", custom_llm_provider: "milvus", milvus_text_field: "text" });
  });

  it("does not resolve os.environ references in dropped keys, only in kept ones", () => {
    const raw = {
      litellm_settings: { cache_params: { password: "os.environ/REDIS_PASSWORD_NOT_SET" } },
      general_settings: { master_key: "os.environ/KEY_FOR_TEST" },
    };
    expect(parse(raw, { KEY_FOR_TEST: "sk-from-env-0001" }).config.general_settings.master_key).toBe("sk-from-env-0001");
    expect(failure(() => parse(raw)).message).toContain("general_settings.master_key references environment variable KEY_FOR_TEST");
  });

  it("refuses LiteLLM store keys whose meaning dropping would change, saying what vs reads instead", () => {
    expect(failure(() => parse(store({ milvus_db_name: "other" }))).message).toBe(
      "Invalid config config.yaml: vector_store_registry[0].litellm_params.milvus_db_name: not supported; vs reads the database from dbName",
    );
    expect(failure(() => parse(store({ litellm_credential_name: "milvus" }))).message).toContain("vs does not read credential_list");
  });

  it("accepts a short master key (the reference page's sk-1234), not an empty one", () => {
    expect(parse({ general_settings: { master_key: "sk-1234" } }).config.general_settings.master_key).toBe("sk-1234");
    expect(failure(() => parse({ general_settings: { master_key: "" } })).message).toContain("general_settings.master_key: must not be empty");
  });
});
