import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AbortedError, BadRequestError, UpstreamError, UpstreamTimeoutError, VsError } from "@vs/core";
import { createEmbeddingModel, DEFAULT_AZURE_API_VERSION } from "./index.js";
import { FakeEmbeddingServer } from "@vs/test-support";

const API_KEY = "sk-test-1234567890abcdefSECRET";
const AZURE_KEY = "azure-key-0123456789abcdef";

let server: FakeEmbeddingServer;

beforeAll(async () => {
  server = await new FakeEmbeddingServer(3).start();
});
afterEach(() => {
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
});

async function failure(promise: Promise<unknown>): Promise<VsError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (caught: unknown) => caught,
  );
  if (!VsError.isInstance(error)) throw error;
  return error;
}

function openai(config: Record<string, unknown> = {}, env: Record<string, string | undefined> = {}) {
  return createEmbeddingModel("openai/text-embedding-3-small", { api_base: `${server.baseUrl}/v1/`, api_key: API_KEY, ...config }, { env });
}

describe("openai/", () => {
  it("posts {model, input, dimensions, encoding_format} with a Bearer key to {api_base}/embeddings and orders vectors by index", async () => {
    const model = openai({ dimensions: 3 });
    const result = await model.embed(["one", "three", "fifteen"]);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/embeddings");
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers["api-key"]).toBeUndefined();
    expect(request?.body).toEqual({ model: "text-embedding-3-small", input: ["one", "three", "fifteen"], dimensions: 3, encoding_format: "base64" });
    // The fake server lists data in reverse; `index` puts each vector back with its text.
    expect(result.vectors).toEqual([server.vectorFor("one"), server.vectorFor("three"), server.vectorFor("fifteen")]);
    expect(result.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(model.provider).toBe("openai");
    expect(model.modelId).toBe("text-embedding-3-small");
    expect(model.dimensions).toBe(3);
    expect(model.maxInputsPerCall).toBe(2048);
  });

  it("sends no dimensions unless configured, passes unknown config keys to the body and drops LiteLLM client settings", async () => {
    await openai({ user: "team-a", timeout: 30 }).embed(["hello"]);
    expect(server.requests[0]?.body).toEqual({ model: "text-embedding-3-small", input: ["hello"], encoding_format: "base64", user: "team-a" });
  });

  it("reads base64 answers (little-endian float32) as exact float32 values, and refuses a base64 that is not", async () => {
    const floats = new Float32Array([0.1, -0.25, 3.5e-7]);
    const base64 = Buffer.from(floats.buffer).toString("base64");
    server.reply({
      status: 200,
      body: { object: "list", data: [{ object: "embedding", index: 0, embedding: base64 }], model: "m", usage: { prompt_tokens: 1, total_tokens: 1 } },
    });
    expect((await openai().embed(["hello"])).vectors).toEqual([[...floats]]);
    for (const embedding of [base64.slice(0, 7), Buffer.from(new Float32Array([1, Number.NaN, 2]).buffer).toString("base64")]) {
      server.reply({ status: 200, body: { object: "list", data: [{ object: "embedding", index: 0, embedding }], model: "m" } });
      await expect(openai({ max_retries: 0 }).embed(["hello"])).rejects.toMatchObject({
        status: 502,
        message: expect.stringContaining("data.0.embedding: not base64 of finite float32 values"),
      });
    }
  });

  it("keeps the connection alive between calls", async () => {
    const model = openai();
    for (const text of ["a", "b", "c", "d", "e", "f"]) await model.embed([text]);
    expect(server.requests).toHaveLength(6);
    // undici may open a second connection while the first is being released, but it reuses them after that.
    const connections = new Set(server.requests.map((request) => request.clientPort));
    expect(connections.size).toBeLessThanOrEqual(2);
  });

  it("identity names the base, model and dimensions but never the key; the cost comes from the config", () => {
    const model = openai({ dimensions: 3, input_cost_per_token: 0.000001 });
    expect(model.identity).toBe(`openai|${server.baseUrl}/v1|text-embedding-3-small|3`);
    expect(model.identity).not.toContain(API_KEY);
    expect(model.inputCostPerToken).toBe(0.000001);
  });

  it("knows OpenAI's own models' sizes and prices", () => {
    const model = createEmbeddingModel("openai/text-embedding-3-large", { api_key: API_KEY }, { env: {} });
    expect(model.dimensions).toBe(3072);
    expect(model.inputCostPerToken).toBeCloseTo(0.13 / 1_000_000, 15);
    expect(model.identity).toBe("openai|https://api.openai.com/v1|text-embedding-3-large|3072");
  });

  it("talks to an OpenAI-compatible server without a key, and does not hand it the environment's OpenAI key", async () => {
    const model = createEmbeddingModel("openai/all-minilm", { api_base: `${server.baseUrl}/v1` }, { env: { OPENAI_API_KEY: API_KEY } });
    const result = await model.embed(["hi"]);
    expect(result.vectors).toEqual([server.vectorFor("hi")]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(model.inputCostPerToken).toBe(0);
  });

  it("gives Nomic models served over the OpenAI API their search_query: / search_document: prefixes", async () => {
    const model = createEmbeddingModel("openai/nomic-embed-text", { api_base: `${server.baseUrl}/v1` }, { env: {} });
    await model.embed(["hi"], { inputType: "query" });
    await model.embed(["hi"]);
    expect(server.requests.map((request) => request.body.input)).toEqual([["search_query: hi"], ["search_document: hi"]]);
  });

  it("falls back to OPENAI_API_BASE and OPENAI_API_KEY", async () => {
    const model = createEmbeddingModel("openai/text-embedding-3-small", {}, { env: { OPENAI_API_BASE: `${server.baseUrl}/v1`, OPENAI_API_KEY: API_KEY } });
    await model.embed(["hi"]);
    expect(server.requests[0]?.url).toBe("/v1/embeddings");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("requires a key for OpenAI itself, naming the config key and the environment variable", () => {
    let error: unknown;
    try {
      createEmbeddingModel("openai/text-embedding-3-small", {}, { env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).param).toBe("litellm_embedding_config.api_key");
    expect((error as BadRequestError).message).toContain("OPENAI_API_KEY");
  });

  it("splits inputs beyond 2048 into several requests and keeps the order", async () => {
    const texts = Array.from({ length: 4100 }, (_, position) => "w ".repeat(position % 7) + `t${position}`);
    const result = await openai().embed(texts);
    expect(server.requests.map((request) => (request.body.input as string[]).length)).toEqual([2048, 2048, 4]);
    expect(server.requests[2]?.body.input).toEqual(texts.slice(4096));
    expect(result.vectors).toHaveLength(4100);
    expect(result.vectors[4099]).toEqual(server.vectorFor(texts[4099] as string));
    expect(result.vectors[2048]).toEqual(server.vectorFor(texts[2048] as string));
    const words = texts.reduce((sum, text) => sum + text.split(" ").length, 0);
    expect(result.usage).toEqual({ prompt_tokens: words, total_tokens: words });
  });

  it("answers an empty input without calling the upstream", async () => {
    expect(await openai().embed([])).toEqual({ vectors: [], usage: { prompt_tokens: 0, total_tokens: 0 } });
    expect(server.requests).toHaveLength(0);
  });
});

describe("azure/", () => {
  it("posts {input, dimensions} with an api-key header to the deployment URL with api-version", async () => {
    const model = createEmbeddingModel(
      "azure/my-embedding-deployment",
      { api_base: `${server.baseUrl}/`, api_key: AZURE_KEY, api_version: "2024-06-01", dimensions: 3 },
      { env: {} },
    );
    const result = await model.embed(["alpha", "be"]);
    const [request] = server.requests;
    expect(request?.url).toBe("/openai/deployments/my-embedding-deployment/embeddings?api-version=2024-06-01");
    expect(request?.headers["api-key"]).toBe(AZURE_KEY);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({ input: ["alpha", "be"], dimensions: 3 });
    expect(result.vectors).toEqual([server.vectorFor("alpha"), server.vectorFor("be")]);
    expect(model.provider).toBe("azure");
    expect(model.identity).toBe(`azure|${server.baseUrl}|my-embedding-deployment|3`);
  });

  it("reads AZURE_API_BASE, AZURE_API_KEY and AZURE_API_VERSION, and defaults the version", async () => {
    const env = { AZURE_API_BASE: `${server.baseUrl}/openai/`, AZURE_API_KEY: AZURE_KEY };
    await createEmbeddingModel("azure/text-embedding-3-large", {}, { env: { ...env, AZURE_API_VERSION: "2025-01-01" } }).embed(["x"]);
    const model = createEmbeddingModel("azure/text-embedding-3-large", {}, { env });
    await model.embed(["x"]);
    expect(server.requests.map((request) => request.url)).toEqual([
      "/openai/deployments/text-embedding-3-large/embeddings?api-version=2025-01-01",
      `/openai/deployments/text-embedding-3-large/embeddings?api-version=${DEFAULT_AZURE_API_VERSION}`,
    ]);
    expect(server.requests[1]?.headers["api-key"]).toBe(AZURE_KEY);
    expect(server.requests[1]?.body).toEqual({ input: ["x"] });
    expect(model.inputCostPerToken).toBeCloseTo(1.43e-7, 15); // Azure's own price in LiteLLM's map, for the model the deployment is named after
  });

  it("names the missing setting and its environment variable", () => {
    const attempt = (config: Record<string, string>): BadRequestError => {
      try {
        createEmbeddingModel("azure/deployment", config, { env: {} });
      } catch (error) {
        if (BadRequestError.isInstance(error)) return error;
        throw error;
      }
      throw new Error("expected a BadRequestError");
    };
    const noBase = attempt({ api_key: AZURE_KEY });
    expect(noBase.param).toBe("litellm_embedding_config.api_base");
    expect(noBase.message).toContain("AZURE_API_BASE");
    const noKey = attempt({ api_base: server.baseUrl });
    expect(noKey.param).toBe("litellm_embedding_config.api_key");
    expect(noKey.message).toContain("AZURE_API_KEY");
  });
});

describe("model names and config", () => {
  it.each(["text-embedding-3-small", "anthropic/claude-3", "/x", "openai/"])("rejects %j naming litellm_embedding_model", (name) => {
    let error: unknown;
    try {
      createEmbeddingModel(name, {}, { env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).param).toBe("litellm_embedding_model");
    expect((error as BadRequestError).message).toContain("litellm_embedding_model");
    if (name !== "openai/")
      expect((error as BadRequestError).message).toContain(
        "openai/, azure/, cohere/, bedrock/, vertex_ai/, gemini/, voyage/, mistral/, jina_ai/, ollama/, huggingface/, nvidia_nim/, together_ai/, fireworks_ai/, local/",
      );
  });

  it("rejects a bad config field by name", () => {
    expect(() => createEmbeddingModel("openai/m", { api_base: server.baseUrl, timeout_ms: -5 }, { env: {} })).toThrow(/litellm_embedding_config\.timeout_ms/);
    expect(() => createEmbeddingModel("openai/m", { api_base: "ftp://example.com" }, { env: {} })).toThrow(BadRequestError);
  });
});

describe("retries, timeouts and errors", () => {
  it("retries a 429 after its retry-after, then succeeds", async () => {
    server.reply(FakeEmbeddingServer.error(429, "Rate limit reached", "rate_limit_exceeded", { "retry-after": "1" }));
    const result = await openai().embed(["again"]);
    expect(server.requests).toHaveLength(2);
    expect(result.vectors).toEqual([server.vectorFor("again")]);
  });

  it("retries a 503 with backoff, then succeeds", async () => {
    server.reply(FakeEmbeddingServer.error(503, "The service is temporarily unavailable"));
    const result = await openai().embed(["again"]);
    expect(server.requests).toHaveLength(2);
    expect(result.vectors).toEqual([server.vectorFor("again")]);
  });

  it("retries a dropped connection", async () => {
    server.reply("reset");
    const result = await openai().embed(["again"]);
    expect(server.requests).toHaveLength(2);
    expect(result.vectors).toHaveLength(1);
  });

  it("gives up after max_retries and answers 429 with the upstream's message and code", async () => {
    server.reply(
      ...Array.from({ length: 3 }, () => FakeEmbeddingServer.error(429, "Rate limit reached for requests", "rate_limit_exceeded", { "retry-after": "0" })),
    );
    const error = await failure(openai({ max_retries: 2 }).embed(["x"]));
    expect(server.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(429);
    expect((error as UpstreamError).upstreamStatus).toBe(429);
    expect(error.code).toBe("embedding_error:rate_limit_exceeded");
    expect(error.message).toBe("openai embedding request failed (HTTP 429): Rate limit reached for requests");
  });

  it("does not retry a 400 and answers 400 with the upstream's message", async () => {
    server.reply(FakeEmbeddingServer.error(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded"));
    const error = await failure(openai().embed(["very long"]));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(400);
    expect(error.code).toBe("embedding_error:context_length_exceeded");
    expect(error.message).toContain("maximum context length is 8192 tokens");
  });

  it("turns a rejected key into a 502 that blames the gateway's credentials and never shows the key", async () => {
    server.reply(
      FakeEmbeddingServer.error(401, `Incorrect API key provided: ${API_KEY}. You can find your API key at https://platform.openai.com.`, "invalid_api_key"),
    );
    const error = await failure(openai().embed(["x"]));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(502);
    expect((error as UpstreamError).upstreamStatus).toBe(401);
    expect(error.message).toContain("HTTP 401");
    expect(error.message).toContain("credentials");
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).not.toContain("SECRET");
    expect(JSON.stringify(error.toBody())).not.toContain("SECRET");
  });

  it("redacts the Azure key if the upstream echoes it, and uses the status as code when the body has none", async () => {
    server.reply({ status: 403, body: { error: { message: `key ${AZURE_KEY} is not allowed` } } });
    const model = createEmbeddingModel("azure/d", { api_base: server.baseUrl, api_key: AZURE_KEY }, { env: {} });
    const error = await failure(model.embed(["x"]));
    expect(error.status).toBe(502);
    expect(error.code).toBe("embedding_error:403");
    expect(error.message).not.toContain(AZURE_KEY);
    expect(error.message).toContain("[redacted]");
  });

  it("answers 404 for a missing deployment", async () => {
    server.reply(FakeEmbeddingServer.error(404, "The API deployment for this resource does not exist.", "DeploymentNotFound"));
    const model = createEmbeddingModel("azure/missing", { api_base: server.baseUrl, api_key: AZURE_KEY }, { env: {} });
    const error = await failure(model.embed(["x"]));
    expect(error.status).toBe(404);
    expect(error.code).toBe("embedding_error:DeploymentNotFound");
    expect(error.message).toContain('deployment "missing"');
  });

  it("answers 502 for a 5xx that outlives the retries", async () => {
    server.reply({ status: 500, body: "upstream exploded" });
    const error = await failure(openai({ max_retries: 0 }).embed(["x"]));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(502);
    expect(error.message).toBe("openai embedding request failed (HTTP 500): upstream exploded");
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const closed = await new FakeEmbeddingServer().start();
    const base = closed.baseUrl;
    await closed.close();
    const error = await failure(createEmbeddingModel("openai/m", { api_base: base, max_retries: 0 }, { env: {} }).embed(["x"]));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(502);
    expect(error.code).toBe("embedding_error:ECONNREFUSED");
  });

  it("rejects a response whose count does not match the inputs", async () => {
    server.reply({ status: 200, body: { data: [{ embedding: [1, 2, 3], index: 0 }], usage: { prompt_tokens: 1, total_tokens: 1 } } });
    const error = await failure(openai().embed(["a", "b"]));
    expect(error.status).toBe(502);
    expect(error.message).toContain("1 embeddings for 2 inputs");
  });

  it("times out with a 504 when the upstream does not answer within timeout_ms", async () => {
    server.reply("hang");
    const error = await failure(openai({ timeout_ms: 200 }).embed(["x"]));
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error.status).toBe(504);
    expect(server.requests).toHaveLength(1);
  });

  it("stops at once when the caller aborts, without retrying", async () => {
    server.reply("hang");
    const controller = new AbortController();
    const pending = openai().embed(["x"], { signal: controller.signal });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    const error = await failure(pending);
    expect(error).toBeInstanceOf(AbortedError);
    expect(server.requests).toHaveLength(1);
  });

  it("aborts during the backoff between retries", async () => {
    server.reply(FakeEmbeddingServer.error(503, "busy", null, { "retry-after": "10" }));
    const controller = new AbortController();
    const pending = openai().embed(["x"], { signal: controller.signal });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    expect(await failure(pending)).toBeInstanceOf(AbortedError);
    expect(server.requests).toHaveLength(1);
  });

  it("sends nothing when the signal is already aborted", async () => {
    const error = await failure(openai().embed(["x"], { signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(AbortedError);
    expect(server.requests).toHaveLength(0);
  });
});
