import { DataTypeMap, FunctionType, type FieldType, type FunctionObject } from "@zilliz/milvus2-sdk-node";
import type { z } from "zod";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { statusOnly } from "./admin.js";
import { RestMessage, answer, requireSuccess } from "./answers.js";
import {
  consistencyLevelOf,
  createBodySchema,
  type createFieldSchema,
  type createFunctionSchema,
  type createIndexSchema,
  createIndexesBodySchema,
  parseBody,
} from "./bodies.js";
import { forgetCollection } from "./collections.js";
import { database, type CallContext } from "./context.js";

// collections/create (quick and full forms) and indexes/create, as the REST server runs them.

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
  throw answer(MilvusErrorCode.invalidParameter, `invalid parameter, ${what} ${name} is invalid(case sensitive).`);
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
  if (field.defaultValue !== undefined && field.defaultValue !== null)
    sdk.default_value = typeof field.defaultValue === "boolean" ? String(field.defaultValue) : field.defaultValue;
  return sdk;
}

interface CreatePlan {
  fields: FieldType[];
  enableDynamicField: boolean;
  indexes: IndexToCreate[];
  functions?: FunctionObject[];
}

/** Quick form: an `id` primary key and a `vector` float vector field, indexed (COSINE unless told) and loaded. */
function quickCreatePlan(request: CreateBody): CreatePlan {
  const dimension = request.dimension ?? 0;
  if (dimension <= 0) {
    throw answer(
      MilvusErrorCode.invalidParameter,
      "dimension is required for quickly create collection(default metric type: COSINE): invalid parameter[expected=collectionName & dimension][actual=collectionName]",
    );
  }
  const idType = request.idType ?? "";
  if (!["", "Int64", "int64", "VarChar", "Varchar"].includes(idType)) {
    throw answer(
      MilvusErrorCode.invalidParameter,
      `idType can only be [Int64, VarChar], default: Int64: invalid parameter[expected=Int64, Varchar][actual=${idType}]`,
    );
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
      throw answer(MilvusErrorCode.missingParameter, `${RestMessage.missingRequiredParameters}, error: \`${index.fieldName}\` hasn't defined in schema`);
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
  const metricType =
    index.metricType ||
    index.metric_type ||
    (typeof params.metric_type === "string" ? params.metric_type : undefined) ||
    (typeof params.metricType === "string" ? params.metricType : undefined);
  for (const key of ["index_type", "metric_type", "metricType"]) delete params[key];
  return { fieldName: index.fieldName, indexName: index.indexName || "", indexType, metricType, params };
}

/** A REST v2 schema function as the SDK takes it; the type by name (`BM25`), as the REST server takes it. */
function sdkFunction(fn: z.infer<typeof createFunctionSchema>): FunctionObject {
  const known = Object.keys(FunctionType).filter((name) => !/^\d+$/.test(name) && name !== "Unknown");
  const type = known.find((name) => name === fn.type.toUpperCase());
  if (type === undefined)
    throw answer(MilvusErrorCode.invalidParameter, `invalid parameter, function type ${fn.type} is invalid (expected one of ${known.join(", ")}).`);
  return {
    name: fn.name,
    description: fn.description ?? "",
    type: FunctionType[type as keyof typeof FunctionType],
    input_field_names: fn.inputFieldNames,
    output_field_names: fn.outputFieldNames ?? [],
    params: fn.params ?? {},
  };
}

export async function create(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(createBodySchema, body, "CollectionReq");
  const collection = request.collectionName;
  const schemaFields = request.schema?.fields ?? [];
  const plan = schemaFields.length === 0 ? quickCreatePlan(request) : fullCreatePlan(request, schemaFields);
  const consistencyLevel = consistencyLevelOf(
    request.consistencyLevel ?? (typeof request.params?.consistencyLevel === "string" ? request.params.consistencyLevel : undefined),
  );
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

/** `indexes/create`: one CreateIndex per entry, as the REST server does; the collection is not loaded. */
export async function createIndexes(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(createIndexesBodySchema, body, "IndexParamReq");
  const indexes = request.indexParams ?? [];
  if (indexes.length === 0) {
    throw answer(
      MilvusErrorCode.missingParameter,
      `${RestMessage.missingRequiredParameters}, error: Key: 'IndexParamReq.IndexParams' Error:Field validation for 'IndexParams' failed on the 'required' tag`,
    );
  }
  for (const index of indexes) await createOneIndex(context, request.collectionName, indexToCreate(index));
  forgetCollection(context, request.collectionName);
  return { code: 0, data: {} };
}
