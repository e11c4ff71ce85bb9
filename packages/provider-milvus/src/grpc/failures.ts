import { AbortedError, UpstreamError, UpstreamTimeoutError, VsError } from "@vs/core";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { MilvusAnswer, RestMessage, failedAnswer, statusOf } from "./answers.js";

/** Deadlines, aborts and failures of a translated call: what is answered (REST v2 codes) and what is thrown. */

/** gRPC status codes (grpc/status.proto) the transport tells apart. */
const GrpcStatus = { cancelled: 1, deadlineExceeded: 4, permissionDenied: 7, unavailable: 14, unauthenticated: 16 } as const;

/** Settles with `work`, unless the call's time runs out (504) or its caller aborts (499) first. */
export function settleWithin(work: Promise<MilvusResponse>, timeoutMs: number, signal: AbortSignal | undefined): Promise<MilvusResponse> {
  // The SDK cannot cancel an RPC in flight: a call given up on finishes in the background, bounded by its deadline.
  work.catch(() => undefined);
  return new Promise<MilvusResponse>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new UpstreamTimeoutError("vector_store", timeoutMs))), timeoutMs);
    const onAbort = () => finish(() => reject(new AbortedError(signal?.reason)));
    signal?.addEventListener("abort", onAbort, { once: true });
    let done = false;
    function finish(settle: () => void): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      settle();
    }
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

export interface FailureContext {
  displayAddress: string;
  /** Known once connected: Milvus Lite's error codes need translating. */
  isMilvusLite: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

interface GrpcServiceError {
  code: number;
  details: string;
}

function isGrpcServiceError(error: unknown): error is GrpcServiceError & Error {
  return (
    error instanceof Error &&
    typeof (error as Partial<GrpcServiceError>).code === "number" &&
    typeof (error as Partial<GrpcServiceError>).details === "string" &&
    "metadata" in error
  );
}

/**
 * What a failure inside a translation becomes: Milvus's answers (and the SDK's refusals of a body, which the REST
 * server would have refused too) are returned; failing to reach Milvus at all is thrown.
 */
export function answerOrThrow(error: unknown, endpoint: string, failure: FailureContext): MilvusResponse {
  if (error instanceof MilvusAnswer) return error.response;
  if (failure.signal?.aborted) throw new AbortedError(failure.signal.reason);
  if (VsError.isInstance(error)) throw error;
  if (isGrpcServiceError(error)) {
    switch (error.code) {
      case GrpcStatus.deadlineExceeded:
        throw new UpstreamTimeoutError("vector_store", failure.timeoutMs, error);
      case GrpcStatus.unauthenticated:
        return { code: MilvusErrorCode.notAuthenticated, message: `user hasn't authenticated: ${error.details}` };
      case GrpcStatus.permissionDenied:
        return { code: MilvusErrorCode.privilegeNotPermitted, message: `privilege not permitted: ${error.details}` };
      case GrpcStatus.unavailable:
        throw new UpstreamError({
          upstream: "vector_store",
          status: 502,
          isRetryable: true,
          message: `Could not reach Milvus at ${failure.displayAddress} over gRPC: ${error.details || "unavailable"}.`,
          cause: error,
        });
      default:
        throw new UpstreamError({
          upstream: "vector_store",
          status: 502,
          upstreamCode: `grpc_${error.code}`,
          isRetryable: error.code === GrpcStatus.cancelled,
          message: `Milvus at ${failure.displayAddress} failed the gRPC call (status ${error.code}): ${error.details || error.message}.`,
          cause: error,
        });
    }
  }
  // The SDK throws the failed status (or the whole failed answer) of some calls instead of returning it.
  const thrownStatus = statusOf(error);
  if (thrownStatus !== undefined) {
    const failed = failedAnswer(thrownStatus, failure.isMilvusLite);
    if (failed !== undefined) return failed;
  }
  // The SDK refuses bodies it cannot encode with a plain Error; the REST server refuses the same bodies as invalid.
  if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype) {
    if (endpoint === "entities/insert" || endpoint === "entities/upsert") {
      return { code: MilvusErrorCode.invalidInsertData, message: `${RestMessage.invalidInsertData}, error: ${error.message}` };
    }
    return { code: MilvusErrorCode.invalidParameter, message: `${error.message}: invalid parameter` };
  }
  throw new UpstreamError({
    upstream: "vector_store",
    status: 502,
    message: `Milvus at ${failure.displayAddress} gave an answer the gRPC transport could not translate (${endpoint}): ${error instanceof Error ? error.message : String(error)}.`,
    cause: error,
  });
}
