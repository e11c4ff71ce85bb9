import { z } from "zod";
import { BadRequestError, type SearchResultRow, type StoreLayout, type StoredChunk, type VectorMetric } from "@vs/core";
import type { DescribedCollection, DescribedField, SearchRow } from "./milvus-api.js";
import type { MilvusOptions } from "./milvus-options.js";

/**
 * The layout of the collections the gateway creates (the OpenAI vector store API): the provider owns it, so a search
 * of such a store knows where `file_id`, `filename` and the attributes are. `managed_schema` in a store's options
 * names this version; a later layout gets a new name and both are read.
 */
export const MANAGED_SCHEMA_VERSION = "vs-v1";

export const MANAGED_FIELDS = {
  /** VarChar primary key: the chunk id (`${fileId}:${chunkIndex}`), so re-writing a chunk replaces it. */
  id: "id",
  /** VarChar with an analyzer: the chunk's text, the input of the BM25 function. */
  text: "text",
  vector: "vector",
  /** SparseFloatVector produced by Milvus from `text` (BM25), when the store indexes full text. */
  sparse: "sparse",
  fileId: "file_id",
  filename: "filename",
  chunkIndex: "chunk_index",
  /** JSON: the file's attributes; OpenAI `filters` apply to its keys. */
  attributes: "attributes",
} as const;

const BM25_FUNCTION_NAME = "text_bm25";

/** Byte lengths of the VarChar fields (Milvus counts `max_length` in bytes of UTF-8). */
export const MANAGED_MAX_BYTES = { id: 512, text: 65_535, fileId: 256, filename: 1024 } as const;

/** Milvus's bound on a float vector's dimension. */
export const MILVUS_MAX_DIMENSIONS = 32_768;

const MILVUS_METRICS: Readonly<Record<VectorMetric, "COSINE" | "L2" | "IP">> = { cosine: "COSINE", l2: "L2", ip: "IP" };

/** What a search of a managed store returns besides the distance: never the vectors. */
export const MANAGED_OUTPUT_FIELDS: readonly string[] = [MANAGED_FIELDS.text, MANAGED_FIELDS.fileId, MANAGED_FIELDS.filename, MANAGED_FIELDS.attributes];

export function isManagedStore(options: Pick<MilvusOptions, "managed_schema">): boolean {
  return options.managed_schema === MANAGED_SCHEMA_VERSION;
}

export function milvusMetric(metric: VectorMetric): "COSINE" | "L2" | "IP" {
  const name = MILVUS_METRICS[metric];
  if (name === undefined) throw new BadRequestError(`metric: must be cosine, l2 or ip.`, { param: "metric" });
  return name;
}

export function checkLayout(layout: StoreLayout): void {
  if (!Number.isInteger(layout.dimensions) || layout.dimensions < 1 || layout.dimensions > MILVUS_MAX_DIMENSIONS) {
    throw new BadRequestError(`dimensions: must be an integer from 1 to ${MILVUS_MAX_DIMENSIONS} for Milvus.`, { param: "dimensions" });
  }
  milvusMetric(layout.metric);
}

/**
 * The REST v2 `collections/create` body (full form) of a managed store: schema, BM25 function when `fullText`,
 * the indexes, and Strong consistency as the collection's default, so a search that names no level still sees
 * every acknowledged write.
 */
export function managedCreateBody(collectionName: string, dbName: string | undefined, layout: StoreLayout, fullText: boolean): Record<string, unknown> {
  const f = MANAGED_FIELDS;
  const fields: Record<string, unknown>[] = [
    { fieldName: f.id, dataType: "VarChar", isPrimary: true, elementTypeParams: { max_length: MANAGED_MAX_BYTES.id } },
    {
      fieldName: f.text,
      dataType: "VarChar",
      elementTypeParams: fullText ? { max_length: MANAGED_MAX_BYTES.text, enable_analyzer: true } : { max_length: MANAGED_MAX_BYTES.text },
    },
    { fieldName: f.vector, dataType: "FloatVector", elementTypeParams: { dim: layout.dimensions } },
    { fieldName: f.fileId, dataType: "VarChar", elementTypeParams: { max_length: MANAGED_MAX_BYTES.fileId } },
    { fieldName: f.filename, dataType: "VarChar", elementTypeParams: { max_length: MANAGED_MAX_BYTES.filename } },
    { fieldName: f.chunkIndex, dataType: "Int64" },
    { fieldName: f.attributes, dataType: "JSON" },
  ];
  const indexParams: Record<string, unknown>[] = [
    { fieldName: f.vector, indexName: f.vector, indexType: "AUTOINDEX", metricType: milvusMetric(layout.metric) },
  ];
  const schema: Record<string, unknown> = { autoID: false, enableDynamicField: false, fields };
  if (fullText) {
    fields.push({ fieldName: f.sparse, dataType: "SparseFloatVector" });
    schema.functions = [{ name: BM25_FUNCTION_NAME, type: "BM25", inputFieldNames: [f.text], outputFieldNames: [f.sparse], params: {} }];
    indexParams.push(sparseIndexParams());
  }
  const body: Record<string, unknown> = { collectionName };
  if (dbName !== undefined) body.dbName = dbName;
  body.schema = schema;
  body.indexParams = indexParams;
  body.params = { consistencyLevel: "Strong" };
  return body;
}

/** The BM25 index; the search algorithm is left to the server (Milvus Lite supports only its default). */
export function sparseIndexParams(): Record<string, unknown> {
  return { fieldName: MANAGED_FIELDS.sparse, indexName: MANAGED_FIELDS.sparse, indexType: "SPARSE_INVERTED_INDEX", metricType: "BM25" };
}

export function vectorIndexParams(layout: StoreLayout): Record<string, unknown> {
  return { fieldName: MANAGED_FIELDS.vector, indexName: MANAGED_FIELDS.vector, indexType: "AUTOINDEX", metricType: milvusMetric(layout.metric) };
}

export interface ExistingLayout {
  /** Why the collection cannot serve this layout; undefined when it can. */
  conflict: string | undefined;
  hasSparse: boolean;
  /** Indexes a crashed creation left out, to create now. */
  missingIndexes: Record<string, unknown>[];
}

/**
 * Compares a described collection with the managed layout. Full text is not part of the comparison: a store without
 * the sparse field (an engine without BM25, or created without full text) still serves dense searches.
 */
export function compareExistingLayout(description: DescribedCollection, layout: StoreLayout): ExistingLayout {
  const f = MANAGED_FIELDS;
  const fields = new Map((description.fields ?? []).map((field) => [field.name, field]));
  const expected: Array<[string, string]> = [
    [f.id, "VarChar"],
    [f.text, "VarChar"],
    [f.vector, "FloatVector"],
    [f.fileId, "VarChar"],
    [f.filename, "VarChar"],
    [f.chunkIndex, "Int64"],
    [f.attributes, "JSON"],
  ];
  const result: ExistingLayout = { conflict: undefined, hasSparse: false, missingIndexes: [] };
  for (const [name, type] of expected) {
    const field = fields.get(name);
    if (field === undefined) return { ...result, conflict: `it has no "${name}" field` };
    if (field.type !== type) return { ...result, conflict: `its "${name}" field is ${field.type ?? "of an unknown type"}, not ${type}` };
  }
  const primary = (description.fields ?? []).find((field) => field.primaryKey === true);
  if (primary?.name !== f.id) return { ...result, conflict: `its primary key is "${primary?.name ?? "?"}", not "${f.id}"` };
  const dimension = Number(paramOf(fields.get(f.vector), "dim"));
  if (dimension !== layout.dimensions)
    return { ...result, conflict: `its "${f.vector}" field has ${Number.isFinite(dimension) ? dimension : "unknown"} dimensions, not ${layout.dimensions}` };

  const metrics = new Map((description.indexes ?? []).flatMap((index) => (index.fieldName ? [[index.fieldName, index.metricType ?? ""] as const] : [])));
  const vectorMetric = metrics.get(f.vector);
  const wanted = milvusMetric(layout.metric);
  if (vectorMetric === undefined) result.missingIndexes.push(vectorIndexParams(layout));
  else if (vectorMetric.toUpperCase() !== wanted) return { ...result, conflict: `its "${f.vector}" index uses metric ${vectorMetric}, not ${wanted}` };
  const sparse = fields.get(f.sparse);
  if (sparse !== undefined) {
    if (sparse.type !== "SparseFloatVector" || !hasBm25Function(description))
      return { ...result, conflict: `its "${f.sparse}" field is not filled by a BM25 function of "${f.text}"` };
    result.hasSparse = true;
    if (!metrics.has(f.sparse)) result.missingIndexes.push(sparseIndexParams());
  }
  return result;
}

/** A sparse field no BM25 function fills: what a Milvus without functions makes of the full-text layout. */
export function hasOrphanSparseField(description: DescribedCollection): boolean {
  return (description.fields ?? []).some((field) => field.name === MANAGED_FIELDS.sparse) && !hasBm25Function(description);
}

const describedFunctionSchema = z.looseObject({
  type: z.union([z.string(), z.number()]).nullish(),
  inputFieldNames: z.array(z.string()).nullish(),
  outputFieldNames: z.array(z.string()).nullish(),
});

function hasBm25Function(description: DescribedCollection): boolean {
  const functions = z
    .array(describedFunctionSchema)
    .catch([])
    .parse((description as { functions?: unknown }).functions ?? []);
  return functions.some(
    (fn) =>
      (String(fn.type).toUpperCase() === "BM25" || fn.type === 1) &&
      (fn.inputFieldNames ?? []).includes(MANAGED_FIELDS.text) &&
      (fn.outputFieldNames ?? []).includes(MANAGED_FIELDS.sparse),
  );
}

function paramOf(field: DescribedField | undefined, key: string): unknown {
  return field?.params?.find((pair) => pair.key === key)?.value;
}

/** One chunk as a row of a managed collection; the sparse field is Milvus's to fill. */
export function managedRow(chunk: StoredChunk): Record<string, unknown> {
  return {
    [MANAGED_FIELDS.id]: chunk.id,
    [MANAGED_FIELDS.text]: chunk.text,
    [MANAGED_FIELDS.vector]: chunk.vector,
    [MANAGED_FIELDS.fileId]: chunk.fileId,
    [MANAGED_FIELDS.filename]: chunk.filename,
    [MANAGED_FIELDS.chunkIndex]: chunk.chunkIndex,
    [MANAGED_FIELDS.attributes]: chunk.attributes,
  };
}

/** A search row of a managed store as OpenAI returns it: file id and name from their fields, the JSON attributes. */
export function managedSearchResultRow(row: SearchRow, score: number, distance: number): SearchResultRow {
  const text = row[MANAGED_FIELDS.text];
  const fileId = row[MANAGED_FIELDS.fileId];
  const filename = row[MANAGED_FIELDS.filename];
  return {
    score,
    content: [{ type: "text", text: typeof text === "string" ? text : "" }],
    file_id: typeof fileId === "string" ? fileId : null,
    filename: typeof filename === "string" ? filename : null,
    attributes: attributesOf(row[MANAGED_FIELDS.attributes]),
    distance,
  };
}

function attributesOf(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    // Some servers hand JSON fields back as their JSON text.
    try {
      return attributesOf(JSON.parse(value) as unknown);
    } catch {
      return {};
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
