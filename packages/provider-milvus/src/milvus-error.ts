import { UpstreamError } from "@vs/core";
import type { MilvusResponse } from "./milvus-transport.js";
import { MilvusErrorCode } from "./milvus-vocabulary.js";

// Some servers and the gRPC path report a missing collection with another code; these messages are unambiguous.
const COLLECTION_NOT_FOUND_MESSAGE =
  /collection not found|can't find collection|can not find collection|collection .{0,200} (?:does not exist|not exist)|CollectionNotExists/i;

export interface MilvusErrorContext {
  /** What the gateway was doing, e.g. `search in collection "docs"`. Never contains a credential. */
  operation?: string;
}

/**
 * Turns a Milvus answer with `code != 0` into the error the gateway answers with: whose fault it is decides the
 * status (404 missing collection, 400 bad parameter, 401 the store rejected the gateway's own credentials, 429
 * rate limited, 502 anything else), and the Milvus code and message are kept.
 */
export function milvusErrorFromResponse(response: Pick<MilvusResponse, "code" | "message">, context: MilvusErrorContext = {}): UpstreamError {
  const milvusMessage = typeof response.message === "string" && response.message !== "" ? response.message : "no message";
  const where = context.operation ? ` (${context.operation})` : "";
  const detail = `Milvus code ${response.code}: ${milvusMessage}`;
  const base = { upstream: "vector_store" as const, upstreamCode: response.code, upstreamMessage: milvusMessage };

  if (response.code === MilvusErrorCode.collectionNotFound || COLLECTION_NOT_FOUND_MESSAGE.test(milvusMessage)) {
    return new UpstreamError({ ...base, status: 404, message: `The vector store has no such collection${where}. ${detail}` });
  }
  switch (response.code) {
    case MilvusErrorCode.invalidParameter:
    case MilvusErrorCode.missingParameter:
    case MilvusErrorCode.invalidJsonBody:
      return new UpstreamError({ ...base, status: 400, message: `The vector store rejected the request as invalid${where}. ${detail}` });
    case MilvusErrorCode.notAuthenticated:
      return new UpstreamError({
        ...base,
        status: 401,
        message: `The vector store rejected the gateway's Milvus credentials${where}: check api_key / MILVUS_API_KEY in the gateway's configuration. ${detail}`,
      });
    case MilvusErrorCode.rateLimited:
      return new UpstreamError({ ...base, status: 429, isRetryable: true, message: `The vector store is rate limiting requests${where}. ${detail}` });
    default:
      return new UpstreamError({ ...base, status: 502, message: `The vector store answered with an error${where}. ${detail}` });
  }
}
