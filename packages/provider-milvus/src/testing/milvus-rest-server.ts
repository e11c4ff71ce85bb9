import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ExpressionError, evaluateExpression, expressionReferences, parseExpression, type ExpressionNode } from "./milvus-expression.js";

/**
 * An in-memory Milvus REST v2 server on 127.0.0.1 for tests and benchmarks, built from the documented contract
 * (see /v2/vectordb/... in the Milvus RESTful API reference). It keeps collections with one float vector field and
 * searches them by brute force with Milvus's formulas (L2 = squared euclidean distance, IP = dot product,
 * COSINE = cosine similarity), best first.
 *
 * Endpoints: collections/create|describe|has|drop|list|load|release|flush|get_load_state and
 * entities/insert|upsert|delete|query|get|search. Answers carry Milvus's codes: 100 unknown collection, 101 not
 * loaded, 1100 invalid parameter (also an expression it cannot evaluate), 1801 body not JSON, 1802 missing
 * parameter, 1804 rows that do not fit the schema; with a `token` configured a request without `Authorization:
 * Bearer <token>` gets HTTP 401 and code 1800. Unknown paths get HTTP 404 with a non-JSON body, as Milvus's router does.
 *
 * Deliberate simplifications: one database namespace per `dbName` created on demand, one vector field per
 * collection, inserts with an existing primary key replace the row, `consistencyLevel` and index parameters are
 * accepted and ignored, and an empty or missing `searchParams.metricType` means the index's metric (real Milvus
 * does the same; Milvus Lite does not — which is why the gateway always sends it).
 */

export interface MilvusRestServerOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`; others get HTTP 401 + code 1800. */
  token?: string;
  /** Delay before every answer, in ms (also settable later through `server.latencyMs`). */
  latencyMs?: number;
  /** Answer every `entities/search` with this at once, without touching collections (benchmarks). */
  fixedSearchAnswer?: MilvusAnswer;
  /**
   * Under which key search rows carry the primary key: its own field name, as Milvus ≥ 2.5 does (default), or
   * `id`, as older servers do whatever the field is called.
   */
  primaryKeyInSearchRows?: "fieldName" | "id";
  /** Keep each request in `server.requests` (default true; turn off for long benchmarks). */
  recordRequests?: boolean;
  /** Port to listen on (default: any free port). */
  port?: number;
}

export interface MilvusAnswer {
  code: number;
  message?: string;
  data?: unknown;
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** `entities/search`, `collections/describe`, … */
  endpoint: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body (the raw text when it was not JSON). */
  body: unknown;
}

export interface InjectedFailure {
  code: number;
  message: string;
  /** HTTP status of the failing answer (default 200, as Milvus sends most errors). */
  httpStatus?: number;
  /** Fail only the next call to this endpoint (default: the next call to any endpoint). */
  endpoint?: string;
}

export interface MilvusRestServer {
  /** `http://127.0.0.1:<port>`: the `api_base` to use. */
  readonly url: string;
  /** Every request received, in order (unless `recordRequests: false`). */
  readonly requests: RecordedRequest[];
  /** Delay before every answer, in ms. */
  latencyMs: number;
  /** When set, `entities/search` answers this without looking at collections. */
  fixedSearchAnswer: MilvusAnswer | undefined;
  /** Makes the next matching request fail with this Milvus code and message. Failures queue in order. */
  failNext(failure: InjectedFailure): void;
  /** The recorded requests to one endpoint. */
  requestsTo(endpoint: string): RecordedRequest[];
  close(): Promise<void>;
}

const MAX_TOP_K = 16384;

type Metric = "L2" | "IP" | "COSINE";

interface FieldDefinition {
  name: string;
  dataType: string;
  isPrimary: boolean;
  nullable: boolean;
  dim?: number;
  maxLength?: number;
  id: number;
}

interface StoredCollection {
  id: number;
  name: string;
  fields: FieldDefinition[];
  primaryField: FieldDefinition;
  vectorField: FieldDefinition;
  autoId: boolean;
  enableDynamicField: boolean;
  index: { indexName: string; metricType: Metric } | undefined;
  loaded: boolean;
  rows: Map<string, Record<string, unknown>>;
  nextAutoId: number;
}

class MilvusFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (body: Record<string, unknown>, request: RequestContext) => unknown;

interface RequestContext {
  dbName: string;
  allowInt64: boolean;
}

export async function startMilvusRestServer(options: MilvusRestServerOptions = {}): Promise<MilvusRestServer> {
  const databases = new Map<string, Map<string, StoredCollection>>();
  const requests: RecordedRequest[] = [];
  const failures: InjectedFailure[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const recordRequests = options.recordRequests ?? true;
  const primaryKeyInSearchRows = options.primaryKeyInSearchRows ?? "fieldName";
  let nextCollectionId = 1;

  const state = {
    latencyMs: options.latencyMs ?? 0,
    fixedSearchAnswer: options.fixedSearchAnswer,
  };

  const collectionsOf = (dbName: string): Map<string, StoredCollection> => {
    let collections = databases.get(dbName);
    if (!collections) {
      collections = new Map();
      databases.set(dbName, collections);
    }
    return collections;
  };

  const requireCollection = (body: Record<string, unknown>, context: RequestContext): StoredCollection => {
    const name = requireString(body, "collectionName");
    const collection = collectionsOf(context.dbName).get(name);
    if (!collection) throw new MilvusFailure(100, `can't find collection[database=${context.dbName}][collection=${name}]`);
    return collection;
  };

  const handlers: Record<string, Handler> = {
    "collections/create": (body, context) => {
      const name = requireString(body, "collectionName");
      const collections = collectionsOf(context.dbName);
      if (collections.has(name)) throw new MilvusFailure(65535, `collection already exists: ${name}`);
      const collection = body.schema === undefined ? quickCollection(name, body) : fullCollection(name, body);
      collection.id = nextCollectionId++;
      collections.set(name, collection);
      return {};
    },
    "collections/describe": (body, context) => describeCollection(requireCollection(body, context)),
    "collections/has": (body, context) => ({ has: collectionsOf(context.dbName).has(requireString(body, "collectionName")) }),
    "collections/list": (_body, context) => [...collectionsOf(context.dbName).keys()],
    "collections/drop": (body, context) => {
      collectionsOf(context.dbName).delete(requireString(body, "collectionName"));
      return {};
    },
    "collections/load": (body, context) => {
      const collection = requireCollection(body, context);
      if (!collection.index) throw new MilvusFailure(700, `index not found[collection=${collection.name}]`);
      collection.loaded = true;
      return {};
    },
    "collections/release": (body, context) => {
      requireCollection(body, context).loaded = false;
      return {};
    },
    "collections/flush": (body, context) => {
      requireCollection(body, context);
      return {};
    },
    "collections/get_load_state": (body, context) => ({ loadState: requireCollection(body, context).loaded ? "LoadStateLoaded" : "LoadStateNotLoad" }),
    "entities/insert": (body, context) => {
      const ids = writeRows(requireCollection(body, context), body, "insert");
      return { insertCount: ids.length, insertIds: ids };
    },
    "entities/upsert": (body, context) => {
      const ids = writeRows(requireCollection(body, context), body, "upsert");
      return { upsertCount: ids.length, upsertIds: ids };
    },
    "entities/delete": (body, context) => {
      const collection = requireCollection(body, context);
      const matches = body.id !== undefined ? rowsWithIds(collection, body.id) : matchingRows(collection, requireString(body, "filter"), body.exprParams);
      for (const row of matches) collection.rows.delete(rowKey(row[collection.primaryField.name]));
      return {};
    },
    "entities/query": (body, context) => {
      const collection = requireCollection(body, context);
      const filter = optionalString(body, "filter");
      const limit = optionalInteger(body, "limit") ?? 100;
      const offset = optionalInteger(body, "offset") ?? 0;
      const rows = filter === undefined || filter.trim() === "" ? [...collection.rows.values()] : matchingRows(collection, filter, body.exprParams);
      // `count(*)` alone counts every matching row, whatever the limit (as Milvus does).
      if (Array.isArray(body.outputFields) && body.outputFields.length === 1 && String(body.outputFields[0]).trim().toLowerCase() === "count(*)") return [{ "count(*)": rows.length }];
      const fields = outputFieldNames(collection, body.outputFields, ["*"]);
      return rows.slice(offset, offset + limit).map((row) => projectRow(collection, row, fields, context, true));
    },
    "entities/get": (body, context) => {
      const collection = requireCollection(body, context);
      if (body.id === undefined) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'id'");
      const fields = outputFieldNames(collection, body.outputFields, ["*"]);
      return rowsWithIds(collection, body.id).map((row) => projectRow(collection, row, fields, context, true));
    },
    "entities/search": (body, context) => search(requireCollection(body, context), body, context),
  };

  function search(collection: StoredCollection, body: Record<string, unknown>, context: RequestContext): { rows: Record<string, unknown>[]; topks: number[] } {
    const vectors = body.data;
    if (!Array.isArray(vectors) || vectors.length === 0) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'data'");
    const annsField = optionalString(body, "annsField");
    if (annsField !== undefined && annsField !== collection.vectorField.name) {
      throw new MilvusFailure(1100, `invalid parameter[expected=${collection.vectorField.name}][actual=${annsField}]: field not exist or not a vector field`);
    }
    if (!collection.index || !collection.loaded) throw new MilvusFailure(101, `collection not loaded[collection=${collection.name}]`);
    const searchParams = isRecord(body.searchParams) ? body.searchParams : {};
    const requestedMetric = searchParams.metricType ?? searchParams.metric_type;
    if (typeof requestedMetric === "string" && requestedMetric !== "" && requestedMetric.toUpperCase() !== collection.index.metricType) {
      throw new MilvusFailure(1100, `metric type not match: invalid parameter[expected=${collection.index.metricType}][actual=${requestedMetric}]`);
    }
    const metric = collection.index.metricType;
    const limit = optionalInteger(body, "limit") ?? 100;
    const offset = optionalInteger(body, "offset") ?? 0;
    if (limit < 1 || offset < 0 || limit + offset > MAX_TOP_K) throw new MilvusFailure(1100, `invalid parameter: limit+offset must be in [1, ${MAX_TOP_K}]`);
    const filter = optionalString(body, "filter");
    const candidates = filter === undefined || filter.trim() === "" ? [...collection.rows.values()] : matchingRows(collection, filter, body.exprParams);
    const fields = outputFieldNames(collection, body.outputFields, []);
    const groupingField = optionalString(body, "groupingField");
    const groupSize = optionalInteger(body, "groupSize") ?? 1;

    const rows: Record<string, unknown>[] = [];
    const topks: number[] = [];
    for (const vector of vectors) {
      const query = checkVector(vector, collection.vectorField, "search");
      const scored = candidates
        .map((row) => ({ row, distance: distanceOf(metric, query, row[collection.vectorField.name] as number[]) }))
        .sort((a, b) => (metric === "L2" ? a.distance - b.distance : b.distance - a.distance));
      let selected = scored;
      if (groupingField !== undefined) {
        const perGroup = new Map<string, number>();
        const groupOrder: string[] = [];
        selected = scored.filter(({ row }) => {
          const group = JSON.stringify(fieldValue(row, groupingField) ?? null);
          const count = perGroup.get(group) ?? 0;
          if (count === 0) groupOrder.push(group);
          if (count >= groupSize) return false;
          perGroup.set(group, count + 1);
          return true;
        });
        const kept = new Set(groupOrder.slice(offset, offset + limit));
        selected = selected.filter(({ row }) => kept.has(JSON.stringify(fieldValue(row, groupingField) ?? null)));
      } else {
        selected = scored.slice(offset, offset + limit);
      }
      for (const { row, distance } of selected) {
        const primaryKey = row[collection.primaryField.name];
        const pkKey = primaryKeyInSearchRows === "id" ? "id" : collection.primaryField.name;
        rows.push({ ...projectRow(collection, row, fields, context, false), [pkKey]: int64Out(collection.primaryField, primaryKey, context), distance });
      }
      topks.push(selected.length);
    }
    return { rows, topks };
  }

  function matchingRows(collection: StoredCollection, filter: string, exprParams: unknown): Record<string, unknown>[] {
    let expression: ExpressionNode;
    try {
      expression = parseExpression(filter);
    } catch (error) {
      throw new MilvusFailure(1100, `failed to create query plan: cannot parse expression: ${filter}, error: ${(error as Error).message}`);
    }
    const params = isRecord(exprParams) ? exprParams : {};
    const references = expressionReferences(expression);
    for (const name of references.placeholders) {
      if (!(name in params)) throw new MilvusFailure(1100, `failed to create query plan: cannot parse expression: ${filter}, error: placeholder {${name}} has no value in exprParams`);
    }
    for (const name of references.fields) {
      if (!collection.fields.some((field) => field.name === name) && !collection.enableDynamicField) {
        throw new MilvusFailure(1100, `failed to create query plan: cannot parse expression: ${filter}, error: field ${name} not exist`);
      }
    }
    try {
      return [...collection.rows.values()].filter((row) => evaluateExpression(expression, { params, field: (name) => fieldValue(row, name) }));
    } catch (error) {
      if (error instanceof ExpressionError) throw new MilvusFailure(1100, `failed to evaluate expression: ${filter}, error: ${error.message}`);
      throw error;
    }
  }

  function writeRows(collection: StoredCollection, body: Record<string, unknown>, mode: "insert" | "upsert"): unknown[] {
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'data'");
    const prepared = data.map((input, index) => {
      if (!isRecord(input)) throw new MilvusFailure(1804, `fail to deal with insert data, error: row ${index} is not an object`);
      const row: Record<string, unknown> = {};
      for (const field of collection.fields) {
        let value = input[field.name];
        if (field.isPrimary && collection.autoId && mode === "insert") {
          if (value !== undefined) throw new MilvusFailure(1804, `fail to deal with insert data, error: the primary key ${field.name} is auto-generated and must not be given`);
          value = collection.nextAutoId++;
        }
        if (value === undefined || value === null) {
          if (field.nullable && !field.isPrimary) {
            row[field.name] = null;
            continue;
          }
          throw new MilvusFailure(1804, `fail to deal with insert data, error: field ${field.name} is required in row ${index}`);
        }
        row[field.name] = checkFieldValue(field, value, index);
      }
      if (collection.enableDynamicField) {
        for (const [key, value] of Object.entries(input)) {
          if (!collection.fields.some((field) => field.name === key)) row[key] = value;
        }
      }
      return row;
    });
    return prepared.map((row) => {
      const primaryKey = row[collection.primaryField.name];
      collection.rows.set(rowKey(primaryKey), row);
      return primaryKey;
    });
  }

  function rowsWithIds(collection: StoredCollection, ids: unknown): Record<string, unknown>[] {
    const list = Array.isArray(ids) ? ids : [ids];
    return list.flatMap((id) => {
      const normalized = collection.primaryField.dataType === "Int64" && typeof id === "string" && /^-?\d+$/.test(id) ? Number(id) : id;
      const row = collection.rows.get(rowKey(normalized));
      return row ? [row] : [];
    });
  }

  function projectRow(collection: StoredCollection, row: Record<string, unknown>, fields: string[] | "*", context: RequestContext, withPrimaryKey: boolean): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    if (withPrimaryKey) result[collection.primaryField.name] = int64Out(collection.primaryField, row[collection.primaryField.name], context);
    const names = fields === "*" ? Object.keys(row) : fields;
    for (const name of names) {
      const field = collection.fields.find((candidate) => candidate.name === name);
      const value = fieldValue(row, name);
      if (value === undefined) continue;
      result[name] = field ? int64Out(field, value, context) : value;
    }
    return result;
  }

  function describeCollection(collection: StoredCollection): Record<string, unknown> {
    return {
      collectionName: collection.name,
      collectionID: collection.id,
      description: "",
      autoId: collection.autoId,
      enableDynamicField: collection.enableDynamicField,
      fields: collection.fields.map((field) => ({
        name: field.name,
        type: field.dataType,
        primaryKey: field.isPrimary,
        autoId: field.isPrimary && collection.autoId,
        partitionKey: false,
        clusteringKey: false,
        nullable: field.nullable,
        description: "",
        id: field.id,
        params: [
          ...(field.dim !== undefined ? [{ key: "dim", value: String(field.dim) }] : []),
          ...(field.maxLength !== undefined ? [{ key: "max_length", value: String(field.maxLength) }] : []),
        ],
      })),
      indexes: collection.index ? [{ fieldName: collection.vectorField.name, indexName: collection.index.indexName, metricType: collection.index.metricType }] : [],
      load: collection.loaded ? "LoadStateLoaded" : "LoadStateNotLoad",
      shardsNum: 1,
      partitionsNum: 1,
      consistencyLevel: "Bounded",
      properties: [],
      functions: [],
      aliases: [],
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value ?? ""]));
    const path = (request.url ?? "").split("?")[0] ?? "";
    const endpoint = path.startsWith("/v2/vectordb/") ? path.slice("/v2/vectordb/".length) : path;
    let body: unknown;
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (recordRequests) requests.push({ endpoint, headers, body: body === undefined ? text : body });

    if (state.latencyMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          resolve();
        }, state.latencyMs);
        pendingTimers.add(timer);
      });
    }
    if (response.destroyed) return;

    const handler = request.method === "POST" && Object.hasOwn(handlers, endpoint) ? handlers[endpoint] : undefined;
    if (handler === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("404 page not found");
      return;
    }
    if (options.token !== undefined && headers.authorization !== `Bearer ${options.token}`) {
      sendJson(response, 401, { code: 1800, message: "user hasn't authenticated" });
      return;
    }
    const failureIndex = failures.findIndex((failure) => failure.endpoint === undefined || failure.endpoint === endpoint);
    if (failureIndex >= 0) {
      const [failure] = failures.splice(failureIndex, 1);
      if (failure) {
        sendJson(response, failure.httpStatus ?? 200, { code: failure.code, message: failure.message });
        return;
      }
    }
    if (!isRecord(body)) {
      sendJson(response, 200, { code: 1801, message: "can only accept json format request" });
      return;
    }
    if (endpoint === "entities/search" && state.fixedSearchAnswer !== undefined) {
      sendJson(response, 200, state.fixedSearchAnswer);
      return;
    }
    const headerDb = headers["db-name"];
    const context: RequestContext = {
      dbName: typeof body.dbName === "string" && body.dbName !== "" ? body.dbName : headerDb !== undefined && headerDb !== "" ? headerDb : "default",
      allowInt64: headers["accept-type-allow-int64"] === "true",
    };
    try {
      const data = handler(body, context);
      if (endpoint === "entities/search") {
        const { rows, topks } = data as { rows: unknown[]; topks: number[] };
        sendJson(response, 200, { code: 0, cost: 0, data: rows, topks });
      } else {
        sendJson(response, 200, { code: 0, data });
      }
    } catch (error) {
      if (error instanceof MilvusFailure) sendJson(response, 200, { code: error.code, message: error.message });
      else sendJson(response, 200, { code: 65535, message: `internal error: ${(error as Error).message}` });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(value: number) {
      state.latencyMs = value;
    },
    get fixedSearchAnswer() {
      return state.fixedSearchAnswer;
    },
    set fixedSearchAnswer(value: MilvusAnswer | undefined) {
      state.fixedSearchAnswer = value;
    },
    failNext(failure) {
      failures.push(failure);
    },
    requestsTo(endpoint) {
      return requests.filter((request) => request.endpoint === endpoint);
    },
    async close() {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function quickCollection(name: string, body: Record<string, unknown>): StoredCollection {
  const dimension = optionalInteger(body, "dimension");
  if (dimension === undefined || dimension < 1) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'dimension' (or 'schema')");
  const idType = optionalString(body, "idType") ?? "Int64";
  if (idType !== "Int64" && idType !== "VarChar") throw new MilvusFailure(1100, `invalid parameter[idType=${idType}]`);
  const primaryField: FieldDefinition = { name: optionalString(body, "primaryFieldName") ?? "id", dataType: idType, isPrimary: true, nullable: false, id: 100, ...(idType === "VarChar" ? { maxLength: 65535 } : {}) };
  const vectorField: FieldDefinition = { name: optionalString(body, "vectorFieldName") ?? "vector", dataType: "FloatVector", isPrimary: false, nullable: false, dim: dimension, id: 101 };
  return {
    id: 0,
    name,
    fields: [primaryField, vectorField],
    primaryField,
    vectorField,
    autoId: body.autoId === true,
    enableDynamicField: true,
    index: { indexName: vectorField.name, metricType: metricOf(body.metricType ?? "COSINE") },
    loaded: true,
    rows: new Map(),
    nextAutoId: 1,
  };
}

function fullCollection(name: string, body: Record<string, unknown>): StoredCollection {
  const schema = body.schema;
  if (!isRecord(schema) || !Array.isArray(schema.fields) || schema.fields.length === 0) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'schema.fields'");
  const fields: FieldDefinition[] = schema.fields.map((input, index) => {
    if (!isRecord(input)) throw new MilvusFailure(1100, `invalid parameter: schema.fields[${index}]`);
    const fieldName = requireString(input, "fieldName");
    const dataType = requireString(input, "dataType");
    if (!["Int64", "Int32", "Int16", "Int8", "VarChar", "Bool", "Float", "Double", "JSON", "Array", "FloatVector"].includes(dataType)) {
      throw new MilvusFailure(1100, `invalid parameter: data type ${dataType} of field ${fieldName} is not supported by this test server`);
    }
    const typeParams = isRecord(input.elementTypeParams) ? input.elementTypeParams : {};
    const field: FieldDefinition = { name: fieldName, dataType, isPrimary: input.isPrimary === true, nullable: input.nullable === true, id: 100 + index };
    if (dataType === "FloatVector") {
      const dim = Number(typeParams.dim);
      if (!Number.isInteger(dim) || dim < 1) throw new MilvusFailure(1100, `invalid parameter: field ${fieldName} needs elementTypeParams.dim`);
      field.dim = dim;
    }
    if (dataType === "VarChar") field.maxLength = Number(typeParams.max_length ?? 65535);
    return field;
  });
  const primaryFields = fields.filter((field) => field.isPrimary);
  const primaryField = primaryFields[0];
  if (primaryFields.length !== 1 || primaryField === undefined) throw new MilvusFailure(1100, "invalid parameter: a schema needs exactly one primary field");
  if (primaryField.dataType !== "Int64" && primaryField.dataType !== "VarChar") throw new MilvusFailure(1100, "invalid parameter: the primary field must be Int64 or VarChar");
  const vectorFields = fields.filter((field) => field.dataType === "FloatVector");
  const vectorField = vectorFields[0];
  if (vectorFields.length !== 1 || vectorField === undefined) throw new MilvusFailure(1100, "invalid parameter: this test server supports exactly one FloatVector field per collection");

  let index: StoredCollection["index"];
  if (body.indexParams !== undefined) {
    if (!Array.isArray(body.indexParams)) throw new MilvusFailure(1100, "invalid parameter: indexParams must be a list");
    for (const input of body.indexParams) {
      if (!isRecord(input)) throw new MilvusFailure(1100, "invalid parameter: indexParams entry");
      const fieldName = requireString(input, "fieldName");
      if (fieldName !== vectorField.name) continue;
      if (input.metricType === undefined) throw new MilvusFailure(1802, "missing required parameters, error: Key: 'metricType'");
      index = { indexName: optionalString(input, "indexName") ?? fieldName, metricType: metricOf(input.metricType) };
    }
  }
  return {
    id: 0,
    name,
    fields,
    primaryField,
    vectorField,
    autoId: schema.autoId === true,
    enableDynamicField: schema.enableDynamicField === true,
    index,
    loaded: index !== undefined,
    rows: new Map(),
    nextAutoId: 1,
  };
}

function metricOf(value: unknown): Metric {
  const metric = typeof value === "string" ? value.toUpperCase() : "";
  if (metric !== "L2" && metric !== "IP" && metric !== "COSINE") throw new MilvusFailure(1100, `invalid parameter: metric type ${String(value)} (use L2, IP or COSINE)`);
  return metric;
}

function checkFieldValue(field: FieldDefinition, value: unknown, rowIndex: number): unknown {
  const wrongType = () => new MilvusFailure(1804, `fail to deal with insert data, error: field ${field.name} in row ${rowIndex} is not a valid ${field.dataType}`);
  switch (field.dataType) {
    case "Int64":
    case "Int32":
    case "Int16":
    case "Int8":
      if (typeof value === "string" && field.dataType === "Int64" && /^-?\d+$/.test(value)) return Number(value);
      if (typeof value !== "number" || !Number.isInteger(value)) throw wrongType();
      return value;
    case "Float":
    case "Double":
      if (typeof value !== "number") throw wrongType();
      return value;
    case "Bool":
      if (typeof value !== "boolean") throw wrongType();
      return value;
    case "VarChar":
      if (typeof value !== "string") throw wrongType();
      if (field.maxLength !== undefined && value.length > field.maxLength) throw new MilvusFailure(1804, `fail to deal with insert data, error: field ${field.name} in row ${rowIndex} is longer than max_length ${field.maxLength}`);
      return value;
    case "Array":
      if (!Array.isArray(value)) throw wrongType();
      return value;
    case "FloatVector":
      return checkVector(value, field, "insert");
    default:
      return value;
  }
}

function checkVector(value: unknown, field: FieldDefinition, operation: "insert" | "search"): number[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "number" && Number.isFinite(item))) {
    throw new MilvusFailure(operation === "insert" ? 1804 : 1100, `invalid parameter: ${field.name} must be a list of numbers`);
  }
  if (value.length !== field.dim) {
    throw new MilvusFailure(operation === "insert" ? 1804 : 1100, `the dim (${value.length}) of field data(${field.name}) is not equal to schema dim (${String(field.dim)})`);
  }
  return value as number[];
}

/** Milvus's formulas: L2 is the SQUARED euclidean distance; IP the dot product; COSINE the cosine similarity. */
export function distanceOf(metric: Metric, a: number[], b: number[]): number {
  let dot = 0;
  let squared = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as number;
    const y = b[index] as number;
    dot += x * y;
    squared += (x - y) * (x - y);
    normA += x * x;
    normB += y * y;
  }
  if (metric === "L2") return squared;
  if (metric === "IP") return dot;
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}

function fieldValue(row: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}

function outputFieldNames(collection: StoredCollection, requested: unknown, fallback: string[]): string[] | "*" {
  const names = Array.isArray(requested) ? requested.filter((name): name is string => typeof name === "string") : fallback;
  if (names.includes("*")) return "*";
  for (const name of names) {
    if (!collection.fields.some((field) => field.name === name) && !collection.enableDynamicField) {
      throw new MilvusFailure(1100, `field ${name} not exist`);
    }
  }
  return names;
}

function int64Out(field: FieldDefinition, value: unknown, context: RequestContext): unknown {
  // Without `Accept-Type-Allow-Int64: true` Milvus sends int64 values as strings (JavaScript cannot hold them all).
  return field.dataType === "Int64" && typeof value === "number" && !context.allowInt64 ? String(value) : value;
}

function rowKey(primaryKey: unknown): string {
  return JSON.stringify(primaryKey);
}

function requireString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string" || value === "") throw new MilvusFailure(1802, `missing required parameters, error: Key: '${key}'`);
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new MilvusFailure(1100, `invalid parameter: ${key} must be a string`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new MilvusFailure(1100, `invalid parameter: ${key} must be an integer`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
