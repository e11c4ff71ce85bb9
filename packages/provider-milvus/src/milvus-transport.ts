/**
 * A transport speaks Milvus REST v2: an endpoint path (`entities/search`, `collections/describe`, …, without the
 * `/v2/vectordb/` prefix), a REST v2 JSON body in, the REST v2 JSON body out (`{code, message?, data?, …}`).
 *
 * The REST transport sends it over HTTP; the gRPC transport translates each call into `@zilliz/milvus2-sdk-node`
 * calls and the answer back into the REST v2 shape, with the same codes. Search and the passthrough are written once
 * over this interface, so both transports behave the same.
 *
 * Contract:
 * - An answer with `code != 0` is RETURNED, not thrown: callers decide how to surface it (the search maps it to an
 *   `UpstreamError`; the passthrough hands it to the client as Milvus would).
 * - A failure to get an answer at all is THROWN: network/connection failure → `UpstreamError` (status 502,
 *   upstream "vector_store"), no answer within the timeout → `UpstreamTimeoutError` (504), the caller's signal
 *   aborted → `AbortedError`.
 * - Credentials never appear in a thrown message.
 */
export interface MilvusCallOptions {
  signal?: AbortSignal | undefined;
  /** Overrides the transport's default timeout for this call. */
  timeoutMs?: number | undefined;
  /**
   * `body` already written as JSON text, equal in meaning (the passthrough copies a client's vectors instead of
   * printing them again). The REST transport sends it as is; the gRPC transport, which translates `body`, ignores it.
   */
  encodedBody?: string | undefined;
}

export interface MilvusResponse {
  code: number;
  message?: string;
  data?: unknown;
  [key: string]: unknown;
}

export type MilvusTransportKind = "rest" | "grpc";

export interface MilvusTransport {
  readonly kind: MilvusTransportKind;
  call(endpoint: string, body: Record<string, unknown>, options?: MilvusCallOptions): Promise<MilvusResponse>;
  close(): Promise<void>;
}

/** Milvus answers `code: 0` on success; servers from the 2.3 era answered `200`. */
export function isMilvusSuccess(code: number): boolean {
  return code === 0 || code === 200;
}
