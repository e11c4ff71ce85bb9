import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { ErrorBody } from "@vs/core";

/** Node's HTTP parser codes (llhttp `HPE_*`, plus Node's own) → what the client is told. */
const ANSWERS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: "headers_too_large", message: "The request's headers are larger than the server accepts." },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    code: "chunk_extensions_too_large",
    message: "The request's chunk extensions are larger than the server accepts.",
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "request_timeout", message: "The request was not received in time." },
  HPE_INVALID_METHOD: { status: 400, code: "invalid_method", message: "The request's method is not one HTTP defines." },
};

/**
 * Answers a request Node's HTTP layer refused before the app saw it (an unknown method, oversized headers, a
 * malformed request line or header) in the gateway's JSON error shape instead of Node's bodyless 400, when the
 * socket can still carry an answer and no other answer is being written on it. The connection is then closed: the
 * parser's state is lost. The raw request is never logged (it may hold an Authorization header).
 */
export function answerClientError(error: Error & { code?: string; reason?: string }, socket: Duplex, logger?: Logger): void {
  const code = error.code ?? "";
  // The client went away, or an answer is already under way on this connection (a pipelined request).
  const busy = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (code === "ECONNRESET" || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const known = ANSWERS[code];
  const answer = known ?? { status: 400, code: "malformed_request", message: `The request is not valid HTTP/1.1${error.reason ? `: ${error.reason}` : ""}.` };
  logger?.info({ status: answer.status, err_code: code, error_code: answer.code }, "request refused by the HTTP parser");
  const body: ErrorBody = { error: { message: answer.message, type: "invalid_request_error", param: null, code: answer.code } };
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? "Bad Request"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
  // A client that never reads or closes must not hold the socket.
  setTimeout(() => socket.destroy(), 2_000).unref();
}
