/** Messages between the local embedding model's worker and the thread that owns it. Types only: the worker imports nothing at run time. */

export interface EmbedRequest {
  readonly type: "embed";
  readonly id: number;
  readonly texts: readonly string[];
}

export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "load-error"; readonly message: string }
  /** `data` holds `rows × dimensions` floats, row after row, as the model produced them (not yet unit length). */
  | { readonly type: "result"; readonly id: number; readonly data: Float32Array; readonly rows: number; readonly dimensions: number; readonly tokens: number }
  | { readonly type: "error"; readonly id: number; readonly message: string };
