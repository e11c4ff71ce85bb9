import { NotFoundError, UpstreamError, UpstreamTimeoutError, VsError } from "@vs/core";

export interface PgvectorErrorContext {
  /** What the gateway was doing, e.g. `search table "docs"`. Never contains a credential. */
  operation: string;
  /** `postgresql://host:port/database`, without credentials. */
  displayAddress: string;
  /** The statement timeout in force, for the 504's message. */
  timeoutMs: number;
}

/** SQLSTATEs the gateway tells apart. */
export const PostgresErrorCode = {
  undefinedTable: "42P01",
  invalidSchemaName: "3F000",
  queryCanceled: "57014",
  invalidPassword: "28P01",
  invalidAuthorization: "28000",
  insufficientPrivilege: "42501",
  tooManyConnections: "53300",
  cannotConnectNow: "57P03",
  adminShutdown: "57P01",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
} as const;

/** Node's errors for a server that cannot be reached at all. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Turns what `pg` threw into the error the gateway answers with. PostgreSQL's SQLSTATE decides whose fault it is and
 * is kept as `vector_store_error:<SQLSTATE>`; PostgreSQL's message is kept (it never holds the password); the
 * connection string never appears.
 */
export function pgvectorErrorFrom(error: unknown, context: PgvectorErrorContext): VsError {
  if (VsError.isInstance(error)) return error;
  const where = ` (${context.operation})`;
  const code = errorCode(error);
  const message = error instanceof Error && error.message !== "" ? error.message : "no message";
  const upstream = "vector_store" as const;

  if (code !== undefined && SQLSTATE.test(code)) {
    const detail = `PostgreSQL ${code}: ${message}`;
    if (code === PostgresErrorCode.undefinedTable || code === PostgresErrorCode.invalidSchemaName) {
      return new NotFoundError(`The vector store has no such table${where}. ${detail}`, { param: "vector_store_id", code: `${upstream}_error:${code}` });
    }
    if (code === PostgresErrorCode.queryCanceled) return new UpstreamTimeoutError(upstream, context.timeoutMs, error);
    if (code === PostgresErrorCode.invalidPassword || code === PostgresErrorCode.invalidAuthorization) {
      return new UpstreamError({
        upstream,
        upstreamCode: code,
        status: 401,
        message: `PostgreSQL rejected the gateway's credentials${where}: check the user and password (api_base / database_url / api_key) in the gateway's configuration. ${detail}`,
        cause: error,
      });
    }
    const retryable =
      [
        PostgresErrorCode.tooManyConnections,
        PostgresErrorCode.cannotConnectNow,
        PostgresErrorCode.adminShutdown,
        PostgresErrorCode.serializationFailure,
        PostgresErrorCode.deadlockDetected,
      ].includes(code as never) || code.startsWith("08");
    // Class 22 (data exception: a vector of the wrong dimension) and class 42 (a misnamed column, a missing operator):
    // the request as configured cannot work, retrying will not help. A missing privilege is the gateway's setup.
    if ((code.startsWith("22") || code.startsWith("42")) && code !== PostgresErrorCode.insufficientPrivilege) {
      return new UpstreamError({
        upstream,
        upstreamCode: code,
        status: 400,
        message: `The vector store rejected the request as invalid${where}. ${detail}`,
        cause: error,
      });
    }
    return new UpstreamError({
      upstream,
      upstreamCode: code,
      status: 502,
      isRetryable: retryable,
      message: `The vector store answered with an error${where}. ${detail}`,
      cause: error,
    });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new UpstreamError({
      upstream,
      upstreamCode: code,
      status: 502,
      isRetryable: true,
      message: `Could not reach PostgreSQL at ${context.displayAddress}${where}: ${code}.`,
      cause: error,
    });
  }
  // pg's own errors ("Connection terminated unexpectedly", TLS failures): no code, a message of pg's making.
  return new UpstreamError({
    upstream,
    status: 502,
    isRetryable: true,
    message: `The connection to PostgreSQL at ${context.displayAddress} failed${where}: ${redact(message)}`,
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Node reports a refused connection to a host with several addresses as an AggregateError of per-address errors.
  if (error instanceof AggregateError)
    for (const inner of error.errors) {
      const innerCode = errorCode(inner);
      if (innerCode !== undefined) return innerCode;
    }
  return undefined;
}

/** Belt and braces: a URL with credentials in a message from a library is cut down to its host. */
function redact(message: string): string {
  return message.replace(/postgres(?:ql)?:\/\/[^\s@/]*@/gi, "postgresql://***@");
}
