import { AbortedError, BadRequestError, UpstreamError, UpstreamTimeoutError } from "@vs/core";
import type { ClientConfig } from "@zilliz/milvus2-sdk-node";
import { containsRawJson, rawIntegersToStrings } from "../exact-json.js";
import { DEFAULT_MILVUS_TIMEOUT_MS } from "../milvus-options.js";
import { redactSecrets, secretsOfToken } from "../milvus-secrets.js";
import type { MilvusCallOptions, MilvusResponse, MilvusTransport } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { describe, drop, flush, getLoadState, has, list, load, release } from "./admin.js";
import { CollectionCaches } from "./collections.js";
import { GatewayMilvusClient, type CallContext, type Handler } from "./context.js";
import { create, createIndexes } from "./create.js";
import { get, query, remove, write } from "./entities.js";
import { answerOrThrow, settleWithin, type FailureContext } from "./failures.js";
import { hybridSearch, search } from "./search.js";
import { isPlainObject } from "./values.js";

/**
 * Milvus REST v2 served over Milvus's gRPC API: each call takes a REST v2 endpoint and body, runs the matching
 * `@zilliz/milvus2-sdk-node` calls and answers in the REST v2 shape and codes of Milvus's own REST server
 * (internal/distributed/proxy/httpserver, handler_v2.go), so callers cannot tell it from the REST transport.
 *
 * Where the REST server and this transport differ, on purpose:
 * - int64 values (primary keys included) are numbers when they fit a double exactly, strings otherwise (the REST
 *   transport does the same); integers past 2^53 in a body (`JSON.rawJSON` values, or decimal strings) reach Milvus
 *   exact: the SDK takes int64 values as decimal strings;
 * - an endpoint it does not translate answers `{code: 1100, message: "unsupported endpoint …"}`, where Milvus's REST
 *   server answers HTTP 404 with the plain text `404 page not found` (no code at all);
 * - with Milvus Lite, which cannot parse filter templates, `exprParams` are written into the filter as literals.
 */
export interface GrpcTransportOptions {
  /** `host:port`; a leading `grpc://`, `grpcs://`, `http://` or `https://` is accepted and dropped. */
  address: string;
  /** `user:password` or an API key. Never appears in a message. */
  token?: string | undefined;
  /** TLS (one-way). */
  ssl?: boolean | undefined;
  /** Default time one `call` may take, in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** The database used when a body names none (default: Milvus's `default`). */
  database?: string | undefined;
}

/** A retry or two absorbs a restarting server; more would only delay the 502 for a dead one. */
const SDK_MAX_RETRIES = 2;
const SDK_RETRY_DELAY_MS = 20;

/** What the transport translates; anything else is answered with code 1100. */
const ENDPOINTS = [
  "entities/search",
  "entities/hybrid_search",
  "entities/query",
  "entities/get",
  "entities/insert",
  "entities/upsert",
  "entities/delete",
  "collections/has",
  "collections/describe",
  "collections/list",
  "collections/create",
  "collections/drop",
  "collections/flush",
  "collections/load",
  "collections/release",
  "collections/get_load_state",
  "indexes/create",
] as const;
type Endpoint = (typeof ENDPOINTS)[number];

export function createGrpcTransport(options: GrpcTransportOptions): MilvusTransport {
  const address = options.address
    .trim()
    .replace(/^(?:grpcs?|https?):\/\//i, "")
    .replace(/\/+$/, "");
  if (address === "") throw new BadRequestError("The Milvus gRPC address is empty: expected host:port.", { param: "address" });
  const ssl = options.ssl ?? /^(?:grpcs|https):\/\//i.test(options.address.trim());
  const displayAddress = `${ssl ? "grpcs" : "grpc"}://${address}`;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_MILVUS_TIMEOUT_MS;
  const caches = new CollectionCaches();
  const secrets = secretsOfToken(options.token);
  let connecting: Promise<GatewayMilvusClient> | undefined;
  let liveClient: GatewayMilvusClient | undefined;
  let closed = false;

  function connectedClient(): Promise<GatewayMilvusClient> {
    if (connecting !== undefined) return connecting;
    const config: ClientConfig = {
      address,
      ssl,
      timeout: defaultTimeoutMs,
      maxRetries: SDK_MAX_RETRIES,
      retryDelay: SDK_RETRY_DELAY_MS,
      // Telemetry heartbeats and global-cluster topology lookups are calls the gateway never asked for.
      telemetry: { enabled: false },
      isGlobal: false,
      // The SDK's debug level (its default when NODE_ENV is test) prints every request, user data included.
      logLevel: "warn",
    };
    if (options.token !== undefined && options.token !== "") config.token = options.token;
    if (options.database !== undefined && options.database !== "") config.database = options.database;
    const client = new GatewayMilvusClient(config);
    liveClient = client;
    const attempt = client.connectPromise.then(() => client);
    connecting = attempt;
    // A failed first contact must not pin the transport to a dead client: the next call builds a new one.
    attempt.catch(() => {
      if (connecting === attempt) connecting = undefined;
      if (liveClient === client) liveClient = undefined;
      client.closeConnection().catch(() => undefined);
    });
    return attempt;
  }

  async function call(endpoint: string, body: Record<string, unknown>, callOptions: MilvusCallOptions = {}): Promise<MilvusResponse> {
    try {
      const response = await translate(endpoint, containsRawJson(body) ? integersForTheSdk(body) : body, callOptions);
      if (typeof response.message === "string") response.message = redactSecrets(response.message, secrets);
      return response;
    } catch (error) {
      // Milvus's texts (gRPC details, status reasons) are quoted in the thrown errors too.
      if (error instanceof Error) error.message = redactSecrets(error.message, secrets);
      throw error;
    }
  }

  async function translate(endpoint: string, body: Record<string, unknown>, callOptions: MilvusCallOptions): Promise<MilvusResponse> {
    if (closed) throw new UpstreamError({ upstream: "vector_store", message: `The Milvus gRPC transport for ${displayAddress} is closed.` });
    const signal = callOptions.signal;
    if (signal?.aborted) throw new AbortedError(signal.reason);
    if (!isEndpoint(endpoint)) return unsupportedEndpoint(endpoint);
    const timeoutMs = callOptions.timeoutMs ?? defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const failure: FailureContext = { displayAddress, isMilvusLite: false, timeoutMs, signal };

    const work = (async (): Promise<MilvusResponse> => {
      try {
        const client = await connectedClient();
        const dbName = typeof body.dbName === "string" && body.dbName !== "" ? body.dbName : undefined;
        failure.isMilvusLite = client.serverInfo.build_tags === "milvus_lite";
        const context: CallContext = {
          client,
          isMilvusLite: failure.isMilvusLite,
          dbName,
          database: dbName ?? options.database ?? "default",
          caches,
          remainingMs() {
            const remaining = deadline - Date.now();
            if (remaining <= 0) throw new UpstreamTimeoutError("vector_store", timeoutMs);
            return remaining;
          },
        };
        return await HANDLERS[endpoint](body, context);
      } catch (error) {
        return answerOrThrow(error, endpoint, failure);
      }
    })();
    return settleWithin(work, timeoutMs, signal);
  }

  return {
    kind: "grpc",
    call,
    async close() {
      if (closed) return;
      closed = true;
      const client = liveClient;
      connecting = undefined;
      liveClient = undefined;
      await client?.closeConnection();
    },
  };
}

/**
 * The body with integers past 2^53 as decimal strings, the form the SDK encodes as int64 (a raw-JSON value would be
 * rounded by the SDK's own JSON copy of each row). `exprParams` keep theirs: such filters are written as literals.
 */
function integersForTheSdk(body: Record<string, unknown>): Record<string, unknown> {
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === "exprParams") converted[key] = value;
    else if (key === "search" && Array.isArray(value))
      converted[key] = value.map((sub: unknown) => (isPlainObject(sub) ? integersForTheSdk(sub) : rawIntegersToStrings(sub)));
    else converted[key] = rawIntegersToStrings(value);
  }
  return converted;
}

function isEndpoint(endpoint: string): endpoint is Endpoint {
  return (ENDPOINTS as readonly string[]).includes(endpoint);
}

function unsupportedEndpoint(endpoint: string): MilvusResponse {
  return {
    code: MilvusErrorCode.invalidParameter,
    message: `unsupported endpoint "${endpoint.slice(0, 100)}": the gRPC transport serves ${ENDPOINTS.join(", ")} (Milvus's REST server answers an unknown path with HTTP 404)`,
  };
}

const HANDLERS: Readonly<Record<Endpoint, Handler>> = {
  "entities/search": search,
  "entities/hybrid_search": hybridSearch,
  "entities/query": query,
  "entities/get": get,
  "entities/insert": (body, context) => write(body, context, "insert"),
  "entities/upsert": (body, context) => write(body, context, "upsert"),
  "entities/delete": remove,
  "collections/has": has,
  "collections/describe": describe,
  "collections/list": list,
  "collections/create": create,
  "collections/drop": drop,
  "collections/flush": flush,
  "collections/load": load,
  "collections/release": release,
  "collections/get_load_state": getLoadState,
  "indexes/create": createIndexes,
};
