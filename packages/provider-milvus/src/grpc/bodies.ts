import { describeIssues } from "@vs/core";
import { z } from "zod";
import { CONSISTENCY_LEVELS, MilvusErrorCode, type ConsistencyLevel } from "../milvus-vocabulary.js";
import { RestMessage, answer } from "./answers.js";

// Request bodies: the REST server's binding rules (1802 when collectionName is missing, 1801 when a field has the
// wrong type). Schemas are loose: unknown keys are ignored, as Go's JSON binding ignores them; null is absent.

const optionalString = z.string().nullish();
const optionalInteger = z.number().int().nullish();
const optionalBoolean = z.boolean().nullish();
const optionalStrings = z.array(z.string()).nullish();
const optionalRecord = z.record(z.string(), z.unknown()).nullish();

export const collectionBodySchema = z.looseObject({ dbName: optionalString, collectionName: z.string() });

export const searchBodySchema = z.looseObject({
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

export const hybridSearchBodySchema = z.looseObject({
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

export const queryBodySchema = z.looseObject({
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

export const getBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionNames: optionalStrings,
  outputFields: optionalStrings,
  id: primaryKeysSchema,
  consistencyLevel: optionalString,
});

export const deleteBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionName: optionalString,
  filter: optionalString,
  id: primaryKeysSchema,
  exprParams: optionalRecord,
});

export const insertBodySchema = z.looseObject({
  dbName: optionalString,
  collectionName: z.string(),
  partitionName: optionalString,
  data: z.array(z.record(z.string(), z.unknown())).nullish(),
});

export const createFieldSchema = z.looseObject({
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

export const createIndexSchema = z.looseObject({
  fieldName: z.string(),
  indexName: optionalString,
  metricType: optionalString,
  metric_type: optionalString,
  indexType: optionalString,
  params: optionalRecord,
});

/** A schema function (REST v2 `schema.functions[]`), e.g. BM25 from a text field into a sparse vector field. */
export const createFunctionSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  description: optionalString,
  inputFieldNames: z.array(z.string()),
  outputFieldNames: optionalStrings,
  params: optionalRecord,
});

export const createBodySchema = z.looseObject({
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

export const createIndexesBodySchema = z.looseObject({ dbName: optionalString, collectionName: z.string(), indexParams: z.array(createIndexSchema).nullish() });

/** Parses a body as the REST server binds it; `requestName` is its Go type, quoted in the binding error. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: Record<string, unknown>, requestName: string): z.output<Schema> {
  const collectionName = body.collectionName;
  if (typeof collectionName !== "string" || collectionName === "") {
    throw answer(
      MilvusErrorCode.missingParameter,
      `${RestMessage.missingRequiredParameters}, error: Key: '${requestName}.CollectionName' Error:Field validation for 'CollectionName' failed on the 'required' tag`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw answer(MilvusErrorCode.invalidJsonBody, `${RestMessage.incorrectParameterFormat}, error: ${describeIssues(parsed.error).message}`);
  return parsed.data;
}

// Consistency: a level named in a body (checked as the REST server checks it), applied to a gRPC request.

export function consistencyLevelOf(value: string | null | undefined): ConsistencyLevel | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const level = CONSISTENCY_LEVELS.find((name) => name === value);
  if (level === undefined) {
    throw answer(
      MilvusErrorCode.invalidParameter,
      `consistencyLevel can only be [${CONSISTENCY_LEVELS.join(", ")}], default: Bounded, err:parameter:'${value}' is incorrect, please check it: invalid parameter`,
    );
  }
  return level;
}

/** A named level, or the collection's own (REST: UseDefaultConsistency). */
export function applyConsistency(grpcRequest: Record<string, unknown>, level: ConsistencyLevel | undefined): void {
  if (level === undefined) {
    grpcRequest.use_default_consistency = true;
  } else {
    grpcRequest.consistency_level = level;
    grpcRequest.use_default_consistency = false;
  }
}
