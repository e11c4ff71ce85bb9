import { AbortedError, BadRequestError, UpstreamError, UpstreamTimeoutError, VsError, describeIssues } from "@vs/core";
import {
  DataType,
  DataTypeMap,
  FunctionType,
  MilvusClient,
  buildFieldDataMap,
  buildSearchRequest,
  formatExprValues,
  promisify,
  type ClientConfig,
  type DescribeCollectionResponse,
  type FieldSchema,
  type FieldType,
  type FunctionObject,
  type HybridSearchReq,
  type HybridSearchSingleReq,
  type InsertReq,
  type RowData,
  type SearchReq,
} from "@zilliz/milvus2-sdk-node";
import { z } from "zod";
import { DEFAULT_MILVUS_TIMEOUT_MS } from "./milvus-options.js";
import type { MilvusCallOptions, MilvusResponse, MilvusTransport } from "./milvus-transport.js";

/**
 * Milvus REST v2 served over Milvus's gRPC API: each call takes a REST v2 endpoint and body, runs the matching
 * `@zilliz/milvus2-sdk-node` calls and answers in the REST v2 shape and codes of Milvus's own REST server
 * (internal/distributed/proxy/httpserver, handler_v2.go), so callers cannot tell it from the REST transport.
 *
 * Where the REST server and this transport differ, on purpose:
 * - int64 values (primary keys included) are numbers when they fit a double exactly, strings otherwise (the REST
 *   transport asks Milvus for numbers with `Accept-Type-Allow-Int64`, which silently rounds the large ones);
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

/** gRPC status codes (grpc/status.proto) the transport tells apart. */
const GrpcStatus = { cancelled: 1, deadlineExceeded: 4, permissionDenied: 7, unavailable: 14, unauthenticated: 16 } as const;

/** Codes of Milvus's REST v2 answers (merr error codes, pkg/util/merr/errors.go). */
const RestCode = {
  success: 0,
  serviceUnimplemented: 10,
  collectionNotFound: 100,
  indexNotFound: 700,
  indexNotSupported: 701,
  indexDuplicate: 702,
  databaseNotFound: 800,
  parameterInvalid: 1100,
  privilegeNotPermitted: 1401,
  notAuthenticated: 1800,
  incorrectParameterFormat: 1801,
  missingRequiredParameters: 1802,
  invalidInsertData: 1804,
  checkPrimaryKey: 1806,
  unexpected: 65535,
} as const;

/** The error texts the REST server puts before its detail, so messages read the same through both transports. */
const RestMessage = {
  incorrectParameterFormat: "can only accept json format request",
  missingRequiredParameters: "missing required parameters",
  invalidInsertData: "fail to deal the insert data",
  checkPrimaryKey: "please check the primary key and its' type can only in [int, string]",
} as const;

/** Legacy `status.error_code` names → merr codes, as merr.OldCodeToMerr does for servers that send no `code`. */
const LEGACY_ERROR_CODES: Readonly<Record<string, number>> = {
  NotReadyServe: 1,
  CollectionNotExists: RestCode.collectionNotFound,
  IllegalArgument: RestCode.parameterInvalid,
  NodeIDNotMatch: 904,
  InsufficientMemoryToLoad: 3,
  MemoryQuotaExhausted: 3,
  DiskQuotaExhausted: 7,
  TimeTickLongDelay: 11,
  RateLimit: 8,
  ForceDeny: 9,
  IndexNotExist: RestCode.indexNotFound,
  SegmentNotFound: 600,
  MetaFailed: 500,
};

/**
 * Milvus Lite (PyPI milvus-lite 3.x) numbers its errors its own way (milvus_lite/adapter/grpc/errors.py): these are
 * its codes that mean something else in merr. Both its `code` and its numeric `error_code` go through this table.
 */
const MILVUS_LITE_ERROR_CODES: Readonly<Record<number, number>> = {
  1: RestCode.unexpected,
  4: RestCode.collectionNotFound,
  6: RestCode.parameterInvalid,
  11: RestCode.indexNotFound,
  26: RestCode.indexNotSupported,
  35: RestCode.indexDuplicate,
};

const CONSISTENCY_LEVELS = ["Strong", "Session", "Bounded", "Eventually", "Customized"] as const;

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
  const address = options.address.trim().replace(/^(?:grpcs?|https?):\/\//i, "").replace(/\/+$/, "");
  if (address === "") throw new BadRequestError("The Milvus gRPC address is empty: expected host:port.", { param: "address" });
  const ssl = options.ssl ?? /^(?:grpcs|https):\/\//i.test(options.address.trim());
  const displayAddress = `${ssl ? "grpcs" : "grpc"}://${address}`;
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_MILVUS_TIMEOUT_MS;
  const caches = new CollectionCaches();
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

/** The SDK client with the few protected parts the translation needs. */
class GatewayMilvusClient extends MilvusClient {
  get protoRoot(): Parameters<typeof buildSearchRequest>[2] {
    return this.milvusProto;
  }

  /** Drops the SDK's own schema cache for a collection (insert reads it), in every database. */
  forgetCollection(collectionName: string): void {
    for (const key of [...this.collectionInfoCache.keys()]) {
      if (key.endsWith(`:${collectionName}`)) this.collectionInfoCache.delete(key);
    }
  }
}

interface CallContext {
  client: GatewayMilvusClient;
  /** Milvus Lite numbers its errors its own way and cannot parse filter templates. */
  isMilvusLite: boolean;
  /** The body's `dbName`, sent as the SDK's `db_name` (the shared client's database is never switched). */
  dbName: string | undefined;
  /** The database the call addresses: the body's, the transport's, else `default`. */
  database: string;
  caches: CollectionCaches;
  /** What is left of the call's time, for the next RPC; throws the 504 when nothing is left. */
  remainingMs(): number;
}

type Handler = (body: Record<string, unknown>, context: CallContext) => Promise<MilvusResponse>;

/** An answer decided deep in a translation (a Milvus error, a bad body): returned to the caller, never thrown out. */
class MilvusAnswer extends Error {
  constructor(readonly response: MilvusResponse & { message: string }) {
    super(response.message);
    this.name = "MilvusAnswer";
  }
}

function answer(code: number, message: string): MilvusAnswer {
  return new MilvusAnswer({ code, message });
}

function isEndpoint(endpoint: string): endpoint is Endpoint {
  return (ENDPOINTS as readonly string[]).includes(endpoint);
}

function unsupportedEndpoint(endpoint: string): MilvusResponse {
  return {
    code: RestCode.parameterInvalid,
    message: `unsupported endpoint "${endpoint.slice(0, 100)}": the gRPC transport serves ${ENDPOINTS.join(", ")} (Milvus's REST server answers an unknown path with HTTP 404)`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Deadline, abort and failures
// ---------------------------------------------------------------------------------------------------------------

/** Settles with `work`, unless the call's time runs out (504) or its caller aborts (499) first. */
function settleWithin(work: Promise<MilvusResponse>, timeoutMs: number, signal: AbortSignal | undefined): Promise<MilvusResponse> {
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

interface FailureContext {
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
  return error instanceof Error && typeof (error as Partial<GrpcServiceError>).code === "number" && typeof (error as Partial<GrpcServiceError>).details === "string" && "metadata" in error;
}

/**
 * What a failure inside a translation becomes: Milvus's answers (and the SDK's refusals of a body, which the REST
 * server would have refused too) are returned; failing to reach Milvus at all is thrown.
 */
function answerOrThrow(error: unknown, endpoint: Endpoint, failure: FailureContext): MilvusResponse {
  if (error instanceof MilvusAnswer) return error.response;
  if (failure.signal?.aborted) throw new AbortedError(failure.signal.reason);
  if (VsError.isInstance(error)) throw error;
  if (isGrpcServiceError(error)) {
    switch (error.code) {
      case GrpcStatus.deadlineExceeded:
        throw new UpstreamTimeoutError("vector_store", failure.timeoutMs, error);
      case GrpcStatus.unauthenticated:
        return { code: RestCode.notAuthenticated, message: `user hasn't authenticated: ${error.details}` };
      case GrpcStatus.permissionDenied:
        return { code: RestCode.privilegeNotPermitted, message: `privilege not permitted: ${error.details}` };
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
      return { code: RestCode.invalidInsertData, message: `${RestMessage.invalidInsertData}, error: ${error.message}` };
    }
    return { code: RestCode.parameterInvalid, message: `${error.message}: invalid parameter` };
  }
  throw new UpstreamError({
    upstream: "vector_store",
    status: 502,
    message: `Milvus at ${failure.displayAddress} gave an answer the gRPC transport could not translate (${endpoint}): ${error instanceof Error ? error.message : String(error)}.`,
    cause: error,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Status → REST code
// ---------------------------------------------------------------------------------------------------------------

const statusSchema = z.looseObject({
  error_code: z.union([z.string(), z.number()]).nullish(),
  code: z.number().nullish(),
  reason: z.string().nullish(),
  extra_info: z.record(z.string(), z.unknown()).nullish(),
});
type MilvusStatus = z.infer<typeof statusSchema>;

/** The status in an SDK answer (`{status}`), or the answer itself when it is a bare status. */
function statusOf(value: unknown): MilvusStatus | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const candidate = "status" in value ? (value as { status: unknown }).status : value;
  const parsed = statusSchema.safeParse(candidate);
  if (!parsed.success) return undefined;
  return parsed.data.error_code === undefined && parsed.data.code === undefined ? undefined : parsed.data;
}

/** The REST answer for a failed status; undefined when the status is a success. */
function failedAnswer(status: MilvusStatus, isMilvusLite: boolean): MilvusResponse | undefined {
  const legacy = status.error_code ?? 0;
  const code = status.code ?? 0;
  const legacyFailed = legacy !== 0 && legacy !== "Success";
  if (code === 0 && !legacyFailed) return undefined;
  const message = status.reason !== undefined && status.reason !== null && status.reason !== "" ? status.reason : "unexpected error";
  return { code: restCode(code, legacy, isMilvusLite, message), message };
}

function restCode(code: number, legacy: string | number, isMilvusLite: boolean, message: string): number {
  if (isMilvusLite) {
    // Milvus Lite reports a missing database as an invalid argument or an unexpected error; Milvus says 800.
    if (/^database '.*' does not exist$/.test(message)) return RestCode.databaseNotFound;
    const lite = code !== 0 ? code : typeof legacy === "number" ? legacy : 0;
    return MILVUS_LITE_ERROR_CODES[lite] ?? (lite !== 0 ? lite : LEGACY_ERROR_CODES[String(legacy)] ?? RestCode.unexpected);
  }
  if (code !== 0) return code;
  return LEGACY_ERROR_CODES[String(legacy)] ?? RestCode.unexpected;
}

/** Throws the REST answer for a failed SDK answer; an answer without a status is an RPC the server lacks. */
function requireSuccess(response: unknown, context: CallContext, rpc: string): void {
  const status = statusOf(response);
  if (status === undefined) throw answer(RestCode.serviceUnimplemented, `service unimplemented: the Milvus server does not implement ${rpc}`);
  const failed = failedAnswer(status, context.isMilvusLite);
  if (failed !== undefined) throw new MilvusAnswer({ ...failed, message: failed.message ?? "unexpected error" });
}

/** `cost` as the REST server reports it (the `report_value` Milvus puts in a status), 0 when absent. */
function costOf(response: unknown): number {
  const value = statusOf(response)?.extra_info?.report_value;
  const cost = typeof value === "string" || typeof value === "number" ? Number(value) : 0;
  return Number.isFinite(cost) ? cost : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Request bodies: the REST server's binding rules (1802 when collectionName is missing, 1801 when a field has the
// wrong type). Schemas are loose: unknown keys are ignored, as Go's JSON binding ignores them; null is absent.
// ---------------------------------------------------------------------------------------------------------------

const optionalString = z.string().nullish();
const optionalInteger = z.number().int().nullish();
const optionalBoolean = z.boolean().nullish();
const optionalStrings = z.array(z.string()).nullish();
const optionalRecord = z.record(z.string(), z.unknown()).nullish();

const collectionBodySchema = z.looseObject({ dbName: optionalString, collectionName: z.string() });

const searchBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  data: z.array(z.unknown()).nullish(),
  ids: z.array(z.union([z.string(), z.number()])).nullish(),
  annsField: optionalString,
  partitionNames: optionalStrings,
  filter: optionalString,
  groupingField: optionalString,
  groupSize: optionalInteger,
  strictGroupSize: optionalBoolean,
  limit: optionalInteger,
  offset: optionalInteger,
  outputFields: optionalStrings,
  searchParams: optionalRecord,
  consistencyLevel: optionalString,
  exprParams: optionalRecord,
});

const hybridSubSearchSchema = z.looseObject({
  data: z.array(z.unknown()),
  annsField: optionalString,
  filter: optionalString,
  groupingField: optionalString,
  metricType: optionalString,
  limit: optionalInteger,
  offset: optionalInteger,
  params: optionalRecord,
  exprParams: optionalRecord,
});

const hybridSearchBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionNames: optionalStrings,
  search: z.array(hybridSubSearchSchema).nullish(),
  rerank: z.looseObject({ strategy: z.string(), params: optionalRecord }).nullish(),
  limit: optionalInteger,
  offset: optionalInteger,
  groupingField: optionalString,
  groupSize: optionalInteger,
  strictGroupSize: optionalBoolean,
  outputFields: optionalStrings,
  consistencyLevel: optionalString,
});

const queryBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionNames: optionalStrings,
  outputFields: optionalStrings,
  filter: optionalString,
  limit: optionalInteger,
  offset: optionalInteger,
  exprParams: optionalRecord,
  consistencyLevel: optionalString,
});

const primaryKeyValue = z.union([z.string(), z.number()]);
const primaryKeysSchema = z.union([primaryKeyValue, z.array(primaryKeyValue)]).nullish();

const getBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionNames: optionalStrings,
  outputFields: optionalStrings,
  id: primaryKeysSchema,
  consistencyLevel: optionalString,
});

const deleteBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionName: optionalString,
  filter: optionalString,
  id: primaryKeysSchema,
  exprParams: optionalRecord,
});

const insertBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionName: optionalString,
  data: z.array(z.record(z.string(), z.unknown())).nullish(),
});

const createFieldSchema = z.looseObject({
  fieldName: z.string(),
  dataType: z.string(),
  elementDataType: optionalString,
  isPrimary: optionalBoolean,
  isPartitionKey: optionalBoolean,
  isClusteringKey: optionalBoolean,
  elementTypeParams: optionalRecord,
  nullable: optionalBoolean,
  defaultValue: z.union([z.string(), z.number(), z.boolean()]).nullish(),
  description: optionalString,
});

const createIndexSchema = z.looseObject({
  fieldName: z.string(),
  indexName: optionalString,
  metricType: optionalString,
  metric_type: optionalString,
  indexType: optionalString,
  params: optionalRecord,
});

/** A schema function (REST v2 `schema.functions[]`), e.g. BM25 from a text field into a sparse vector field. */
const createFunctionSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  description: optionalString,
  inputFieldNames: z.array(z.string()),
  outputFieldNames: optionalStrings,
  params: optionalRecord,
});

const createBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  dimension: optionalInteger,
  idType: optionalString,
  autoID: optionalBoolean,
  metricType: optionalString,
  primaryFieldName: optionalString,
  vectorFieldName: optionalString,
  schema: z
    .looseObject({
      autoID: optionalBoolean,
      enableDynamicField: optionalBoolean,
      fields: z.array(createFieldSchema).nullish(),
      functions: z.array(createFunctionSchema).nullish(),
    })
    .nullish(),
  indexParams: z.array(createIndexSchema).nullish(),
  params: optionalRecord,
  description: optionalString,
  consistencyLevel: optionalString,
});

/** Parses a body as the REST server binds it; `requestName` is its Go type, quoted in the binding error. */
function parseBody<Schema extends z.ZodType>(schema: Schema, body: Record<string, unknown>, requestName: string): z.output<Schema> {
  const collectionName = body.collectionName;
  if (typeof collectionName !== "string" || collectionName === "") {
    throw answer(
      RestCode.missingRequiredParameters,
      `${RestMessage.missingRequiredParameters}, error: Key: '${requestName}.CollectionName' Error:Field validation for 'CollectionName' failed on the 'required' tag`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw answer(RestCode.incorrectParameterFormat, `${RestMessage.incorrectParameterFormat}, error: ${describeIssues(parsed.error).message}`);
  return parsed.data;
}

function consistencyLevelOf(value: string | null | undefined): (typeof CONSISTENCY_LEVELS)[number] | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const level = CONSISTENCY_LEVELS.find((name) => name === value);
  if (level === undefined) {
    throw answer(
      RestCode.parameterInvalid,
      `consistencyLevel can only be [Strong, Session, Bounded, Eventually, Customized], default: Bounded, err:parameter:'${value}' is incorrect, please check it: invalid parameter`,
    );
  }
  return level;
}

/** The `db_name` part of an SDK request: only when the body named a database. */
function database(context: CallContext): { db_name?: string } {
  return context.dbName === undefined ? {} : { db_name: context.dbName };
}

// ---------------------------------------------------------------------------------------------------------------
// Collection facts (schema, metric), cached per transport
// ---------------------------------------------------------------------------------------------------------------

/**
 * Search needs the collection's schema (to encode vectors) and the metric of the searched field (Milvus Lite takes
 * an absent metric literally: failures on unflushed data, raw internal distances on flushed data). Both are learnt
 * once and forgotten when the collection is dropped or created through this transport, or when Milvus refuses a
 * search or query on it (its schema may have changed behind the gateway's back).
 */
class CollectionCaches {
  private readonly descriptions = new Map<string, DescribeCollectionResponse>();
  private readonly metrics = new Map<string, string>();

  description(database: string, collection: string): DescribeCollectionResponse | undefined {
    return this.descriptions.get(JSON.stringify([database, collection]));
  }

  rememberDescription(database: string, collection: string, description: DescribeCollectionResponse): void {
    this.descriptions.set(JSON.stringify([database, collection]), description);
  }

  metric(database: string, collection: string, field: string): string | undefined {
    return this.metrics.get(JSON.stringify([database, collection, field]));
  }

  rememberMetric(database: string, collection: string, field: string, metric: string): void {
    this.metrics.set(JSON.stringify([database, collection, field]), metric);
  }

  forget(database: string, collection: string): void {
    const prefix = JSON.stringify([database, collection]).slice(0, -1);
    this.descriptions.delete(JSON.stringify([database, collection]));
    for (const key of [...this.metrics.keys()]) {
      if (key.startsWith(`${prefix},`)) this.metrics.delete(key);
    }
  }
}

function forgetCollection(context: CallContext, collection: string): void {
  context.caches.forget(context.database, collection);
  context.client.forgetCollection(collection);
}

async function describedCollection(context: CallContext, collection: string): Promise<DescribeCollectionResponse> {
  const cached = context.caches.description(context.database, collection);
  if (cached !== undefined) return cached;
  const description = await context.client.describeCollection({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  requireSuccess(description, context, "DescribeCollection");
  context.caches.rememberDescription(context.database, collection, description);
  return description;
}

/** The metric of the index on `field`, once per (database, collection, field); undefined when there is no index. */
async function indexMetric(context: CallContext, collection: string, field: string): Promise<string | undefined> {
  const cached = context.caches.metric(context.database, collection, field);
  if (cached !== undefined) return cached;
  const described = await context.client.describeIndex({ collection_name: collection, field_name: field, ...database(context), timeout: context.remainingMs() });
  const status = statusOf(described);
  if (status === undefined || failedAnswer(status, context.isMilvusLite) !== undefined) return undefined;
  const index = (described.index_descriptions ?? []).find((description) => description.field_name === field);
  const metric = index?.params.find((pair) => pair.key === "metric_type")?.value;
  if (typeof metric !== "string" || metric === "") return undefined;
  context.caches.rememberMetric(context.database, collection, field, metric);
  return metric;
}

function primaryField(description: DescribeCollectionResponse): FieldSchema {
  const field = description.schema.fields.find((candidate) => candidate.is_primary_key);
  if (field === undefined) throw answer(RestCode.checkPrimaryKey, `${RestMessage.checkPrimaryKey}, error: collection: ${description.collection_name} has no primary field`);
  return field;
}

function isVectorFieldType(type: string): boolean {
  return type.endsWith("Vector");
}

/** The searched vector field, picked as the REST server picks it (generatePlaceholderGroup). */
function annsFieldOf(description: DescribeCollectionResponse, requested: string | null | undefined): FieldSchema {
  const vectorFields = description.schema.fields.filter((field) => isVectorFieldType(String(field.data_type)));
  if (requested === undefined || requested === null || requested === "") {
    const [only, second] = vectorFields;
    if (only === undefined) throw answer(RestCode.incorrectParameterFormat, `${RestMessage.incorrectParameterFormat}, error: cannot find a vector field`);
    if (second !== undefined) {
      throw answer(
        RestCode.incorrectParameterFormat,
        `${RestMessage.incorrectParameterFormat}, error: search without annsField, but already found multiple vector fields: [${only.name}, ${second.name},,,]`,
      );
    }
    return only;
  }
  const field = vectorFields.find((candidate) => candidate.name === requested);
  if (field === undefined) throw answer(RestCode.incorrectParameterFormat, `${RestMessage.incorrectParameterFormat}, error: cannot find a vector field named: ${requested}`);
  return field;
}

/** Query vectors must be a list of vectors of the field's dimension, as the REST server requires. */
function checkQueryVectors(field: FieldSchema, data: unknown[]): void {
  if (String(field.data_type) !== "FloatVector") return;
  const dimension = Number(field.type_params.find((pair) => pair.key === "dim")?.value ?? field.dim);
  for (const vector of data) {
    if (!Array.isArray(vector) || !vector.every((value) => typeof value === "number")) {
      throw answer(RestCode.incorrectParameterFormat, `${RestMessage.incorrectParameterFormat}, error: data must be a list of vectors (lists of numbers)`);
    }
    if (Number.isFinite(dimension) && vector.length !== dimension) {
      throw answer(RestCode.incorrectParameterFormat, `${RestMessage.incorrectParameterFormat}, error: dimension: ${dimension}, but length of vector: ${vector.length}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// searchParams and filters
// ---------------------------------------------------------------------------------------------------------------

interface SearchParameters {
  metric: string | undefined;
  /** Index parameters (`nprobe`, `ef`, `level`, `radius`, `range_filter`, …), sent as the `params` JSON. */
  params: Record<string, unknown>;
  ignoreGrowing: boolean;
  hints: string | undefined;
}

/**
 * `searchParams` in both forms: `{metricType | metric_type, params: {...}}` and flat (Milvus ≥ 2.5.2), merged as the
 * REST server merges them (generateSearchParams): a key both flat and in `params` must agree.
 */
function searchParametersOf(searchParams: Record<string, unknown> | null | undefined): SearchParameters {
  const nested = searchParams?.params;
  if (nested !== undefined && nested !== null && !isPlainObject(nested)) throw answer(RestCode.parameterInvalid, "searchParams.params must be a dict: invalid parameter");
  const merged: Record<string, unknown> = { ...(nested ?? {}) };
  for (const [key, value] of Object.entries(searchParams ?? {})) {
    if (key === "params") continue;
    if (Object.hasOwn(merged, key) && JSON.stringify(merged[key]) !== JSON.stringify(value)) {
      throw answer(RestCode.parameterInvalid, `ambiguous parameter: ${key}, in search_param: ${String(value)}, in search_param.params: ${String(merged[key])}: invalid parameter`);
    }
    merged[key] = value;
  }
  const metricValue = merged.metric_type ?? merged.metricType;
  const ignoreGrowing = merged.ignore_growing ?? merged.ignoreGrowing;
  const hints = merged.hints;
  for (const key of ["metric_type", "metricType", "ignore_growing", "ignoreGrowing", "hints"]) delete merged[key];
  return {
    metric: typeof metricValue === "string" && metricValue.trim() !== "" ? metricValue.trim() : undefined,
    params: merged,
    ignoreGrowing: ignoreGrowing === true || ignoreGrowing === "true",
    hints: typeof hints === "string" && hints !== "" ? hints : undefined,
  };
}

interface PreparedFilter {
  expr: string;
  exprValues?: Record<string, unknown>;
}

/** `filter` + `exprParams` for the SDK; Milvus Lite cannot parse templates, so for it the values are written in. */
function prepareFilter(filter: string | null | undefined, exprParams: Record<string, unknown> | null | undefined, context: CallContext): PreparedFilter {
  const expr = filter ?? "";
  if (exprParams === undefined || exprParams === null || Object.keys(exprParams).length === 0) return { expr };
  if (context.isMilvusLite) return { expr: inlineExpressionParameters(expr, exprParams) };
  return { expr, exprValues: exprParams };
}

/**
 * Replaces each `{name}` template outside string literals with its value as a Milvus literal. Strings are quoted
 * and escaped, so a value can never end its literal and add to the expression.
 */
export function inlineExpressionParameters(expression: string, parameters: Record<string, unknown>): string {
  let output = "";
  let index = 0;
  while (index < expression.length) {
    const character = expression[index] as string;
    if (character === '"' || character === "'") {
      const end = endOfStringLiteral(expression, index);
      output += expression.slice(index, end);
      index = end;
      continue;
    }
    if (character === "{") {
      const template = /^\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/.exec(expression.slice(index));
      if (template !== null) {
        const name = template[1] as string;
        if (!Object.hasOwn(parameters, name)) throw answer(RestCode.parameterInvalid, `the value of expression template variable name {${name}} is not found: invalid parameter`);
        output += milvusLiteral(parameters[name], name);
        index += template[0].length;
        continue;
      }
    }
    output += character;
    index += 1;
  }
  return output;
}

function endOfStringLiteral(expression: string, start: number): number {
  const quote = expression[start];
  let index = start + 1;
  while (index < expression.length) {
    const character = expression[index];
    if (character === "\\") index += 2;
    else if (character === quote) return index + 1;
    else index += 1;
  }
  return expression.length;
}

function milvusLiteral(value: unknown, name: string): string {
  if (typeof value === "string") {
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
      throw answer(RestCode.parameterInvalid, `exprParams.${name}: control characters cannot be written into a filter: invalid parameter`);
    }
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((item) => milvusLiteral(item, name)).join(", ")}]`;
  throw answer(RestCode.parameterInvalid, `exprParams.${name}: only strings, finite numbers, booleans and lists of them are supported: invalid parameter`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Values: int64 and float32 as the REST server prints them
// ---------------------------------------------------------------------------------------------------------------

/** An int64 as a number when a double holds it exactly, else as its decimal string. */
export function int64Value(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === "string" && /^-?\d+$/.test(value)) {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  return value;
}

/** A float32 printed with the fewest digits that read back to it, as Go's JSON encoder prints float32. */
export function float32Value(value: unknown): unknown {
  if (typeof value !== "number" || !Number.isFinite(value)) return value;
  const single = Math.fround(value);
  for (let digits = 1; digits <= 9; digits += 1) {
    const candidate = Number(single.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return single;
}

const fieldDataSchema = z.looseObject({
  field_name: z.string(),
  type: z.union([z.string(), z.number()]).nullish(),
  is_dynamic: z.boolean().nullish(),
  scalars: z.looseObject({ array_data: z.looseObject({ element_type: z.union([z.string(), z.number()]).nullish() }).nullish() }).nullish(),
});
type FieldData = z.infer<typeof fieldDataSchema>;

function columnValue(field: FieldData, value: unknown): unknown {
  const type = dataTypeName(field.type);
  if (type === "Int64") return int64Value(value);
  if (type === "Float") return float32Value(value);
  if (type === "FloatVector" && Array.isArray(value)) return value.map(float32Value);
  if (type === "Array" && Array.isArray(value)) {
    const elementType = dataTypeName(field.scalars?.array_data?.element_type);
    if (elementType === "Int64") return value.map(int64Value);
    if (elementType === "Float") return value.map(float32Value);
  }
  return value;
}

function dataTypeName(type: string | number | null | undefined): string | undefined {
  if (typeof type === "string") return type;
  if (typeof type === "number") return Object.entries(DataTypeMap).find(([, code]) => code === type)?.[0];
  return undefined;
}

interface Columns {
  fields: FieldData[];
  values: Map<string, unknown[]>;
  /** The dynamic-field keys to put in rows; `*` or `$meta` puts all of them. */
  dynamicKeys: readonly string[];
}

/**
 * The answer's columns. `fixedFields` keeps only the fields named (a search's `outputFields`: Milvus Lite returns
 * every field when asked for none, where Milvus returns none); undefined or `*` keeps what Milvus returned.
 */
function columnsOf(fieldsData: unknown, fixedFields: readonly string[] | undefined, dynamicKeys: readonly string[]): Columns {
  const keepsAll = fixedFields === undefined || fixedFields.includes("*");
  const fields = z
    .array(fieldDataSchema)
    .catch([])
    .parse(fieldsData ?? [])
    .filter((field) => keepsAll || isDynamicField(field) || fixedFields.includes(field.field_name));
  const values = buildFieldDataMap(Array.isArray(fieldsData) ? fieldsData : []) as Map<string, unknown[]>;
  return { fields, values, dynamicKeys };
}

function isDynamicField(field: FieldData): boolean {
  return field.is_dynamic === true || field.field_name === "$meta";
}

/** Row `index` as the REST server builds it (buildQueryResp): fixed fields, then the dynamic keys asked for. */
function rowOf(columns: Columns, index: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  const spreadsAllDynamic = columns.dynamicKeys.includes("$meta") || columns.dynamicKeys.includes("*");
  for (const field of columns.fields) {
    const value = columns.values.get(field.field_name)?.[index];
    if (isDynamicField(field)) {
      if (!isPlainObject(value)) continue;
      for (const [key, dynamicValue] of Object.entries(value)) {
        if (spreadsAllDynamic || columns.dynamicKeys.includes(key)) row[key] = dynamicValue;
      }
      continue;
    }
    row[field.field_name] = columnValue(field, value);
  }
  return row;
}

// ---------------------------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------------------------

const searchResultsSchema = z.looseObject({
  status: z.unknown(),
  results: z
    .looseObject({
      fields_data: z.unknown(),
      scores: z.array(z.number()).nullish(),
      ids: z
        .looseObject({
          int_id: z.looseObject({ data: z.array(z.union([z.string(), z.number()])) }).nullish(),
          str_id: z.looseObject({ data: z.array(z.string()) }).nullish(),
        })
        .nullish(),
      topks: z.array(z.union([z.string(), z.number()])).nullish(),
    })
    .nullish(),
});

/** `{code: 0, data: [{id, distance, ...outputFields}], topks, cost}`: rows flat over all query vectors. */
function searchAnswer(raw: unknown, context: CallContext, collection: string, rpc: string, outputFields: readonly string[]): MilvusResponse {
  requireSuccessForgetting(raw, context, collection, rpc);
  const parsed = searchResultsSchema.safeParse(raw);
  if (!parsed.success) throw answer(1805, `fail to parse search result, error: ${describeIssues(parsed.error).message}`);
  const results = parsed.data.results;
  const scores = results?.scores ?? [];
  const cost = costOf(raw);
  if (results === null || results === undefined || scores.length === 0) return { code: 0, data: [], cost };
  const columns = columnsOf(results.fields_data, outputFields, outputFields);
  const intIds = results.ids?.int_id?.data;
  const stringIds = results.ids?.str_id?.data;
  const rows = scores.map((score, index) => {
    const row = rowOf(columns, index);
    row.id = intIds !== undefined && intIds !== null ? int64Value(String(intIds[index])) : stringIds?.[index];
    row.distance = float32Value(score);
    return row;
  });
  const topks = (results.topks ?? [scores.length]).map((topk) => Number(topk));
  return { code: 0, data: rows, cost, topks };
}

/** A failed search or query may come from a stale schema: forget it, so the next call describes afresh. */
function requireSuccessForgetting(raw: unknown, context: CallContext, collection: string, rpc: string): void {
  try {
    requireSuccess(raw, context, rpc);
  } catch (error) {
    forgetCollection(context, collection);
    throw error;
  }
}

function stringified(values: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) result[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return result;
}

async function search(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(searchBodySchema, body, "SearchReqV2");
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const hasIds = (request.ids ?? []).length > 0;
  const hasData = (request.data ?? []).length > 0;
  if (hasIds && hasData) {
    throw answer(RestCode.parameterInvalid, "primary keys (ids) and query vectors (data) are mutually exclusive. Please provide either 'ids' or 'data', not both");
  }
  if (!hasIds && !hasData) throw answer(RestCode.missingRequiredParameters, "either 'ids' (for primary key search) or 'data' (for vector search) must be provided");
  const parameters = searchParametersOf(request.searchParams);
  const description = await describedCollection(context, request.collectionName);
  const annsField = annsFieldOf(description, request.annsField);
  if (hasData) checkQueryVectors(annsField, request.data ?? []);
  const metric = parameters.metric ?? (await indexMetric(context, request.collectionName, annsField.name));
  const filter = prepareFilter(request.filter, request.exprParams, context);

  const searchParams: Record<string, unknown> = {
    anns_field: annsField.name,
    topk: request.limit ?? 100,
    offset: request.offset ?? 0,
    params: JSON.stringify(parameters.params),
    round_decimal: -1,
    ignore_growing: parameters.ignoreGrowing,
  };
  if (metric !== undefined) searchParams.metric_type = metric;
  if (parameters.hints !== undefined) searchParams.hints = parameters.hints;
  if (request.groupingField) {
    searchParams.group_by_field = request.groupingField;
    if ((request.groupSize ?? 0) > 0) {
      searchParams.group_size = request.groupSize;
      searchParams.strict_group_size = request.strictGroupSize ?? false;
    }
  }
  const sdkRequest: SearchReq = {
    collection_name: request.collectionName,
    anns_field: annsField.name,
    vector_type: DataType.FloatVector,
    search_params: stringified(searchParams) as unknown as SearchReq["search_params"],
    output_fields: request.outputFields ?? [],
    partition_names: request.partitionNames ?? [],
    expr: filter.expr,
    ...(hasIds ? { ids: request.ids as number[] | string[] } : { vectors: request.data as number[][] }),
    ...(filter.exprValues === undefined ? {} : { exprValues: filter.exprValues }),
  };
  const built = buildSearchRequest(sdkRequest, description, context.client.protoRoot);
  const grpcRequest: Record<string, unknown> = { ...(built.request as Record<string, unknown>), ...database(context) };
  applyConsistency(grpcRequest, consistencyLevel);
  const raw: unknown = await promisify(context.client.channelPool, "Search", grpcRequest, context.remainingMs());
  return searchAnswer(raw, context, request.collectionName, "Search", request.outputFields ?? []);
}

/** A named level, or the collection's own (REST: UseDefaultConsistency). */
function applyConsistency(grpcRequest: Record<string, unknown>, level: (typeof CONSISTENCY_LEVELS)[number] | undefined): void {
  if (level === undefined) {
    grpcRequest.use_default_consistency = true;
  } else {
    grpcRequest.consistency_level = level;
    grpcRequest.use_default_consistency = false;
  }
}

async function hybridSearch(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(hybridSearchBodySchema, body, "HybridSearchReq");
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const subSearches = request.search ?? [];
  if (subSearches.length === 0) throw answer(RestCode.missingRequiredParameters, `${RestMessage.missingRequiredParameters}, error: search must name at least one sub-search`);
  const description = await describedCollection(context, request.collectionName);
  const limit = request.limit ?? 100;

  const data: HybridSearchSingleReq[] = [];
  for (const subSearch of subSearches) {
    const annsField = annsFieldOf(description, subSearch.annsField);
    checkQueryVectors(annsField, subSearch.data);
    const parameters = searchParametersOf(subSearch.params);
    const metric = subSearch.metricType || parameters.metric || (await indexMetric(context, request.collectionName, annsField.name));
    const filter = prepareFilter(subSearch.filter, subSearch.exprParams, context);
    const params: Record<string, unknown> = { ...parameters.params };
    if (metric !== undefined) params.metric_type = metric;
    const single = {
      anns_field: annsField.name,
      data: subSearch.data as number[][],
      expr: filter.expr,
      params,
      limit: subSearch.limit ?? limit,
      offset: subSearch.offset ?? 0,
      ignore_growing: parameters.ignoreGrowing,
      ...(subSearch.groupingField ? { group_by_field: subSearch.groupingField } : {}),
      ...(filter.exprValues === undefined ? {} : { exprValues: filter.exprValues }),
    } as HybridSearchSingleReq;
    data.push(single);
  }
  const sdkRequest: HybridSearchReq = {
    collection_name: request.collectionName,
    data,
    limit,
    offset: request.offset ?? 0,
    output_fields: request.outputFields ?? [],
    partition_names: request.partitionNames ?? [],
    rerank: { strategy: request.rerank?.strategy ?? "rrf", params: request.rerank?.params ?? {} },
  };
  const built = buildSearchRequest(sdkRequest, description, context.client.protoRoot);
  const grpcRequest: Record<string, unknown> = { ...(built.request as Record<string, unknown>), ...database(context) };
  applyConsistency(grpcRequest, consistencyLevel);
  if (request.groupingField) {
    const rankParams = Array.isArray(grpcRequest.rank_params) ? [...(grpcRequest.rank_params as unknown[])] : [];
    rankParams.push({ key: "group_by_field", value: request.groupingField });
    if ((request.groupSize ?? 0) > 0) {
      rankParams.push({ key: "group_size", value: String(request.groupSize) }, { key: "strict_group_size", value: String(request.strictGroupSize ?? false) });
    }
    grpcRequest.rank_params = rankParams;
  }
  const raw: unknown = await promisify(context.client.channelPool, "HybridSearch", grpcRequest, context.remainingMs());
  return searchAnswer(raw, context, request.collectionName, "HybridSearch", request.outputFields ?? []);
}

// ---------------------------------------------------------------------------------------------------------------
// Query, get, delete, insert, upsert
// ---------------------------------------------------------------------------------------------------------------

const queryResultsSchema = z.looseObject({ status: z.unknown(), fields_data: z.unknown() });

async function runQuery(
  context: CallContext,
  collection: string,
  query: { expr: string; outputFields: string[]; partitionNames: string[]; limit?: number; offset?: number; exprValues?: Record<string, unknown>; consistencyLevel?: (typeof CONSISTENCY_LEVELS)[number] },
): Promise<MilvusResponse> {
  const queryParams: Record<string, string> = {};
  if (query.offset !== undefined && query.offset > 0) queryParams.offset = String(query.offset);
  const isCount = query.outputFields.length === 1 && query.outputFields[0]?.trim().toLowerCase() === "count(*)";
  if (query.limit !== undefined && query.limit > 0 && !isCount) queryParams.limit = String(query.limit);
  const grpcRequest: Record<string, unknown> = {
    collection_name: collection,
    ...database(context),
    expr: query.expr,
    output_fields: query.outputFields,
    partition_names: query.partitionNames,
    query_params: Object.entries(queryParams).map(([key, value]) => ({ key, value })),
  };
  if (query.exprValues !== undefined) grpcRequest.expr_template_values = formatExprValues(query.exprValues);
  applyConsistency(grpcRequest, query.consistencyLevel);
  const raw: unknown = await promisify(context.client.channelPool, "Query", grpcRequest, context.remainingMs());
  requireSuccessForgetting(raw, context, collection, "Query");
  const parsed = queryResultsSchema.parse(raw);
  // A query always returns the primary key with the fields asked for: what Milvus returns is kept.
  const columns = columnsOf(parsed.fields_data, undefined, query.outputFields);
  const rowCount = Math.max(0, ...columns.fields.map((field) => columns.values.get(field.field_name)?.length ?? 0));
  const rows = Array.from({ length: rowCount }, (_, index) => rowOf(columns, index));
  return { code: 0, data: rows, cost: costOf(raw) };
}

async function query(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(queryBodySchema, body, "QueryReqV2");
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const filter = prepareFilter(request.filter, request.exprParams, context);
  return runQuery(context, request.collectionName, {
    expr: filter.expr,
    outputFields: request.outputFields ?? ["*"],
    partitionNames: request.partitionNames ?? [],
    limit: request.limit ?? 100,
    offset: request.offset ?? 0,
    ...(filter.exprValues === undefined ? {} : { exprValues: filter.exprValues }),
    ...(consistencyLevel === undefined ? {} : { consistencyLevel }),
  });
}

/** `pk in [...]` for the given primary keys, as the REST server writes it (checkGetPrimaryKey). */
function primaryKeyFilter(description: DescribeCollectionResponse, ids: string | number | (string | number)[]): string {
  const field = primaryField(description);
  const values = Array.isArray(ids) ? ids : [ids];
  if (String(field.data_type) === "VarChar") {
    return `${field.name} in [${values.map((value) => milvusLiteral(String(value), "id")).join(",")}]`;
  }
  const integers = values.map((value) => {
    const text = String(value).trim();
    if (!/^-?\d+$/.test(text)) throw answer(RestCode.checkPrimaryKey, `${RestMessage.checkPrimaryKey}, error: ${JSON.stringify(value)} is not an int64 primary key`);
    return text;
  });
  return `${field.name} in [${integers.join(",")}]`;
}

async function get(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(getBodySchema, body, "CollectionIDReq");
  if (request.id === undefined || request.id === null) {
    throw answer(RestCode.missingRequiredParameters, `${RestMessage.missingRequiredParameters}, error: Key: 'CollectionIDReq.ID' Error:Field validation for 'ID' failed on the 'required' tag`);
  }
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const description = await describedCollection(context, request.collectionName);
  return runQuery(context, request.collectionName, {
    expr: primaryKeyFilter(description, request.id),
    outputFields: request.outputFields ?? ["*"],
    partitionNames: request.partitionNames ?? [],
    ...(consistencyLevel === undefined ? {} : { consistencyLevel }),
  });
}

const mutationResultSchema = z.looseObject({
  status: z.unknown(),
  IDs: z
    .looseObject({
      int_id: z.looseObject({ data: z.array(z.union([z.string(), z.number()])) }).nullish(),
      str_id: z.looseObject({ data: z.array(z.string()) }).nullish(),
    })
    .nullish(),
  insert_cnt: z.union([z.string(), z.number()]).nullish(),
  upsert_cnt: z.union([z.string(), z.number()]).nullish(),
  delete_cnt: z.union([z.string(), z.number()]).nullish(),
});

function mutationIds(result: z.infer<typeof mutationResultSchema>): unknown[] {
  const intIds = result.IDs?.int_id?.data;
  if (intIds !== undefined && intIds !== null) return intIds.map((id) => int64Value(String(id)));
  return result.IDs?.str_id?.data ?? [];
}

async function remove(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(deleteBodySchema, body, "CollectionFilterReq");
  let filter = prepareFilter(request.filter, request.exprParams, context);
  if (filter.expr === "") {
    if (request.id === undefined || request.id === null) {
      throw answer(RestCode.missingRequiredParameters, `${RestMessage.missingRequiredParameters}, error: Key: 'CollectionFilterReq.Filter' Error:Field validation for 'Filter' failed on the 'required' tag`);
    }
    filter = { expr: primaryKeyFilter(await describedCollection(context, request.collectionName), request.id) };
  }
  const grpcRequest: Record<string, unknown> = { collection_name: request.collectionName, ...database(context), expr: filter.expr };
  if (request.partitionName) grpcRequest.partition_name = request.partitionName;
  if (filter.exprValues !== undefined) grpcRequest.expr_template_values = formatExprValues(filter.exprValues);
  const raw: unknown = await promisify(context.client.channelPool, "Delete", grpcRequest, context.remainingMs());
  requireSuccessForgetting(raw, context, request.collectionName, "Delete");
  const result = mutationResultSchema.parse(raw);
  return { code: 0, data: { deleteCount: Number(result.delete_cnt ?? 0) }, cost: costOf(raw) };
}

async function write(body: Record<string, unknown>, context: CallContext, kind: "insert" | "upsert"): Promise<MilvusResponse> {
  const request = parseBody(insertBodySchema, body, "CollectionDataReq");
  const rows = request.data ?? [];
  if (rows.length === 0) throw answer(RestCode.invalidInsertData, `${RestMessage.invalidInsertData}, error: ${RestMessage.missingRequiredParameters}`);
  const sdkRequest: InsertReq = {
    collection_name: request.collectionName,
    ...database(context),
    ...(request.partitionName ? { partition_name: request.partitionName } : {}),
    data: rows as RowData[],
    timeout: context.remainingMs(),
  };
  const raw = kind === "insert" ? await context.client.insert(sdkRequest) : await context.client.upsert(sdkRequest);
  try {
    requireSuccess(raw, context, kind === "insert" ? "Insert" : "Upsert");
  } catch (error) {
    context.client.forgetCollection(request.collectionName);
    throw error;
  }
  const result = mutationResultSchema.parse(raw);
  const ids = mutationIds(result);
  const data =
    kind === "insert"
      ? { insertCount: Number(result.insert_cnt ?? ids.length), insertIds: ids }
      : { upsertCount: Number(result.upsert_cnt ?? ids.length), upsertIds: ids };
  return { code: 0, data, cost: costOf(raw) };
}

// ---------------------------------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------------------------------

async function has(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const response = await context.client.hasCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "HasCollection");
  return { code: 0, data: { has: Boolean(response.value) } };
}

/** Needs no collection: the database comes from the body's `dbName`, already in the context. */
async function list(_body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const response = await context.client.showCollections({ ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "ShowCollections");
  const names = (response as { collection_names?: unknown }).collection_names;
  return { code: 0, data: Array.isArray(names) ? names.filter((name): name is string => typeof name === "string") : (response.data ?? []).map((entry) => entry.name) };
}

function keyValuePairs(pairs: readonly { key: string; value: unknown }[] | undefined): { key: string; value: string }[] {
  return (pairs ?? []).map((pair) => ({ key: pair.key, value: String(pair.value) }));
}

function describedField(field: FieldSchema): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    name: field.name,
    id: int64Value(String(field.fieldID)),
    type: String(field.data_type),
    primaryKey: field.is_primary_key,
    partitionKey: field.is_partition_key ?? false,
    clusteringKey: field.is_clustering_key ?? false,
    autoId: field.autoID,
    description: field.description,
    nullable: field.nullable ?? false,
  };
  if (field.default_value !== undefined && field.default_value !== null) detail.defaultValue = field.default_value;
  if (field.is_function_output) detail.isFunctionOutput = true;
  if (field.type_params.length > 0) detail.params = keyValuePairs(field.type_params);
  if (String(field.data_type) === "Array" && field.element_type !== undefined) detail.elementType = String(field.element_type);
  return detail;
}

/** The REST v2 describe answer (getCollectionDetails): schema, indexes, load state, aliases. */
async function describe(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const collection = request.collectionName;
  const description = await context.client.describeCollection({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  try {
    requireSuccess(description, context, "DescribeCollection");
  } catch (error) {
    forgetCollection(context, collection);
    throw error;
  }
  context.caches.rememberDescription(context.database, collection, description);
  // As the REST server does, the secondary lookups only add to `message` when they fail.
  const problems: string[] = [];
  const loadState = await context.client.getLoadState({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  const loadFailure = failedLookup(loadState, context, "GetLoadState");
  if (loadFailure !== undefined) problems.push(`${loadFailure};`);
  const indexes = await context.client.describeIndex({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  const indexFailure = failedLookup(indexes, context, "DescribeIndex");
  if (indexFailure !== undefined) problems.push(`${indexFailure};`);
  const aliases = await context.client.listAliases({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  const aliasFailure = failedLookup(aliases, context, "ListAliases");
  if (aliasFailure !== undefined) problems.push(`${aliasFailure}.`);

  const primary = description.schema.fields.find((field) => field.is_primary_key);
  return {
    code: 0,
    data: {
      collectionName: description.collection_name,
      collectionID: int64Value(String(description.collectionID)),
      description: description.schema.description,
      autoId: primary?.autoID ?? false,
      fields: description.schema.fields.filter((field) => field.name !== "$meta").map(describedField),
      functions: (description.schema.functions ?? []).map((fn) => ({
        name: fn.name,
        description: fn.description ?? "",
        type: fn.type,
        inputFieldNames: fn.input_field_names,
        outputFieldNames: fn.output_field_names ?? [],
        params: fn.params,
      })),
      aliases: aliasFailure === undefined ? (aliases.aliases ?? []) : [],
      indexes:
        indexFailure === undefined
          ? (indexes.index_descriptions ?? []).map((index) => ({
              fieldName: index.field_name,
              indexName: index.index_name,
              metricType: String(index.params.find((pair) => pair.key === "metric_type")?.value ?? "COSINE"),
            }))
          : [],
      load: loadFailure === undefined ? String(loadState.state) : "",
      shardsNum: description.shards_num,
      partitionsNum: Number(description.num_partitions ?? 0),
      consistencyLevel: String(description.consistency_level),
      enableDynamicField: description.schema.enable_dynamic_field,
      properties: keyValuePairs(description.properties),
    },
    message: problems.join(""),
  };
}

/** The message of a failed secondary lookup (a missing index, an RPC Milvus Lite lacks); undefined on success. */
function failedLookup(response: unknown, context: CallContext, rpc: string): string | undefined {
  const status = statusOf(response);
  if (status === undefined) return `service unimplemented: the Milvus server does not implement ${rpc}`;
  return failedAnswer(status, context.isMilvusLite)?.message;
}

async function getLoadState(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const collection = request.collectionName;
  const response = await context.client.getLoadState({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "GetLoadState");
  const state = String(response.state);
  if (state === "LoadStateNotExist") throw answer(RestCode.collectionNotFound, `collection not found[collection=${collection}]`);
  if (state === "LoadStateNotLoad") return { code: 0, data: { loadState: state } };
  const progress = await context.client.getLoadingProgress({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  const progressFailure = failedLookup(progress, context, "GetLoadingProgress");
  const percent = progressFailure === undefined ? Number(progress.progress) : -1;
  return {
    code: 0,
    data: { loadState: percent >= 100 ? "LoadStateLoaded" : "LoadStateLoading", loadProgress: percent },
    message: progressFailure === undefined ? "" : `${progressFailure}.`,
  };
}

async function statusOnly(context: CallContext, rpc: string, response: unknown): Promise<MilvusResponse> {
  requireSuccess(response, context, rpc);
  return { code: 0, data: {} };
}

async function drop(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  forgetCollection(context, request.collectionName);
  const response = await context.client.dropCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  forgetCollection(context, request.collectionName);
  return statusOnly(context, "DropCollection", response);
}

async function flush(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "FlushReq");
  const response = await context.client.flush({ collection_names: [request.collectionName], ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "Flush", response);
}

async function load(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  // One LoadCollection RPC, like the REST server: the SDK's loadCollection polls until loaded, without a deadline.
  const response = await context.client.loadCollectionAsync({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "LoadCollection", response);
}

async function release(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const response = await context.client.releaseCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "ReleaseCollection", response);
}

type CreateBody = z.infer<typeof createBodySchema>;
type CreateField = z.infer<typeof createFieldSchema>;

interface IndexToCreate {
  fieldName: string;
  indexName: string;
  indexType: string;
  metricType: string | undefined;
  params: Record<string, unknown>;
}

function dataTypeOf(name: string, what: string): keyof typeof DataTypeMap {
  if (name !== "None" && Object.hasOwn(DataTypeMap, name)) return name as keyof typeof DataTypeMap;
  throw answer(RestCode.parameterInvalid, `invalid parameter, ${what} ${name} is invalid(case sensitive).`);
}

/** `elementTypeParams` values as the REST server writes them into type params: strings as is, the rest as JSON. */
function typeParamValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function sdkField(field: CreateField, autoId: boolean): FieldType {
  const typeParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(field.elementTypeParams ?? {})) typeParams[key] = typeParamValue(value);
  const sdk: FieldType = {
    name: field.fieldName,
    data_type: dataTypeOf(field.dataType, "data type"),
    is_primary_key: field.isPrimary ?? false,
    is_partition_key: field.isPartitionKey ?? false,
    is_clustering_key: field.isClusteringKey ?? false,
    autoID: field.isPrimary === true ? autoId : false,
    nullable: field.nullable ?? false,
    description: field.description ?? "",
  };
  if (Object.keys(typeParams).length > 0) sdk.type_params = typeParams as FieldType["type_params"];
  if (field.dataType === "Array") sdk.element_type = dataTypeOf(field.elementDataType ?? "", "element data type");
  if (field.defaultValue !== undefined && field.defaultValue !== null) sdk.default_value = typeof field.defaultValue === "boolean" ? String(field.defaultValue) : field.defaultValue;
  return sdk;
}

/** Quick form: an `id` primary key and a `vector` float vector field, indexed (COSINE unless told) and loaded. */
interface CreatePlan {
  fields: FieldType[];
  enableDynamicField: boolean;
  indexes: IndexToCreate[];
  functions?: FunctionObject[];
}

function quickCreatePlan(request: CreateBody): CreatePlan {
  const dimension = request.dimension ?? 0;
  if (dimension <= 0) {
    throw answer(RestCode.parameterInvalid, "dimension is required for quickly create collection(default metric type: COSINE): invalid parameter[expected=collectionName & dimension][actual=collectionName]");
  }
  const idType = request.idType ?? "";
  if (!["", "Int64", "int64", "VarChar", "Varchar"].includes(idType)) {
    throw answer(RestCode.parameterInvalid, `idType can only be [Int64, VarChar], default: Int64: invalid parameter[expected=Int64, Varchar][actual=${idType}]`);
  }
  const primaryFieldName = request.primaryFieldName || "id";
  const vectorFieldName = request.vectorFieldName || "vector";
  const isVarChar = idType === "VarChar" || idType === "Varchar";
  const primary: FieldType = { name: primaryFieldName, data_type: isVarChar ? "VarChar" : "Int64", is_primary_key: true, autoID: request.autoID ?? false };
  if (isVarChar) primary.type_params = { max_length: typeParamValue(request.params?.max_length ?? "") } as FieldType["type_params"];
  const enableDynamic = request.params?.enableDynamicField;
  return {
    fields: [primary, { name: vectorFieldName, data_type: "FloatVector", type_params: { dim: String(dimension) } as FieldType["type_params"] }],
    enableDynamicField: enableDynamic === undefined ? true : enableDynamic === true || enableDynamic === "true",
    indexes: [{ fieldName: vectorFieldName, indexName: vectorFieldName, indexType: "AUTOINDEX", metricType: request.metricType || "COSINE", params: {} }],
  };
}

/** Full form: the given schema; indexes (AUTOINDEX when no type is named) and a load only when indexParams are given. */
function fullCreatePlan(request: CreateBody, fields: CreateField[]): CreatePlan {
  const autoId = request.schema?.autoID ?? false;
  const names = new Set(fields.map((field) => field.fieldName));
  const indexes = (request.indexParams ?? []).map((index): IndexToCreate => {
    if (!names.has(index.fieldName)) {
      throw answer(RestCode.missingRequiredParameters, `${RestMessage.missingRequiredParameters}, error: \`${index.fieldName}\` hasn't defined in schema`);
    }
    return indexToCreate(index);
  });
  const functions = (request.schema?.functions ?? []).map(sdkFunction);
  return {
    fields: fields.map((field) => sdkField(field, autoId)),
    enableDynamicField: request.schema?.enableDynamicField ?? false,
    indexes,
    ...(functions.length === 0 ? {} : { functions }),
  };
}

/** An `indexParams` entry: the type and metric may also sit in `params`; AUTOINDEX when no type is named. */
function indexToCreate(index: z.infer<typeof createIndexSchema>): IndexToCreate {
  const params: Record<string, unknown> = { ...(index.params ?? {}) };
  const indexType = index.indexType || (typeof params.index_type === "string" ? params.index_type : "") || "AUTOINDEX";
  const metricType = index.metricType || index.metric_type || (typeof params.metric_type === "string" ? params.metric_type : undefined) || (typeof params.metricType === "string" ? params.metricType : undefined);
  for (const key of ["index_type", "metric_type", "metricType"]) delete params[key];
  return { fieldName: index.fieldName, indexName: index.indexName || "", indexType, metricType, params };
}

/** A REST v2 schema function as the SDK takes it; the type by name (`BM25`), as the REST server takes it. */
function sdkFunction(fn: z.infer<typeof createFunctionSchema>): FunctionObject {
  const known = Object.keys(FunctionType).filter((name) => !/^\d+$/.test(name) && name !== "Unknown");
  const type = known.find((name) => name === fn.type.toUpperCase());
  if (type === undefined) throw answer(RestCode.parameterInvalid, `invalid parameter, function type ${fn.type} is invalid (expected one of ${known.join(", ")}).`);
  return {
    name: fn.name,
    description: fn.description ?? "",
    type: FunctionType[type as keyof typeof FunctionType],
    input_field_names: fn.inputFieldNames,
    output_field_names: fn.outputFieldNames ?? [],
    params: fn.params ?? {},
  };
}

async function create(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(createBodySchema, body, "CollectionReq");
  const collection = request.collectionName;
  const schemaFields = request.schema?.fields ?? [];
  const plan = schemaFields.length === 0 ? quickCreatePlan(request) : fullCreatePlan(request, schemaFields);
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel ?? (typeof request.params?.consistencyLevel === "string" ? request.params.consistencyLevel : undefined));
  const shardsNum = Number(request.params?.shardsNum);
  const partitionsNum = Number(request.params?.partitionsNum);
  const ttlSeconds = request.params?.ttlSeconds;

  forgetCollection(context, collection);
  const created = await context.client.createCollection({
    collection_name: collection,
    ...database(context),
    fields: plan.fields,
    ...(plan.functions === undefined ? {} : { functions: plan.functions }),
    enable_dynamic_field: plan.enableDynamicField,
    description: request.description ?? "",
    consistency_level: consistencyLevel ?? "Bounded",
    ...(Number.isInteger(shardsNum) && shardsNum > 0 ? { shards_num: shardsNum } : {}),
    ...(Number.isInteger(partitionsNum) && partitionsNum > 0 && schemaFields.some((field) => field.isPartitionKey) ? { num_partitions: partitionsNum } : {}),
    ...(ttlSeconds === undefined ? {} : { properties: { "collection.ttl.seconds": String(ttlSeconds) } }),
    timeout: context.remainingMs(),
  });
  requireSuccess(created, context, "CreateCollection");
  if (plan.indexes.length === 0) return { code: 0, data: {} };

  for (const index of plan.indexes) await createOneIndex(context, collection, index);
  const loaded = await context.client.loadCollectionAsync({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  forgetCollection(context, collection);
  return statusOnly(context, "LoadCollection", loaded);
}

async function createOneIndex(context: CallContext, collection: string, index: IndexToCreate): Promise<void> {
  const indexed = await context.client.createIndex({
    collection_name: collection,
    ...database(context),
    field_name: index.fieldName,
    ...(index.indexName === "" ? {} : { index_name: index.indexName }),
    // Milvus picks AUTOINDEX for an index without a type; Milvus Lite refuses one, so it is always named.
    index_type: index.indexType,
    ...(index.metricType === undefined ? {} : { metric_type: index.metricType }),
    ...(Object.keys(index.params).length === 0 ? {} : { params: index.params as Record<string, string | number | boolean> }),
    timeout: context.remainingMs(),
  });
  requireSuccess(indexed, context, "CreateIndex");
}

const createIndexesBodySchema = z.looseObject({ dbName: optionalString, collectionName: z.string(), indexParams: z.array(createIndexSchema).nullish() });

/** `indexes/create`: one CreateIndex per entry, as the REST server does; the collection is not loaded. */
async function createIndexes(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(createIndexesBodySchema, body, "IndexParamReq");
  const indexes = request.indexParams ?? [];
  if (indexes.length === 0) {
    throw answer(RestCode.missingRequiredParameters, `${RestMessage.missingRequiredParameters}, error: Key: 'IndexParamReq.IndexParams' Error:Field validation for 'IndexParams' failed on the 'required' tag`);
  }
  for (const index of indexes) await createOneIndex(context, request.collectionName, indexToCreate(index));
  forgetCollection(context, request.collectionName);
  return { code: 0, data: {} };
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
