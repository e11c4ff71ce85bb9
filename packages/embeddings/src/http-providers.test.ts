import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, UpstreamError, VsError, type EmbeddingModel } from "@vs/core";
import { assertEmbeddingDimensions, createEmbeddingModel, lookupEmbeddingPrice } from "./index.js";
import { FakeEmbeddingServer, type RecordedRequest } from "@vs/test-support";

// Each provider against a server answering in the shape its documentation gives (request and response), over loopback.
const KEY = "provider-key-0123456789SECRET";
let server: FakeEmbeddingServer;

beforeAll(async () => {
  server = await new FakeEmbeddingServer(3).start();
});
afterEach(() => {
  server.requests.length = 0;
  server.responder = undefined;
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

function vec(text: string): number[] {
  return server.vectorFor(text);
}

function openAIShape(inputs: string[], usage: Record<string, number>) {
  return {
    status: 200,
    body: { object: "list", data: inputs.map((text, index) => ({ object: "embedding", embedding: vec(text), index })), model: "m", usage },
  };
}

async function bothModes(model: EmbeddingModel): Promise<[RecordedRequest, RecordedRequest]> {
  await model.embed(["find me"], { inputType: "query" });
  await model.embed(["a stored passage"], { inputType: "document" });
  expect(server.requests).toHaveLength(2);
  return [server.requests[0] as RecordedRequest, server.requests[1] as RecordedRequest];
}

describe("cohere/ (v2 embed)", () => {
  const cohere = (config: Record<string, unknown> = {}) =>
    createEmbeddingModel("cohere/embed-v4.0", { api_base: server.baseUrl, api_key: KEY, ...config }, { env: {} });
  const reply = (request: RecordedRequest) => {
    const texts = request.body.texts as string[];
    return {
      status: 200,
      body: { id: "x", embeddings: { float: texts.map(vec) }, texts, meta: { api_version: { version: "2" }, billed_units: { input_tokens: 7 } } },
    };
  };

  it("posts {model, texts, input_type, embedding_types, output_dimension} to /v2/embed and reads embeddings.float and billed_units", async () => {
    server.responder = reply;
    const model = cohere({ dimensions: 3 });
    const [query, document] = await bothModes(model);
    expect(query.url).toBe("/v2/embed");
    expect(query.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(query.body).toEqual({ model: "embed-v4.0", texts: ["find me"], input_type: "search_query", embedding_types: ["float"], output_dimension: 3 });
    expect(document.body.input_type).toBe("search_document");
    const result = await model.embed(["a", "bb"], { inputType: "query" });
    expect(result).toEqual({ vectors: [vec("a"), vec("bb")], usage: { prompt_tokens: 7, total_tokens: 7 } });
    expect(model.inputCostPerToken).toBe(1.2e-7);
  });

  it("takes LiteLLM's full endpoint as api_base, COHERE_API_KEY, and a config input_type overriding both modes", async () => {
    server.responder = reply;
    const model = createEmbeddingModel(
      "cohere/embed-english-v3.0",
      { api_base: `${server.baseUrl}/v2/embed`, input_type: "classification" },
      { env: { COHERE_API_KEY: KEY } },
    );
    const [query, document] = await bothModes(model);
    expect(query.url).toBe("/v2/embed");
    expect([query.body.input_type, document.body.input_type]).toEqual(["classification", "classification"]);
    expect(query.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("splits at 96 texts per call", async () => {
    server.responder = reply;
    const texts = Array.from({ length: 100 }, (_, index) => `t${index}`);
    const result = await cohere({ dimensions: 3 }).embed(texts);
    expect(server.requests.map((request) => (request.body.texts as string[]).length)).toEqual([96, 4]);
    expect(result.vectors[99]).toEqual(vec("t99"));
  });

  it("maps the documented {message} error, retries a 429 after retry-after, and redacts the key", async () => {
    server.reply(
      { status: 429, headers: { "retry-after": "0" }, body: { message: "too many requests" } },
      { status: 400, body: { id: "e", message: `invalid request: bad key ${KEY}` } },
    );
    const error = await failure(cohere({ max_retries: 1 }).embed(["x"]));
    expect(server.requests).toHaveLength(2);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("cohere embedding request failed (HTTP 400): invalid request: bad key [redacted]");
    expect(error.message).not.toContain(KEY);
  });

  it("rejects an answer without embeddings.float as a 502 naming the field", async () => {
    server.reply({ status: 200, body: { embeddings: [[1, 2, 3]] } });
    const error = await failure(cohere().embed(["x"]));
    expect(error.status).toBe(502);
    expect(error.message).toContain("cohere embedding response is invalid: embeddings");
  });

  it("needs a key: the error names the config field and the environment variables", () => {
    expect(() => createEmbeddingModel("cohere/embed-v4.0", {}, { env: {} })).toThrow(/litellm_embedding_config\.api_key or the COHERE_API_KEY \/ CO_API_KEY/);
  });
});

describe("OpenAI-shaped providers", () => {
  it("voyage/: input_type query|document, output_dimension, usage.total_tokens, {detail} errors", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { total_tokens: 5 });
    const model = createEmbeddingModel("voyage/voyage-3.5", { dimensions: 3 }, { env: { VOYAGE_API_BASE: `${server.baseUrl}/v1`, VOYAGE_API_KEY: KEY } });
    const [query, document] = await bothModes(model);
    expect(query.url).toBe("/v1/embeddings");
    expect(query.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(query.body).toEqual({ model: "voyage-3.5", input: ["find me"], input_type: "query", output_dimension: 3 });
    expect(document.body.input_type).toBe("document");
    expect((await model.embed(["q"], { inputType: "query" })).usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    server.reply({ status: 400, body: { detail: "Model voyage-9 is not supported." } });
    const error = await failure(model.embed(["x"]));
    expect(error.message).toContain("voyage embedding request failed (HTTP 400): Model voyage-9 is not supported.");
    expect(model.inputCostPerToken).toBe(6e-8);
  });

  it("mistral/: no mode parameter, MISTRAL_API_KEY", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { prompt_tokens: 2, total_tokens: 2 });
    const model = createEmbeddingModel("mistral/mistral-embed", {}, { env: { MISTRAL_API_BASE: `${server.baseUrl}/v1`, MISTRAL_API_KEY: KEY } });
    const [query, document] = await bothModes(model);
    expect(query.body).toEqual({ model: "mistral-embed", input: ["find me"] });
    expect(document.body).toEqual({ model: "mistral-embed", input: ["a stored passage"] });
    expect(query.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("jina_ai/: task retrieval.query|retrieval.passage on v3, none on v2", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { prompt_tokens: 2, total_tokens: 2 });
    const v3 = createEmbeddingModel("jina_ai/jina-embeddings-v3", { api_base: server.baseUrl, dimensions: 3 }, { env: { JINA_AI_API_KEY: KEY } });
    const [query, document] = await bothModes(v3);
    expect(query.body).toEqual({ model: "jina-embeddings-v3", input: ["find me"], task: "retrieval.query", embedding_type: "float", dimensions: 3 });
    expect(document.body.task).toBe("retrieval.passage");
    server.requests.length = 0;
    await createEmbeddingModel("jina_ai/jina-embeddings-v2-base-en", { api_base: server.baseUrl }, { env: { JINA_API_KEY: KEY } }).embed(["x"], {
      inputType: "query",
    });
    expect(server.requests[0]?.body).toEqual({ model: "jina-embeddings-v2-base-en", input: ["x"], embedding_type: "float" });
  });

  it("nvidia_nim/: input_type query|passage, at most 50 inputs per call", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { prompt_tokens: 1, total_tokens: 1 });
    const model = createEmbeddingModel("nvidia_nim/nvidia/nv-embedqa-e5-v5", { api_base: `${server.baseUrl}/v1` }, { env: { NVIDIA_NIM_API_KEY: KEY } });
    const [query, document] = await bothModes(model);
    expect(query.body).toEqual({ model: "nvidia/nv-embedqa-e5-v5", input: ["find me"], input_type: "query", encoding_format: "float" });
    expect(document.body.input_type).toBe("passage");
    expect(model.maxInputsPerCall).toBe(50);
  });

  it("together_ai/ and fireworks_ai/: OpenAI's body; Nomic on Fireworks gets its prefixes; query/document modes overridable", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { prompt_tokens: 1, total_tokens: 1 });
    const together = createEmbeddingModel("together_ai/BAAI/bge-base-en-v1.5", { api_base: `${server.baseUrl}/v1` }, { env: { TOGETHERAI_API_KEY: KEY } });
    const [togetherQuery] = await bothModes(together);
    expect(togetherQuery.body).toEqual({ model: "BAAI/bge-base-en-v1.5", input: ["find me"] });
    expect(together.inputCostPerToken).toBe(8e-9);
    server.requests.length = 0;
    const fireworks = createEmbeddingModel(
      "fireworks_ai/nomic-ai/nomic-embed-text-v1.5",
      { api_base: `${server.baseUrl}/inference/v1` },
      { env: { FIREWORKS_AI_API_KEY: KEY } },
    );
    const [query, document] = await bothModes(fireworks);
    expect(query.url).toBe("/inference/v1/embeddings");
    expect(query.body).toEqual({ model: "nomic-ai/nomic-embed-text-v1.5", input: ["search_query: find me"] });
    expect(document.body.input).toEqual(["search_document: a stored passage"]);
    server.requests.length = 0;
    const overridden = createEmbeddingModel(
      "fireworks_ai/nomic-ai/nomic-embed-text-v1.5",
      { api_base: server.baseUrl, query_input_type: "" },
      { env: { FIREWORKS_AI_API_KEY: KEY } },
    );
    await overridden.embed(["q"], { inputType: "query" });
    expect(server.requests[0]?.body.input).toEqual(["q"]);
  });

  it("sends an environment key only to the provider's own API or an environment base", async () => {
    server.responder = (request) => openAIShape(request.body.input as string[], { total_tokens: 1 });
    await createEmbeddingModel("voyage/voyage-3", { api_base: server.baseUrl }, { env: { VOYAGE_API_KEY: KEY } }).embed(["x"]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    await createEmbeddingModel("voyage/voyage-3", {}, { env: { VOYAGE_API_BASE: server.baseUrl, VOYAGE_API_KEY: KEY } }).embed(["x"]);
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(() => createEmbeddingModel("voyage/voyage-3", {}, { env: {} })).toThrow(/VOYAGE_API_KEY/);
  });
});

describe("ollama/ (native /api/embed)", () => {
  it("posts {model, input} to /api/embed, reads embeddings and prompt_eval_count; nomic-embed-text gets its prefixes", async () => {
    server.responder = (request) => ({
      status: 200,
      body: { model: "m", embeddings: (request.body.input as string[]).map(vec), total_duration: 1, load_duration: 1, prompt_eval_count: 4 },
    });
    const model = createEmbeddingModel("ollama/nomic-embed-text", { api_base: server.baseUrl }, { env: {} });
    const [query, document] = await bothModes(model);
    expect(query.url).toBe("/api/embed");
    expect(query.headers.authorization).toBeUndefined();
    expect(query.body).toEqual({ model: "nomic-embed-text", input: ["search_query: find me"] });
    expect(document.body.input).toEqual(["search_document: a stored passage"]);
    expect(await model.embed(["x"])).toEqual({ vectors: [vec("search_document: x")], usage: { prompt_tokens: 4, total_tokens: 4 } });
    expect(model.inputCostPerToken).toBe(0);
  });

  it("reads OLLAMA_API_BASE and maps {error} for a model not pulled to a 404", async () => {
    server.reply({ status: 404, body: { error: 'model "all-minilm" not found, try pulling it first' } });
    const error = await failure(createEmbeddingModel("ollama/all-minilm", {}, { env: { OLLAMA_API_BASE: server.baseUrl } }).embed(["x"]));
    expect(error.status).toBe(404);
    expect(error.message).toContain('model "all-minilm" not found');
    expect(error.message).toContain("ollama pull all-minilm");
  });
});

describe("huggingface/ (TEI and the Inference API)", () => {
  it("posts {inputs} to a TEI server's /embed and estimates usage (TEI reports none)", async () => {
    server.responder = (request) => ({ status: 200, body: (request.body.inputs as string[]).map(vec) });
    const model = createEmbeddingModel("huggingface/BAAI/bge-small-en-v1.5", { api_base: server.baseUrl, normalize: true }, { env: {} });
    const [query] = await bothModes(model);
    expect(query.url).toBe("/embed");
    expect(query.body).toEqual({ inputs: ["find me"], normalize: true });
    expect((await model.embed(["two words"])).usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(model.maxInputsPerCall).toBe(32);
  });

  it("sends TEI's prompt_name per mode when configured, HF_TOKEN as Bearer, and maps TEI's {error, error_type}", async () => {
    server.responder = (request) => ({ status: 200, body: (request.body.inputs as string[]).map(vec) });
    const model = createEmbeddingModel(
      "huggingface/intfloat/e5",
      { api_base: `${server.baseUrl}/embed`, query_input_type: "query", document_input_type: "passage" },
      { env: { HF_TOKEN: KEY } },
    );
    const [query, document] = await bothModes(model);
    expect(query.body).toEqual({ inputs: ["find me"], prompt_name: "query" });
    expect(document.body.prompt_name).toBe("passage");
    expect(query.headers.authorization).toBe(`Bearer ${KEY}`);
    server.reply({ status: 413, body: { error: "batch size 64 > maximum allowed batch size 32", error_type: "Validation" } });
    const error = await failure(model.embed(["x"]));
    expect(error.status).toBe(400);
    expect(error.message).toContain("batch size 64 > maximum allowed batch size 32");
  });

  it("without api_base uses the Inference API, which needs a token", () => {
    expect(() => createEmbeddingModel("huggingface/BAAI/bge-small-en-v1.5", {}, { env: {} })).toThrow(/HUGGINGFACE_API_KEY \/ HF_TOKEN/);
  });
});

describe("gemini/ (batchEmbedContents)", () => {
  it("posts one request per text with taskType and outputDimensionality, the key in x-goog-api-key, and reads embeddings[].values", async () => {
    server.responder = (request) => ({
      status: 200,
      body: {
        embeddings: (request.body.requests as Array<{ content: { parts: Array<{ text: string }> } }>).map((item) => ({
          values: vec(item.content.parts[0]!.text),
        })),
      },
    });
    const model = createEmbeddingModel("gemini/gemini-embedding-001", { api_base: server.baseUrl, dimensions: 3 }, { env: { GEMINI_API_KEY: KEY } });
    const [query, document] = await bothModes(model);
    expect(query.url).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(query.headers["x-goog-api-key"]).toBe(KEY);
    expect(query.url).not.toContain(KEY);
    expect(query.body).toEqual({
      requests: [{ model: "models/gemini-embedding-001", content: { parts: [{ text: "find me" }] }, taskType: "RETRIEVAL_QUERY", outputDimensionality: 3 }],
    });
    expect((document.body.requests as Array<{ taskType: string }>)[0]?.taskType).toBe("RETRIEVAL_DOCUMENT");
    expect(await model.embed(["a b c"])).toEqual({ vectors: [vec("a b c")], usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(model.inputCostPerToken).toBe(1.5e-7);
  });

  it("maps Google's {error: {code, message, status}} with the status as the code", async () => {
    server.reply({ status: 400, body: { error: { code: 400, message: `API key not valid: ${KEY}`, status: "INVALID_ARGUMENT" } } });
    const error = await failure(createEmbeddingModel("gemini/text-embedding-004", { api_base: server.baseUrl, api_key: KEY }, { env: {} }).embed(["x"]));
    expect(error.status).toBe(400);
    expect(error.code).toBe("embedding_error:INVALID_ARGUMENT");
    expect(error.message).toContain("API key not valid: [redacted]");
  });
});

describe("shared behaviour", () => {
  it("the price map: per provider, bare and prefixed keys, config override wins", () => {
    expect(lookupEmbeddingPrice("bedrock", "amazon.titan-embed-text-v2:0")?.input_cost_per_token).toBe(2e-8);
    expect(lookupEmbeddingPrice("vertex_ai", "text-embedding-005")?.input_cost_per_token).toBe(1e-7);
    expect(lookupEmbeddingPrice("cohere", "text-embedding-3-small")).toBeUndefined();
    const model = createEmbeddingModel("mistral/mistral-embed", { api_key: KEY, input_cost_per_token: 0.5 }, { env: {} });
    expect(model.inputCostPerToken).toBe(0.5);
    expect(createEmbeddingModel("mistral/mistral-embed", { api_key: KEY }, { env: {} }).inputCostPerToken).toBe(1e-7);
  });

  it("assertEmbeddingDimensions names the model, the field, the store and both sizes", () => {
    const model = createEmbeddingModel("cohere/embed-v4.0", { api_key: KEY }, { env: {} });
    expect(model.dimensions).toBe(1536);
    expect(() => assertEmbeddingDimensions(model, { name: "embedding", dimensions: 1536, store: "docs" })).not.toThrow();
    let error: unknown;
    try {
      assertEmbeddingDimensions(model, { name: "vector", dimensions: 768, store: "docs" }, [1, 2, 3]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).message).toMatch(
      /"cohere\/embed-v4\.0" returns 3-dimensional vectors, but the vector field "vector" of the store "docs" has 768/,
    );
  });
});
