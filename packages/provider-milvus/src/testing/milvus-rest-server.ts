import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ExpressionError, evaluateExpression, expressionReferences, parseExpression, type ExpressionNode } from "./milvus-expression.js";
import {
  MilvusFailure,
  checkConsistencyLevel,
  isRecord,
  missing,
  optionalBoolean,
  optionalInteger,
  optionalRecord,
  optionalString,
  optionalStringList,
  requireList,
  requireString,
} from "./milvus-rest-body.js";
import { fuse, type Metric, type RankedList } from "./milvus-rest-rerank.js";

/**
 * An in-memory Milvus REST v2 server on 127.0.0.1 for tests and benchmarks, built from the documented contract
 * (see /v2/vectordb/... in the Milvus RESTful API reference) and held to it by the transport contract
 * (`transport-contract.ts`), which the gRPC transport also passes against Milvus Lite. It keeps collections with one
 * float vector field and searches them by brute force with Milvus's formulas (L2 = squared euclidean distance,
 * IP = dot product, COSINE = cosine similarity), best first. Search rows carry the primary key under `id` whatever
 * its field name (and under its own name too when it is an output field), as Milvus does.
 *
 * Endpoints: databases/create|drop|list|describe, collections/create|describe|has|drop|list|load|release|flush|
 * get_load_state, partitions/create|drop|has|list|load|release|get_stats and
 * entities/insert|upsert|delete|query|get|search|hybrid_search (`rerank` `rrf` or `weighted`). Answers carry
 * Milvus's codes: 100 unknown collection, 101 not loaded, 200 unknown partition, 800 unknown database, 1100 invalid
 * parameter (also an expression it cannot evaluate, an unknown consistency level), 1801 body not JSON or a value of
 * the wrong JSON type (as Milvus's binding of the body to its request struct fails) or a query vector of the wrong
 * dimension, 1802 missing parameter, 1804 rows that do not fit the schema; with a `token` configured a request
 * without `Authorization: Bearer <token>` gets HTTP 401 and code 1800. Unknown paths get HTTP 404 with a non-JSON
 * body, as Milvus's router does.
 *
 * Deliberate simplifications: one vector field per collection, inserts with an existing primary key replace the row,
 * `consistencyLevel` (once checked) and index parameters are ignored, partitions load and release with their
 * collection, and an empty or missing `searchParams.metricType` means the index's metric (real Milvus does the same;
 * Milvus Lite does not — which is why the gateway always sends it).
 */

export interface MilvusRestServerOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`; others get HTTP 401 + code 1800. */
  token?: string;
  /** Delay before every answer, in ms (also settable later through `server.latencyMs`). */
  latencyMs?: number;
  /** Answer every `entities/search` with this at once, without touching collections (benchmarks). */
  fixedSearchAnswer?: MilvusAnswer;
  /**
   * Under which key search rows carry the primary key: `id` whatever the field is called, as Milvus's REST v2
   * handler does (default), or only its own field name (a shape the provider also reads).
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
  /** Partition of each row, by row key. */
  rowPartitions: Map<string, string>;
  /** `_default` first, then in creation order. */
  partitions: string[];
  nextAutoId: number;
}

const DEFAULT_PARTITION = "_default";
const DEFAULT_DATABASE = "default";

type Handler = (body: Record<string, unknown>, request: RequestContext) => unknown;

interface RequestContext {
  dbName: string;
  allowInt64: boolean;
}

export async function startMilvusRestServer(options: MilvusRestServerOptions = {}): Promise<MilvusRestServer> {
  const databases = new Map<string, Map<string, StoredCollection>>([[DEFAULT_DATABASE, new Map()]]);
  const databaseIds = new Map<string, number>([[DEFAULT_DATABASE, 1]]);
  const requests: RecordedRequest[] = [];
  const failures: InjectedFailure[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  const recordRequests = options.recordRequests ?? true;
  const primaryKeyInSearchRows = options.primaryKeyInSearchRows ?? "id";
  let nextCollectionId = 1;
  let nextDatabaseId = 2;

  const state = {
    latencyMs: options.latencyMs ?? 0,
    fixedSearchAnswer: options.fixedSearchAnswer,
  };

  const collectionsOf = (dbName: string): Map<string, StoredCollection> => {
    const collections = databases.get(dbName);
    if (!collections) throw new MilvusFailure(800, `database not found[database=${dbName}]`);
    return collections;
  };

  const requireCollection = (body: Record<string, unknown>, context: RequestContext): StoredCollection => {
    const name = requireString(body, "collectionName");
    const collection = collectionsOf(context.dbName).get(name);
    if (!collection) throw new MilvusFailure(100, `can't find collection[database=${context.dbName}][collection=${name}]`);
    return collection;
  };

  const handlers: Record<string, Handler> = {
    "databases/create": (body) => {
      const name = requireString(body, "dbName");
      if (databases.has(name)) throw new MilvusFailure(65535, `database already exist: ${name}`);
      databases.set(name, new Map());
      databaseIds.set(name, nextDatabaseId++);
      return {};
    },
    "databases/drop": (body) => {
      const name = requireString(body, "dbName");
      if (name === DEFAULT_DATABASE) throw new MilvusFailure(65535, "can not drop default database");
      const collections = databases.get(name);
      if (collections && collections.size > 0) throw new MilvusFailure(65535, `database:${name} not empty, must drop all collections before drop database`);
      databases.delete(name);
      databaseIds.delete(name);
      return {};
    },
    "databases/list": () => [...databases.keys()],
    "databases/describe": (body) => {
      const name = requireString(body, "dbName");
      collectionsOf(name);
      return { dbName: name, dbID: databaseIds.get(name), properties: [] };
    },
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
    "partitions/create": (body, context) => {
      const partition = requireString(body, "partitionName");
      const collection = requireCollection(body, context);
      // Milvus answers success for a partition that already exists.
      if (!collection.partitions.includes(partition)) collection.partitions.push(partition);
      return {};
    },
    "partitions/drop": (body, context) => {
      const partition = requireString(body, "partitionName");
      const collection = requireCollection(body, context);
      if (partition === DEFAULT_PARTITION) throw new MilvusFailure(1100, "invalid parameter: default partition cannot be deleted");
      if (!collection.partitions.includes(partition)) return {};
      collection.partitions = collection.partitions.filter((name) => name !== partition);
      for (const [key, owner] of [...collection.rowPartitions]) {
        if (owner !== partition) continue;
        collection.rows.delete(key);
        collection.rowPartitions.delete(key);
      }
      return {};
    },
    "partitions/has": (body, context) => {
      const partition = requireString(body, "partitionName");
      return { has: requireCollection(body, context).partitions.includes(partition) };
    },
    "partitions/list": (body, context) => [...requireCollection(body, context).partitions],
    "partitions/load": (body, context) => {
      partitionsOf(requireCollection(body, context), requirePartitionNames(body));
      return {};
    },
    "partitions/release": (body, context) => {
      partitionsOf(requireCollection(body, context), requirePartitionNames(body));
      return {};
    },
    "partitions/get_stats": (body, context) => {
      const partition = requireString(body, "partitionName");
      const collection = requireCollection(body, context);
      partitionsOf(collection, [partition]);
      return { rowCount: [...collection.rowPartitions.values()].filter((owner) => owner === partition).length };
    },
    "entities/insert": (body, context) => {
      const ids = writeRows(requireCollection(body, context), body, "insert");
      return { insertCount: ids.length, insertIds: ids };
    },
    "entities/upsert": (body, context) => {
      const ids = writeRows(requireCollection(body, context), body, "upsert");
      return { upsertCount: ids.length, upsertIds: ids };
    },
    "entities/delete": (body, context) => {
      const partition = optionalString(body, "partitionName");
      const collection = requireCollection(body, context);
      const scope = rowsIn(collection, partition === undefined || partition === "" ? undefined : [partition]);
      const matches =
        body.id !== undefined
          ? rowsWithIds(collection, body.id).filter((row) => scope.includes(row))
          : matchingRows(collection, scope, requireString(body, "filter"), body.exprParams);
      for (const row of matches) {
        const key = rowKey(row[collection.primaryField.name]);
        collection.rows.delete(key);
        collection.rowPartitions.delete(key);
      }
      return { deleteCount: matches.length };
    },
    "entities/query": (body, context) => {
      const filter = optionalString(body, "filter");
      const limit = optionalInteger(body, "limit") ?? 100;
      const offset = optionalInteger(body, "offset") ?? 0;
      const partitionNames = optionalStringList(body, "partitionNames");
      const outputFields = optionalStringList(body, "outputFields");
      checkConsistencyLevel(body);
      const collection = requireCollection(body, context);
      const scope = rowsIn(collection, partitionNames);
      const rows = filter === undefined || filter.trim() === "" ? scope : matchingRows(collection, scope, filter, body.exprParams);
      // `count(*)` alone counts every matching row, whatever the limit (as Milvus does).
      if (outputFields?.length === 1 && String(outputFields[0]).trim().toLowerCase() === "count(*)") return [{ "count(*)": rows.length }];
      const fields = outputFieldNames(collection, outputFields, ["*"]);
      return rows.slice(offset, offset + limit).map((row) => projectRow(collection, row, fields, context, true));
    },
    "entities/get": (body, context) => {
      const outputFields = optionalStringList(body, "outputFields");
      const collection = requireCollection(body, context);
      if (body.id === undefined) throw missing("id");
      const fields = outputFieldNames(collection, outputFields, ["*"]);
      return rowsWithIds(collection, body.id).map((row) => projectRow(collection, row, fields, context, true));
    },
    "entities/search": (body, context) => search(body, context),
    "entities/hybrid_search": (body, context) => hybridSearch(body, context),
  };

  function requirePartitionNames(body: Record<string, unknown>): string[] {
    const names = optionalStringList(body, "partitionNames");
    if (names === undefined || names.length === 0) throw missing("partitionNames");
    return names;
  }

  function partitionsOf(collection: StoredCollection, names: string[]): string[] {
    for (const name of names) {
      if (!collection.partitions.includes(name)) throw new MilvusFailure(200, `partition not found[partition=${name}]`);
    }
    return names;
  }

  /** The rows of some partitions (all of them when none are named). */
  function rowsIn(collection: StoredCollection, partitionNames: string[] | undefined): Record<string, unknown>[] {
    if (partitionNames === undefined || partitionNames.length === 0) return [...collection.rows.values()];
    const wanted = new Set(partitionsOf(collection, partitionNames));
    return [...collection.rows.entries()].filter(([key]) => wanted.has(collection.rowPartitions.get(key) ?? DEFAULT_PARTITION)).map(([, row]) => row);
  }

  interface SearchSettings {
    metric: Metric;
    limit: number;
    offset: number;
    groupingField: string | undefined;
    groupSize: number;
  }

  /** Checks a search's vector field, load state and metric; answers the metric to rank with. */
  function searchMetric(collection: StoredCollection, annsField: string | undefined, requestedMetric: unknown): Metric {
    if (annsField !== undefined && annsField !== "" && annsField !== collection.vectorField.name) {
      throw new MilvusFailure(1100, `invalid parameter[expected=${collection.vectorField.name}][actual=${annsField}]: field not exist or not a vector field`);
    }
    if (!collection.index || !collection.loaded) throw new MilvusFailure(101, `collection not loaded[collection=${collection.name}]`);
    if (requestedMetric !== undefined && requestedMetric !== null && typeof requestedMetric !== "string") {
      throw new MilvusFailure(1801, "can only accept json format request, error: metricType must be a string");
    }
    if (typeof requestedMetric === "string" && requestedMetric !== "" && requestedMetric.toUpperCase() !== collection.index.metricType) {
      throw new MilvusFailure(1100, `metric type not match: invalid parameter[expected=${collection.index.metricType}][actual=${requestedMetric}]`);
    }
    return collection.index.metricType;
  }

  function checkWindow(limit: number, offset: number): void {
    if (limit < 1 || offset < 0 || limit + offset > MAX_TOP_K) throw new MilvusFailure(1100, `invalid parameter: limit+offset must be in [1, ${MAX_TOP_K}]`);
  }

  /** Query vectors are bound before the engine runs: a wrong shape or dimension is a format error (1801). */
  function queryVectors(collection: StoredCollection, data: unknown[]): number[][] {
    return data.map((vector) => {
      try {
        return checkVector(vector, collection.vectorField, "search");
      } catch (error) {
        if (error instanceof MilvusFailure) throw new MilvusFailure(1801, `can only accept json format request, error: ${error.message}`);
        throw error;
      }
    });
  }

  /** One query vector's hits over some candidate rows, best first. */
  function rank(
    collection: StoredCollection,
    query: number[],
    candidates: Record<string, unknown>[],
    settings: SearchSettings,
  ): { row: Record<string, unknown>; distance: number }[] {
    const { metric, limit, offset, groupingField, groupSize } = settings;
    const scored = candidates
      .map((row) => ({ row, distance: distanceOf(metric, query, row[collection.vectorField.name] as number[]) }))
      .sort((a, b) => (metric === "L2" ? a.distance - b.distance : b.distance - a.distance));
    if (groupingField === undefined) return scored.slice(offset, offset + limit);
    const perGroup = new Map<string, number>();
    const groupOrder: string[] = [];
    const grouped = scored.filter(({ row }) => {
      const group = JSON.stringify(fieldValue(row, groupingField) ?? null);
      const count = perGroup.get(group) ?? 0;
      if (count === 0) groupOrder.push(group);
      if (count >= groupSize) return false;
      perGroup.set(group, count + 1);
      return true;
    });
    const kept = new Set(groupOrder.slice(offset, offset + limit));
    return grouped.filter(({ row }) => kept.has(JSON.stringify(fieldValue(row, groupingField) ?? null)));
  }

  function searchRow(
    collection: StoredCollection,
    row: Record<string, unknown>,
    fields: string[] | "*",
    distance: number,
    context: RequestContext,
  ): Record<string, unknown> {
    const primaryKey = int64Out(collection.primaryField, row[collection.primaryField.name], context);
    const projected = projectRow(collection, row, fields, context, false);
    if (primaryKeyInSearchRows === "fieldName") return { ...projected, [collection.primaryField.name]: primaryKey, distance };
    return { ...projected, id: primaryKey, distance };
  }

  function search(body: Record<string, unknown>, context: RequestContext): { rows: Record<string, unknown>[]; topks: number[] } {
    // Milvus binds the whole body before looking anything up: type errors come first.
    const data = requireList(body, "data");
    const annsField = optionalString(body, "annsField");
    const filter = optionalString(body, "filter");
    const limit = optionalInteger(body, "limit") ?? 100;
    const offset = optionalInteger(body, "offset") ?? 0;
    const groupingField = optionalString(body, "groupingField");
    const groupSize = optionalInteger(body, "groupSize") ?? 1;
    optionalBoolean(body, "strictGroupSize");
    const outputFields = optionalStringList(body, "outputFields");
    const partitionNames = optionalStringList(body, "partitionNames");
    const searchParams = optionalRecord(body, "searchParams") ?? {};
    optionalRecord(body, "exprParams");
    checkConsistencyLevel(body);
    const collection = requireCollection(body, context);
    const vectors = queryVectors(collection, data);
    const metric = searchMetric(collection, annsField, searchParams.metricType ?? searchParams.metric_type);
    checkWindow(limit, offset);
    const scope = rowsIn(collection, partitionNames);
    const candidates = filter === undefined || filter.trim() === "" ? scope : matchingRows(collection, scope, filter, body.exprParams);
    const fields = outputFieldNames(collection, outputFields, []);
    const settings: SearchSettings = { metric, limit, offset, groupingField: groupingField === "" ? undefined : groupingField, groupSize };

    const rows: Record<string, unknown>[] = [];
    const topks: number[] = [];
    for (const query of vectors) {
      const selected = rank(collection, query, candidates, settings);
      for (const { row, distance } of selected) rows.push(searchRow(collection, row, fields, distance, context));
      topks.push(selected.length);
    }
    return { rows, topks };
  }

  function hybridSearch(body: Record<string, unknown>, context: RequestContext): { rows: Record<string, unknown>[]; topks: number[] } {
    const subSearches = requireList(body, "search");
    const limit = optionalInteger(body, "limit") ?? 100;
    const offset = optionalInteger(body, "offset") ?? 0;
    const outputFields = optionalStringList(body, "outputFields");
    const partitionNames = optionalStringList(body, "partitionNames");
    optionalRecord(body, "rerank");
    checkConsistencyLevel(body);
    if (optionalString(body, "groupingField")) throw new MilvusFailure(1100, "invalid parameter: this test server does not group hybrid searches");
    const collection = requireCollection(body, context);
    checkWindow(limit, offset);
    const scope = rowsIn(collection, partitionNames);
    const fields = outputFieldNames(collection, outputFields, []);

    const perSearch = subSearches.map((input, index) => {
      if (!isRecord(input)) throw new MilvusFailure(1801, `can only accept json format request, error: search[${index}] must be an object`);
      const data = requireList(input, "data");
      const filter = optionalString(input, "filter");
      const subLimit = optionalInteger(input, "limit") ?? limit + offset;
      const subOffset = optionalInteger(input, "offset") ?? 0;
      checkWindow(subLimit, subOffset);
      const metric = searchMetric(collection, optionalString(input, "annsField"), input.metricType ?? input.metric_type);
      const candidates = filter === undefined || filter.trim() === "" ? scope : matchingRows(collection, scope, filter, input.exprParams ?? body.exprParams);
      return {
        vectors: queryVectors(collection, data),
        candidates,
        settings: { metric, limit: subLimit, offset: subOffset, groupingField: undefined, groupSize: 1 },
      };
    });
    const queries = perSearch[0]?.vectors.length ?? 0;
    if (perSearch.some((sub) => sub.vectors.length !== queries))
      throw new MilvusFailure(1100, "invalid parameter: every sub-search of a hybrid search needs the same number of query vectors");

    const rows: Record<string, unknown>[] = [];
    const topks: number[] = [];
    for (let queryIndex = 0; queryIndex < queries; queryIndex++) {
      const lists: RankedList[] = perSearch.map((sub) => ({
        metric: sub.settings.metric,
        hits: rank(collection, sub.vectors[queryIndex] as number[], sub.candidates, sub.settings).map(({ row, distance }) => ({
          key: rowKey(row[collection.primaryField.name]),
          distance,
        })),
      }));
      const fused = fuse(lists, body.rerank).slice(offset, offset + limit);
      for (const { key, distance } of fused) rows.push(searchRow(collection, collection.rows.get(key) as Record<string, unknown>, fields, distance, context));
      topks.push(fused.length);
    }
    return { rows, topks };
  }

  function matchingRows(collection: StoredCollection, candidates: Record<string, unknown>[], filter: string, exprParams: unknown): Record<string, unknown>[] {
    let expression: ExpressionNode;
    try {
      expression = parseExpression(filter);
    } catch (error) {
      throw new MilvusFailure(1100, `failed to create query plan: cannot parse expression: ${filter}, error: ${(error as Error).message}`);
    }
    const params = isRecord(exprParams) ? exprParams : {};
    const references = expressionReferences(expression);
    for (const name of references.placeholders) {
      if (!(name in params))
        throw new MilvusFailure(
          1100,
          `failed to create query plan: cannot parse expression: ${filter}, error: placeholder {${name}} has no value in exprParams`,
        );
    }
    for (const name of references.fields) {
      if (!collection.fields.some((field) => field.name === name) && !collection.enableDynamicField) {
        throw new MilvusFailure(1100, `failed to create query plan: cannot parse expression: ${filter}, error: field ${name} not exist`);
      }
    }
    try {
      return candidates.filter((row) => evaluateExpression(expression, { params, field: (name) => fieldValue(row, name) }));
    } catch (error) {
      if (error instanceof ExpressionError) throw new MilvusFailure(1100, `failed to evaluate expression: ${filter}, error: ${error.message}`);
      throw error;
    }
  }

  function writeRows(collection: StoredCollection, body: Record<string, unknown>, mode: "insert" | "upsert"): unknown[] {
    const data = requireList(body, "data");
    const partitionName = optionalString(body, "partitionName");
    const partition = partitionName === undefined || partitionName === "" ? DEFAULT_PARTITION : (partitionsOf(collection, [partitionName])[0] as string);
    const prepared = data.map((input, index) => {
      if (!isRecord(input)) throw new MilvusFailure(1804, `fail to deal with insert data, error: row ${index} is not an object`);
      const row: Record<string, unknown> = {};
      for (const field of collection.fields) {
        let value = input[field.name];
        if (field.isPrimary && collection.autoId && mode === "insert") {
          if (value !== undefined)
            throw new MilvusFailure(1804, `fail to deal with insert data, error: the primary key ${field.name} is auto-generated and must not be given`);
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
      collection.rowPartitions.set(rowKey(primaryKey), partition);
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

  function projectRow(
    collection: StoredCollection,
    row: Record<string, unknown>,
    fields: string[] | "*",
    context: RequestContext,
    withPrimaryKey: boolean,
  ): Record<string, unknown> {
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
      indexes: collection.index
        ? [{ fieldName: collection.vectorField.name, indexName: collection.index.indexName, metricType: collection.index.metricType }]
        : [],
      load: collection.loaded ? "LoadStateLoaded" : "LoadStateNotLoad",
      shardsNum: 1,
      partitionsNum: collection.partitions.length,
      consistencyLevel: "Bounded",
      properties: [],
      functions: [],
      aliases: [],
    };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
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
    try {
      const bodyDb = optionalString(body, "dbName");
      const context: RequestContext = {
        dbName: bodyDb !== undefined && bodyDb !== "" ? bodyDb : headerDb !== undefined && headerDb !== "" ? headerDb : DEFAULT_DATABASE,
        allowInt64: headers["accept-type-allow-int64"] === "true",
      };
      const data = handler(body, context);
      if (endpoint === "entities/search" || endpoint === "entities/hybrid_search") {
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
  const primaryField: FieldDefinition = {
    name: optionalString(body, "primaryFieldName") ?? "id",
    dataType: idType,
    isPrimary: true,
    nullable: false,
    id: 100,
    ...(idType === "VarChar" ? { maxLength: 65535 } : {}),
  };
  const vectorField: FieldDefinition = {
    name: optionalString(body, "vectorFieldName") ?? "vector",
    dataType: "FloatVector",
    isPrimary: false,
    nullable: false,
    dim: dimension,
    id: 101,
  };
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
    rowPartitions: new Map(),
    partitions: [DEFAULT_PARTITION],
    nextAutoId: 1,
  };
}

function fullCollection(name: string, body: Record<string, unknown>): StoredCollection {
  const schema = body.schema;
  if (!isRecord(schema) || !Array.isArray(schema.fields) || schema.fields.length === 0)
    throw new MilvusFailure(1802, "missing required parameters, error: Key: 'schema.fields'");
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
  if (primaryField.dataType !== "Int64" && primaryField.dataType !== "VarChar")
    throw new MilvusFailure(1100, "invalid parameter: the primary field must be Int64 or VarChar");
  const vectorFields = fields.filter((field) => field.dataType === "FloatVector");
  const vectorField = vectorFields[0];
  if (vectorFields.length !== 1 || vectorField === undefined)
    throw new MilvusFailure(1100, "invalid parameter: this test server supports exactly one FloatVector field per collection");

  let index: StoredCollection["index"];
  if (body.indexParams !== undefined) {
    if (!Array.isArray(body.indexParams)) throw new MilvusFailure(1100, "invalid parameter: indexParams must be a list");
    for (const input of body.indexParams) {
      if (!isRecord(input)) throw new MilvusFailure(1100, "invalid parameter: indexParams entry");
      const fieldName = requireString(input, "fieldName");
      if (fieldName !== vectorField.name) continue;
      // Milvus reads both spellings (its own examples use `metric_type` as often as `metricType`).
      const metricType = input.metricType ?? input.metric_type;
      if (metricType === undefined || metricType === "") throw missing("metricType");
      index = { indexName: optionalString(input, "indexName") ?? fieldName, metricType: metricOf(metricType) };
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
    rowPartitions: new Map(),
    partitions: [DEFAULT_PARTITION],
    nextAutoId: 1,
  };
}

function metricOf(value: unknown): Metric {
  const metric = typeof value === "string" ? value.toUpperCase() : "";
  if (metric !== "L2" && metric !== "IP" && metric !== "COSINE")
    throw new MilvusFailure(1100, `invalid parameter: metric type ${String(value)} (use L2, IP or COSINE)`);
  return metric;
}

function checkFieldValue(field: FieldDefinition, value: unknown, rowIndex: number): unknown {
  const wrongType = () =>
    new MilvusFailure(1804, `fail to deal with insert data, error: field ${field.name} in row ${rowIndex} is not a valid ${field.dataType}`);
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
      if (field.maxLength !== undefined && value.length > field.maxLength)
        throw new MilvusFailure(
          1804,
          `fail to deal with insert data, error: field ${field.name} in row ${rowIndex} is longer than max_length ${field.maxLength}`,
        );
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
    throw new MilvusFailure(
      operation === "insert" ? 1804 : 1100,
      `the dim (${value.length}) of field data(${field.name}) is not equal to schema dim (${String(field.dim)})`,
    );
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
