import {
  BadRequestError,
  queryText,
  raceAbort,
  UpstreamError,
  type CallOptions,
  type ProviderSearchRequest,
  type ProviderSearchResult,
  type SearchResultRow,
} from "@vs/core";
import { describedCollectionSchema, searchAnswerSchema, type DescribedCollection, type SearchRow } from "./milvus-api.js";
import { BoundedMap } from "./bounded-map.js";
import { milvusErrorFromResponse } from "./milvus-error.js";
import { buildMilvusFilter, combineMilvusFilters } from "./milvus-filters.js";
import { hybridSearchBody } from "./milvus-hybrid.js";
import { isManagedStore, MANAGED_FIELDS, MANAGED_OUTPUT_FIELDS, managedSearchResultRow } from "./milvus-managed.js";
import { DEFAULT_MILVUS_TIMEOUT_MS, MILVUS_MAX_TOP_K, type MilvusOptions } from "./milvus-options.js";
import { normalizeScore } from "./milvus-scores.js";
import { isMilvusSuccess, type MilvusTransport } from "./milvus-transport.js";
import { isVectorFieldType } from "./milvus-vocabulary.js";

/** `max_num_results` and the `limit` option both absent: OpenAI's default page size. */
export const DEFAULT_SEARCH_LIMIT = 10;

const NO_FACTS: CollectionFacts = { vectorFieldNames: [], primaryFieldName: undefined, metricByField: new Map(), dimensionByField: new Map() };

/** What the search needs to know about a collection, read once from `collections/describe`. */
export interface CollectionFacts {
  vectorFieldNames: string[];
  primaryFieldName: string | undefined;
  /** Metric of each indexed vector field (`COSINE`, `IP`, `L2`, `BM25`, …). */
  metricByField: Map<string, string>;
  /** Dimension of each dense vector field (`params` `dim`). */
  dimensionByField: Map<string, number>;
}

/**
 * Collection facts per (connection, database, collection), described once and shared by concurrent searches.
 * A search that fails forgets its collection, so a dropped and re-created collection is described again.
 */
export class CollectionFactsCache {
  private readonly entries: BoundedMap<string, Promise<CollectionFacts>>;

  constructor(maxEntries?: number) {
    this.entries = new BoundedMap(maxEntries);
  }

  get(
    transport: MilvusTransport,
    key: CollectionKey,
    callOptions: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
  ): Promise<CollectionFacts> {
    const cacheKey = collectionCacheKey(key);
    let entry = this.entries.get(cacheKey);
    if (entry === undefined) {
      // The shared describe runs without any one caller's signal: one caller going away must not fail the others.
      entry = describeCollection(transport, key, callOptions.timeoutMs);
      this.entries.set(cacheKey, entry);
      entry.catch(() => {
        if (this.entries.get(cacheKey) === entry) this.entries.delete(cacheKey);
      });
    }
    return raceAbort(entry, callOptions.signal);
  }

  forget(key: CollectionKey): void {
    this.entries.delete(collectionCacheKey(key));
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface CollectionKey {
  /** Identifies the Milvus deployment and credentials (never the raw token). */
  connectionKey: string;
  dbName: string | undefined;
  collectionName: string;
}

function collectionCacheKey(key: CollectionKey): string {
  return JSON.stringify([key.connectionKey, key.dbName ?? "", key.collectionName]);
}

async function describeCollection(transport: MilvusTransport, key: CollectionKey, timeoutMs: number | undefined): Promise<CollectionFacts> {
  const body: Record<string, unknown> = { collectionName: key.collectionName };
  if (key.dbName !== undefined) body.dbName = key.dbName;
  const answer = await transport.call("collections/describe", body, { timeoutMs });
  if (!isMilvusSuccess(answer.code)) throw milvusErrorFromResponse(answer, { operation: `describe collection "${key.collectionName}"` });
  const parsed = describedCollectionSchema.safeParse(answer.data);
  if (!parsed.success) {
    throw new UpstreamError({
      upstream: "vector_store",
      message: `The vector store's description of collection "${key.collectionName}" has an unexpected shape.`,
    });
  }
  return collectionFacts(parsed.data);
}

export function collectionFacts(description: DescribedCollection): CollectionFacts {
  const fields = description.fields ?? [];
  const metricByField = new Map<string, string>();
  for (const index of description.indexes ?? []) {
    if (index.fieldName && index.metricType) metricByField.set(index.fieldName, index.metricType);
  }
  const dimensionByField = new Map<string, number>();
  for (const field of fields) {
    const dimension = Number(field.params?.find((param) => param.key === "dim")?.value);
    if (Number.isInteger(dimension) && dimension > 0) dimensionByField.set(field.name, dimension);
  }
  return {
    vectorFieldNames: fields.filter((field) => isVectorFieldType(field.type)).map((field) => field.name),
    primaryFieldName: fields.find((field) => field.primaryKey === true)?.name,
    metricByField,
    dimensionByField,
  };
}

/**
 * The query vector must have the searched field's dimension: a mismatch means the store's embedding model is not the
 * one its collection was filled with, and Milvus's own answer would not say which model or field.
 */
export function checkQueryDimension(facts: CollectionFacts, collectionName: string, annsField: string | undefined, queryDimension: number): void {
  const field = annsField ?? (facts.vectorFieldNames.length === 1 ? facts.vectorFieldNames[0] : undefined);
  const expected = field === undefined ? undefined : facts.dimensionByField.get(field);
  if (expected === undefined || expected === queryDimension) return;
  throw new BadRequestError(
    `litellm_embedding_model: the embedding model returned ${queryDimension}-dimension vectors, but vector field "${field}" of collection "${collectionName}" holds ${expected}-dimension vectors; configure the model the collection was filled with (or its \`dimensions\`).`,
    { param: "litellm_embedding_model", code: "embedding_dimension_mismatch" },
  );
}

/** The metric of the searched field: the index on `annsField`, or on the collection's only vector field. */
export function metricFromFacts(facts: CollectionFacts, collectionName: string, annsField: string | undefined): string {
  const setIt = "set searchParams.metricType (COSINE, IP or L2) in the store's parameters";
  let field = annsField;
  if (field === undefined) {
    if (facts.vectorFieldNames.length === 1) field = facts.vectorFieldNames[0];
    else if (facts.vectorFieldNames.length === 0 && facts.metricByField.size === 1) field = [...facts.metricByField.keys()][0];
    else {
      throw new BadRequestError(
        `annsField: collection "${collectionName}" has ${facts.vectorFieldNames.length} vector fields (${facts.vectorFieldNames.join(", ")}); set annsField to the one to search.`,
        { param: "annsField" },
      );
    }
  }
  const metric = field === undefined ? undefined : facts.metricByField.get(field);
  if (metric === undefined || metric.trim() === "") {
    throw new BadRequestError(
      `searchParams: could not learn the metric of field "${field ?? "?"}" in collection "${collectionName}" (no index describes it); ${setIt}.`,
      { param: "searchParams" },
    );
  }
  return metric;
}

export interface MilvusSearchContext {
  transport: MilvusTransport;
  /** Identifies the connection in caches (kind, address, a hash of the token). */
  connectionKey: string;
  collections: CollectionFactsCache;
}

/**
 * The one search: builds a REST v2 `entities/search` body (sent as is by the REST transport, translated by the
 * gRPC one), always with an explicit metric, and turns the rows into OpenAI search rows.
 *
 * Stores the gateway created (`managed_schema`) have the provider's layout: their rows carry `file_id`, `filename`
 * and the `attributes` JSON, `filters` keys name attributes, searches run at Strong consistency unless the options
 * name a level (a search sees every acknowledged write), and `ranking_options.hybrid_search` fuses the dense search
 * with BM25 full-text search (`entities/hybrid_search`).
 */
export async function searchMilvus(
  request: ProviderSearchRequest<MilvusOptions>,
  context: MilvusSearchContext,
  callOptions: CallOptions = {},
): Promise<ProviderSearchResult> {
  const { options } = request;
  const managed = isManagedStore(options);
  const textField = managed ? MANAGED_FIELDS.text : options.milvus_text_field;
  if (textField === undefined) {
    throw new BadRequestError("milvus_text_field: required to search; name the collection field that holds the text of each entity.", {
      param: "milvus_text_field",
    });
  }
  if (managed && options.outputFields !== undefined) {
    throw new BadRequestError("outputFields: stores the gateway created always return their text, file_id, filename and attributes; remove outputFields.", {
      param: "outputFields",
    });
  }
  const hybrid = request.rankingOptions?.hybrid_search;
  if (hybrid !== undefined && !managed) {
    throw new BadRequestError(
      `ranking_options.hybrid_search: vector store "${request.vectorStoreId}" is an existing Milvus collection the gateway did not create; hybrid search needs the full-text (BM25) field of the stores the gateway creates.`,
      { param: "ranking_options.hybrid_search" },
    );
  }
  const limit = request.maxNumResults ?? options.limit ?? DEFAULT_SEARCH_LIMIT;
  if ((options.offset ?? 0) + limit > MILVUS_MAX_TOP_K) {
    throw new BadRequestError(`offset: offset + limit must not exceed ${MILVUS_MAX_TOP_K}.`, { param: "offset" });
  }
  const collectionKey: CollectionKey = { connectionKey: context.connectionKey, dbName: options.dbName, collectionName: request.vectorStoreId };
  const signal = callOptions.signal;
  // Explicit, so a transport shared with stores that set another timeout_ms does not lend its own default.
  const callSettings = { signal, timeoutMs: options.timeout_ms ?? DEFAULT_MILVUS_TIMEOUT_MS };

  const configuredMetric = metricFromSearchParams(options.searchParams);
  const annsField = managed ? (options.annsField ?? MANAGED_FIELDS.vector) : options.annsField;
  const needsFacts = configuredMetric === undefined || (!managed && options.outputFields === undefined) || hybrid !== undefined;
  const facts = needsFacts ? await context.collections.get(context.transport, collectionKey, callSettings) : undefined;
  const metric = configuredMetric ?? metricFromFacts(facts ?? NO_FACTS, request.vectorStoreId, annsField);
  if (facts) checkQueryDimension(facts, request.vectorStoreId, annsField, request.queryVector.length);

  const requestFilter =
    request.filters === undefined ? undefined : buildMilvusFilter(request.filters, "filters", managed ? { attributesField: MANAGED_FIELDS.attributes } : {});
  const filter = combineMilvusFilters(options.filter, requestFilter);
  // Without an operator's list, every field is requested and vector fields are dropped from the rows afterwards. The
  // text field is always named: a misspelt one is then Milvus's error instead of silently empty content.
  const outputFields = managed
    ? [...MANAGED_OUTPUT_FIELDS]
    : unique(options.outputFields === undefined ? [textField, "*"] : [...options.outputFields, textField]);
  const hiddenFields = new Set(options.outputFields === undefined ? (facts?.vectorFieldNames ?? []) : []);
  const consistencyLevel = options.consistencyLevel ?? (managed ? "Strong" : undefined);

  if (hybrid !== undefined) {
    if ((facts?.metricByField.get(MANAGED_FIELDS.sparse) ?? "").toUpperCase() !== "BM25") {
      throw new BadRequestError(
        `ranking_options.hybrid_search: vector store "${request.vectorStoreId}" has no full-text (BM25) index: it was created without full-text search, or on a Milvus without BM25 functions (Milvus 2.5 or later has them).`,
        { param: "ranking_options.hybrid_search" },
      );
    }
    const hybridBody = hybridSearchBody({
      collectionName: request.vectorStoreId,
      dbName: options.dbName,
      queryVector: request.queryVector,
      queryText: queryText(request.searchQuery),
      metric,
      searchParams: searchParamsWithoutMetric(options.searchParams),
      filter,
      limit,
      offset: options.offset,
      outputFields,
      consistencyLevel,
      partitionNames: options.partitionNames,
      groupingField: options.groupingField,
      groupSize: options.groupSize,
      weights: hybrid,
    });
    // The weighted ranker's fused score is already in [0, 1], higher is better (see milvus-hybrid.ts).
    return runSearch("entities/hybrid_search", hybridBody, request, context, collectionKey, callSettings, (row, distance) =>
      managedSearchResultRow(row, distance, distance),
    );
  }

  const body: Record<string, unknown> = { collectionName: request.vectorStoreId };
  if (options.dbName !== undefined) body.dbName = options.dbName;
  body.data = [request.queryVector];
  if (annsField !== undefined) body.annsField = annsField;
  body.limit = limit;
  if (options.offset !== undefined) body.offset = options.offset;
  if (filter !== undefined) {
    body.filter = filter.expression;
    if (Object.keys(filter.exprParams).length > 0) body.exprParams = filter.exprParams;
  }
  if (options.groupingField !== undefined) body.groupingField = options.groupingField;
  if (options.groupSize !== undefined) body.groupSize = options.groupSize;
  body.outputFields = outputFields;
  if (options.partitionNames !== undefined) body.partitionNames = options.partitionNames;
  if (consistencyLevel !== undefined) body.consistencyLevel = consistencyLevel;
  body.searchParams = searchParamsWithMetric(options.searchParams, metric);

  return runSearch("entities/search", body, request, context, collectionKey, callSettings, (row, distance) =>
    managed ? managedSearchResultRow(row, normalizeScore(metric, distance), distance) : searchResultRow(row, distance, metric, textField, hiddenFields),
  );
}

async function runSearch(
  endpoint: "entities/search" | "entities/hybrid_search",
  body: Record<string, unknown>,
  request: ProviderSearchRequest<MilvusOptions>,
  context: MilvusSearchContext,
  collectionKey: CollectionKey,
  callSettings: { signal: AbortSignal | undefined; timeoutMs: number },
  toResult: (row: SearchRow, distance: number) => SearchResultRow,
): Promise<ProviderSearchResult> {
  const answer = await context.transport.call(endpoint, body, callSettings);
  if (!isMilvusSuccess(answer.code)) {
    context.collections.forget(collectionKey);
    throw milvusErrorFromResponse(answer, { operation: `search in collection "${request.vectorStoreId}"` });
  }
  const parsed = searchAnswerSchema.safeParse(answer);
  if (!parsed.success) {
    throw new UpstreamError({
      upstream: "vector_store",
      message: `The vector store's search answer for collection "${request.vectorStoreId}" has an unexpected shape.`,
    });
  }
  const threshold = request.rankingOptions?.score_threshold;
  const data: SearchResultRow[] = [];
  for (const row of parsed.data.data ?? []) {
    const distance = row.distance;
    if (typeof distance !== "number" || !Number.isFinite(distance)) {
      throw new UpstreamError({ upstream: "vector_store", message: "The vector store returned a search row without a numeric distance." });
    }
    const result = toResult(row, distance);
    if (threshold !== undefined && result.score < threshold) continue;
    data.push(result);
  }
  return { data };
}

function searchResultRow(row: SearchRow, distance: number, metric: string, textField: string, hiddenFields: ReadonlySet<string>): SearchResultRow {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === "distance" || key === textField || hiddenFields.has(key)) continue;
    attributes[key] = value;
  }
  return {
    score: normalizeScore(metric, distance),
    content: [{ type: "text", text: textOf(row[textField]) }],
    file_id: null,
    filename: null,
    attributes,
    distance,
  };
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value);
}

/** The metric the operator configured, under either spelling Milvus accepts. */
export function metricFromSearchParams(searchParams: Record<string, unknown> | undefined): string | undefined {
  const value = searchParams?.metricType ?? searchParams?.metric_type;
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** `searchParams` with the metric always explicit and spelled `metricType`: Milvus Lite takes an empty one literally. */
function searchParamsWithMetric(searchParams: Record<string, unknown> | undefined, metric: string): Record<string, unknown> {
  const result = searchParamsWithoutMetric(searchParams);
  result.metricType = metric;
  return result;
}

function searchParamsWithoutMetric(searchParams: Record<string, unknown> | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(searchParams ?? {})) {
    if (key !== "metric_type" && key !== "metricType") result[key] = value;
  }
  return result;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
