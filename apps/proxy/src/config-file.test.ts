import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { VsError } from "@vs/core";
import { loadConfigFile, parseConfigText } from "./config-file.js";
import { startProxy } from "./server.js";

async function failure(run: () => Promise<unknown> | unknown): Promise<VsError> {
  try {
    await run();
  } catch (error) {
    if (VsError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("config file", () => {
  it("resolves os.environ references and names the key path of a missing variable", async () => {
    const yaml =
      "general_settings:\n  master_key: os.environ/KEY_FOR_TEST\nvector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_key: os.environ/MISSING_FOR_TEST\n";
    const error = await failure(() => parseConfigText(yaml, "config.yaml", { KEY_FOR_TEST: "sk-12345678" }));
    expect(error.message).toContain("vector_store_registry[0].litellm_params.api_key references environment variable MISSING_FOR_TEST");
    const config = parseConfigText(yaml, "config.yaml", { KEY_FOR_TEST: "sk-12345678", MISSING_FOR_TEST: "token" });
    expect(config.general_settings.master_key).toBe("sk-12345678");
    expect(config.vector_store_registry[0]!.litellm_params["api_key"]).toBe("token");
  });

  it("reports bad YAML with its line and a missing file by its path", async () => {
    expect((await failure(() => parseConfigText("a: [1, 2\nb: 3", "broken.yaml"))).message).toMatch(/broken.yaml is not valid YAML \(line \d+/);
    expect((await failure(() => loadConfigFile("/nonexistent/config.yaml"))).message).toBe("Config file not found: /nonexistent/config.yaml");
  });

  it("stops the start on a misspelt provider parameter, naming it", async () => {
    const directory = await mkdtemp(join(tmpdir(), "vs-config-"));
    try {
      const config = parseConfigText(
        "vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      milvus_textfield: text\n",
        "config.yaml",
      );
      const error = await failure(() =>
        startProxy({ config, port: 0, host: "127.0.0.1", dataDir: directory, logger: pino({ level: "silent" }), log: () => undefined }),
      );
      expect(error.message).toContain("vector_store_registry[0].litellm_params.milvus_textfield: unknown key; did you mean milvus_text_field?");
      const unknownModel = parseConfigText(
        "vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      litellm_embedding_model: not-listed\n",
        "config.yaml",
      );
      const modelError = await failure(() =>
        startProxy({ config: unknownModel, port: 0, host: "127.0.0.1", dataDir: directory, logger: pino({ level: "silent" }), log: () => undefined }),
      );
      expect(modelError.message).toContain("litellm_embedding_model");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("starts with a LiteLLM model_list using every known prefix, and stops on an unknown one naming its key path", async () => {
    const directory = await mkdtemp(join(tmpdir(), "vs-config-"));
    const models: Record<string, string> = {
      "openai/text-embedding-3-small": "api_key: sk-test",
      "azure/emb": "api_key: k\n        api_base: https://r.openai.azure.com",
      "cohere/embed-v4.0": "api_key: k",
      "bedrock/amazon.titan-embed-text-v2:0": "aws_region_name: us-east-1\n        aws_access_key_id: AKID\n        aws_secret_access_key: s",
      "bedrock/cohere.embed-multilingual-v3": "aws_region_name: us-east-1",
      "vertex_ai/text-embedding-005": "vertex_project: p\n        vertex_location: us-central1",
      "gemini/gemini-embedding-001": "api_key: k",
      "voyage/voyage-3.5": "api_key: k",
      "mistral/mistral-embed": "api_key: k",
      "jina_ai/jina-embeddings-v3": "api_key: k",
      "ollama/nomic-embed-text": "api_base: http://127.0.0.1:11434",
      "huggingface/BAAI/bge-small-en-v1.5": "api_base: http://127.0.0.1:8080",
      "nvidia_nim/nvidia/nv-embedqa-e5-v5": "api_key: k",
      "together_ai/BAAI/bge-base-en-v1.5": "api_key: k",
      "fireworks_ai/nomic-ai/nomic-embed-text-v1.5": "api_key: k",
    };
    const entries = Object.entries(models);
    const modelList = entries
      .map(
        ([model, params], index) =>
          `  - model_name: m${index}\n    litellm_params:\n        model: ${model}\n        ${params}\n    model_info:\n        mode: embedding\n`,
      )
      .join("");
    const stores = entries
      .map(
        (_, index) =>
          `  - vector_store_name: kb${index}\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      litellm_embedding_model: m${index}\n`,
      )
      .join("");
    const options = { port: 0, host: "127.0.0.1", dataDir: directory, logger: pino({ level: "silent" }), log: () => undefined };
    try {
      const proxy = await startProxy({ ...options, config: parseConfigText(`model_list:\n${modelList}vector_store_registry:\n${stores}`, "config.yaml") });
      expect(proxy.registry.list()).toHaveLength(entries.length);
      await proxy.close();
      const unknown = parseConfigText(
        "model_list:\n  - model_name: emb\n    litellm_params:\n        model: anthropic/claude-embed\nvector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      litellm_embedding_model: emb\n",
        "config.yaml",
      );
      const error = await failure(() => startProxy({ ...options, config: unknown }));
      expect(error.message).toContain('model_list[0].litellm_params.model "anthropic/claude-embed" has the unsupported provider "anthropic"');
      expect(error.message).toContain(
        "cohere/, bedrock/, vertex_ai/, gemini/, voyage/, mistral/, jina_ai/, ollama/, huggingface/, nvidia_nim/, together_ai/, fireworks_ai/",
      );
      const direct = parseConfigText(
        "vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      litellm_embedding_model: palm/embedding-gecko\n",
        "config.yaml",
      );
      expect((await failure(() => startProxy({ ...options, config: direct }))).message).toContain(
        'vector_store_registry[0].litellm_params.litellm_embedding_model "palm/embedding-gecko"',
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
