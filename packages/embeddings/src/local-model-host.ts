import { Worker } from "node:worker_threads";
import { AbortedError, ServiceUnavailableError, UpstreamError } from "@vs/core";
import type { EmbedRequest, WorkerMessage } from "./local-model-protocol.js";

/** One batch as the worker computed it: `rows × dimensions` floats, before scaling to unit length. */
export interface LocalBatchOutput {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dimensions: number;
  readonly tokens: number;
}

// From dist this is the compiled sibling; tests import the source, where only the `.ts` file exists (Node 24 strips
// its types). The literal `new URL("./….js", import.meta.url)` is what bundlers recognise as a worker entry.
function workerUrl(): URL {
  const compiled = new URL("./local-model-worker.js", import.meta.url);
  return import.meta.url.endsWith(".ts") ? new URL("./local-model-worker.ts", import.meta.url) : compiled;
}

interface Job {
  readonly texts: readonly string[];
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  resolve(output: LocalBatchOutput): void;
  reject(error: unknown): void;
}

/** One worker thread and the request it is answering; it is thrown away when it exits, and a later call starts another. */
class WorkerConnection {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  #dead = false;
  #rejectReady: (error: Error) => void = () => undefined;
  #pending: { id: number; resolve(output: LocalBatchOutput): void; reject(error: unknown): void } | undefined;
  #nextId = 1;

  constructor(url: URL) {
    this.worker = new Worker(url);
    // Idle, it must not keep the process alive; `LocalModelHost` refs it while callers wait.
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.#rejectReady = reject;
      this.worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") resolve();
        else if (message.type === "load-error") reject(new Error(message.message));
        else this.#answer(message);
      });
    });
    // Callers see load failures through `ready`; this only keeps an unobserved rejection from being reported.
    this.ready.catch(() => undefined);
    const failed = (reason: string, cause?: unknown): void =>
      this.#stop(new Error(reason, { cause }), new UpstreamError({ upstream: "embedding", message: `The local embedding model failed: ${reason}`, cause }));
    this.worker.on("error", (error) => failed(`its worker thread failed: ${error.message}`, error));
    this.worker.on("exit", (code) => failed(`its worker thread exited with code ${code}`));
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Ends the thread; a load or a request still waiting fails with `error`. */
  terminate(error: Error): Promise<number> {
    this.#stop(error, error);
    return this.worker.terminate();
  }

  #stop(loadError: Error, requestError: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#rejectReady(loadError);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(requestError);
  }

  request(texts: readonly string[]): Promise<LocalBatchOutput> {
    if (this.dead)
      return Promise.reject(new UpstreamError({ upstream: "embedding", message: "The local embedding model failed: its worker thread has stopped" }));
    const id = this.#nextId++;
    return new Promise<LocalBatchOutput>((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.worker.postMessage({ type: "embed", id, texts } satisfies EmbedRequest);
    });
  }

  #answer(message: Extract<WorkerMessage, { id: number }>): void {
    const pending = this.#pending;
    if (pending === undefined || pending.id !== message.id) return;
    this.#pending = undefined;
    if (message.type === "error") {
      pending.reject(new UpstreamError({ upstream: "embedding", message: message.message }));
    } else if (message.data.length !== message.rows * message.dimensions) {
      pending.reject(
        new UpstreamError({
          upstream: "embedding",
          message: `The local embedding model returned ${message.data.length} values for ${message.rows} vectors of ${message.dimensions}.`,
        }),
      );
    } else {
      pending.resolve({ data: message.data, rows: message.rows, dimensions: message.dimensions, tokens: message.tokens });
    }
  }
}

/**
 * Owns the worker that runs the local model: started on the first request, fed one batch at a time in arrival order
 * (one forward pass at a time is all the single-threaded WebAssembly backend does; queued passes in the worker would
 * only hold memory and could not be withdrawn). A caller that aborts leaves the queue at once; if its batch is already
 * running, its answer is dropped when it comes.
 */
export class LocalModelHost {
  readonly #workerUrl: URL;
  #connection: WorkerConnection | undefined;
  #queue: Job[] = [];
  #pumping = false;
  #closed = false;

  /** `workerUrl` is for tests that need a worker that fails. */
  constructor(options: { workerUrl?: URL } = {}) {
    this.#workerUrl = options.workerUrl ?? workerUrl();
  }

  run(texts: readonly string[], signal?: AbortSignal): Promise<LocalBatchOutput> {
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
    if (this.#closed) return Promise.reject(closedError());
    return new Promise<LocalBatchOutput>((resolve, reject) => {
      const onAbort = (): void => {
        const position = this.#queue.indexOf(job);
        if (position >= 0) this.#queue.splice(position, 1);
        settle(() => reject(new AbortedError(signal?.reason)));
      };
      const settle = (finish: () => void): void => {
        if (job.settled) return;
        job.settled = true;
        signal?.removeEventListener("abort", onAbort);
        finish();
      };
      const job: Job = {
        texts,
        signal,
        settled: false,
        resolve: (output) => settle(() => resolve(output)),
        reject: (error) => settle(() => reject(error)),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(job);
      void this.#pump();
    });
  }

  /** Ends the worker; calls still waiting fail with 503, since no answer will come. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(closedError());
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) await connection.terminate(closedError());
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let connection: WorkerConnection | undefined;
        try {
          connection = this.#connect();
          connection.worker.ref();
          await connection.ready;
        } catch (error) {
          // Forgotten, so that the next call tries to load again; everyone waiting for this load gets its failure.
          if (connection !== undefined) {
            if (this.#connection === connection) this.#connection = undefined;
            void connection.terminate(error instanceof Error ? error : new Error(String(error)));
          }
          const unavailable = new ServiceUnavailableError(
            `The local embedding model could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
            {
              code: "embedding_model_unavailable",
              cause: error,
            },
          );
          for (const job of this.#queue.splice(0)) job.reject(unavailable);
          continue;
        }
        const job = this.#queue.shift();
        if (job === undefined) break;
        try {
          job.resolve(await connection.request(job.texts));
        } catch (error) {
          job.reject(error);
        }
      }
    } finally {
      this.#pumping = false;
      const connection = this.#connection;
      if (connection !== undefined && !connection.dead) connection.worker.unref();
    }
  }

  #connect(): WorkerConnection {
    if (this.#connection === undefined || this.#connection.dead) this.#connection = new WorkerConnection(this.#workerUrl);
    return this.#connection;
  }
}

function closedError(): ServiceUnavailableError {
  return new ServiceUnavailableError("The local embedding model was closed.", { code: "embedding_model_unavailable" });
}
