/**
 * One error hierarchy for every vs package. Each error knows its HTTP status, a stable `code`, the OpenAI
 * error `type`, the request field it is about (`param`) and whether retrying can help. The proxy turns any
 * `VsError` into `{error: {message, type, param, code}}` in one place; anything else becomes a 500 without
 * details.
 *
 * `VsError.isInstance` works across duplicated copies of this package (a symbol marker, not `instanceof`).
 */
const marker = Symbol.for("vs.error");
/** The `kind` of the error's class and of each class above it: `isInstance` of a subclass checks its own kind. */
const kindsMarker = Symbol.for("vs.error.kinds");

interface ErrorClass<T> {
  readonly kind: string;
  readonly prototype: T;
}

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  /** LiteLLM's type for a key whose max_budget is spent. */
  | "budget_exceeded"
  | "upstream_error"
  | "timeout_error"
  | "service_unavailable_error"
  | "internal_error";

export interface VsErrorOptions {
  message: string;
  status: number;
  code: string;
  type: ErrorType;
  param?: string | null;
  isRetryable?: boolean;
  cause?: unknown;
}

export class VsError extends Error {
  /** Stable name of the class for `isInstance` (survives bundling and duplicated package copies). */
  static readonly kind: string = "VsError";
  /** Marks vs errors for `isInstance`, across duplicated copies of this package. */
  readonly [marker] = true;
  readonly [kindsMarker]: readonly string[];
  readonly status: number;
  readonly code: string;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly isRetryable: boolean;

  constructor(options: VsErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code;
    this.type = options.type;
    this.param = options.param ?? null;
    this.isRetryable = options.isRetryable ?? false;
    const kinds: string[] = [];
    for (let type: unknown = new.target; typeof type === "function" && type !== Error; type = Object.getPrototypeOf(type)) {
      kinds.push(Object.hasOwn(type, "kind") ? (type as unknown as ErrorClass<unknown>).kind : type.name);
    }
    this[kindsMarker] = kinds;
  }

  /**
   * `BadRequestError.isInstance(error)` is true for a BadRequestError (or a subclass of it) made by any copy of this
   * package; `VsError.isInstance` for every vs error. Use it instead of `instanceof`.
   */
  static isInstance<T>(this: ErrorClass<T>, value: unknown): value is T {
    if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[marker] !== true) return false;
    if (this.kind === "VsError") return true;
    const kinds = (value as Record<symbol, unknown>)[kindsMarker];
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }

  /** The OpenAI-shaped error body. Never contains a stack or a cause. */
  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class BadRequestError extends VsError {
  static override readonly kind: string = "BadRequestError";
  constructor(message: string, options: { param?: string | null; code?: string; cause?: unknown } = {}) {
    super({ message, status: 400, code: options.code ?? "invalid_request", type: "invalid_request_error", param: options.param ?? null, cause: options.cause });
  }
}

export class UnauthorizedError extends VsError {
  static override readonly kind: string = "UnauthorizedError";
  constructor(message = "Missing or invalid API key. Send 'Authorization: Bearer <key>'.", code = "invalid_api_key") {
    super({ message, status: 401, code, type: "authentication_error" });
  }
}

export class ForbiddenError extends VsError {
  static override readonly kind: string = "ForbiddenError";
  constructor(message: string, options: { param?: string | null; code?: string } = {}) {
    super({ message, status: 403, code: options.code ?? "permission_denied", type: "permission_error", param: options.param ?? null });
  }
}

export class NotFoundError extends VsError {
  static override readonly kind: string = "NotFoundError";
  constructor(message: string, options: { param?: string | null; code?: string } = {}) {
    super({ message, status: 404, code: options.code ?? "not_found", type: "not_found_error", param: options.param ?? null });
  }
}

export class PayloadTooLargeError extends VsError {
  static override readonly kind: string = "PayloadTooLargeError";
  constructor(limitBytes: number) {
    super({ message: `Request body is larger than the limit of ${limitBytes} bytes.`, status: 413, code: "payload_too_large", type: "invalid_request_error" });
  }
}

export class MethodNotAllowedError extends VsError {
  static override readonly kind: string = "MethodNotAllowedError";
  constructor(message: string, options: { code?: string } = {}) {
    super({ message, status: 405, code: options.code ?? "method_not_allowed", type: "invalid_request_error" });
  }
}

/**
 * The gateway's own configuration is wrong (a config file, a registry entry, an environment reference): found at
 * start, it stops the start with this message. Never a caller's fault, so it is not a 400.
 */
export class ConfigurationError extends VsError {
  static override readonly kind: string = "ConfigurationError";
  constructor(message: string, options: { param?: string | null; code?: string; cause?: unknown } = {}) {
    super({ message, status: 500, code: options.code ?? "invalid_config", type: "internal_error", param: options.param ?? null, cause: options.cause });
  }
}

export class ServiceUnavailableError extends VsError {
  static override readonly kind: string = "ServiceUnavailableError";
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super({ message, status: 503, code: options.code ?? "service_unavailable", type: "service_unavailable_error", isRetryable: true, cause: options.cause });
  }
}

/** Which side failed: the embedding model, the vector store, or something else the gateway calls. */
export type UpstreamKind = "embedding" | "vector_store" | "database" | "cache";

export interface UpstreamErrorOptions {
  upstream: UpstreamKind;
  message: string;
  /** HTTP status we answer with: 502 by default; 400/401/404/429 when the upstream's answer says whose fault it is. */
  status?: number;
  /** The upstream's own HTTP status, when there was one. */
  upstreamStatus?: number | null;
  /** The upstream's own error code (Milvus `code`, OpenAI `error.code`), as a string. */
  upstreamCode?: string | number | null;
  /** The upstream's own error text, cleaned of credentials, apart from the gateway's sentence around it. */
  upstreamMessage?: string | null;
  isRetryable?: boolean;
  param?: string | null;
  cause?: unknown;
}

/** The upstream answered with an error. `code` is `<upstream>_error:<upstream code>` so clients can match on it. */
export class UpstreamError extends VsError {
  static override readonly kind: string = "UpstreamError";
  readonly upstream: UpstreamKind;
  readonly upstreamStatus: number | null;
  readonly upstreamCode: string | null;
  readonly upstreamMessage: string | null;

  constructor(options: UpstreamErrorOptions) {
    const upstreamCode = options.upstreamCode === undefined || options.upstreamCode === null ? null : String(options.upstreamCode);
    const status = options.status ?? 502;
    super({
      message: options.message,
      status,
      code: upstreamCode === null ? `${options.upstream}_error` : `${options.upstream}_error:${upstreamCode}`,
      type: statusToType(status),
      param: options.param ?? null,
      isRetryable: options.isRetryable ?? (options.upstreamStatus != null && isRetryableStatus(options.upstreamStatus)),
      cause: options.cause,
    });
    this.upstream = options.upstream;
    this.upstreamStatus = options.upstreamStatus ?? null;
    this.upstreamCode = upstreamCode;
    this.upstreamMessage = options.upstreamMessage ?? null;
  }
}

/** The upstream did not answer in time (504). */
export class UpstreamTimeoutError extends VsError {
  static override readonly kind: string = "UpstreamTimeoutError";
  readonly upstream: UpstreamKind;
  constructor(upstream: UpstreamKind, timeoutMs: number, cause?: unknown) {
    super({
      message: `The ${upstream.replace("_", " ")} did not answer within ${timeoutMs} ms.`,
      status: 504,
      code: `${upstream}_timeout`,
      type: "timeout_error",
      isRetryable: true,
      cause,
    });
    this.upstream = upstream;
  }
}

/** The request was cancelled by its caller (client went away, AbortSignal fired). */
export class AbortedError extends VsError {
  static override readonly kind: string = "AbortedError";
  constructor(cause?: unknown) {
    super({ message: "The request was aborted.", status: 499, code: "aborted", type: "invalid_request_error", cause });
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function statusToType(status: number): ErrorType {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable_error";
    case 504:
      return "timeout_error";
    default:
      return "upstream_error";
  }
}
