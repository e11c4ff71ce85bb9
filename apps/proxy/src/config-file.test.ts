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
    const yaml = "general_settings:\n  master_key: os.environ/KEY_FOR_TEST\nvector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_key: os.environ/MISSING_FOR_TEST\n";
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
      const config = parseConfigText("vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      milvus_textfield: text\n", "config.yaml");
      const error = await failure(() => startProxy({ config, port: 0, host: "127.0.0.1", dataDir: directory, logger: pino({ level: "silent" }), log: () => undefined }));
      expect(error.message).toContain("vector_store_registry[0].litellm_params.milvus_textfield: unknown field");
      const unknownModel = parseConfigText("vector_store_registry:\n  - vector_store_name: kb\n    litellm_params:\n      vector_store_id: c\n      api_base: http://127.0.0.1:1\n      litellm_embedding_model: not-listed\n", "config.yaml");
      const modelError = await failure(() => startProxy({ config: unknownModel, port: 0, host: "127.0.0.1", dataDir: directory, logger: pino({ level: "silent" }), log: () => undefined }));
      expect(modelError.message).toContain("litellm_embedding_model");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
