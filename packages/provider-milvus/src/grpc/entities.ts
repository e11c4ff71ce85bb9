import { formatExprValues, promisify, type DescribeCollectionResponse, type InsertReq, type RowData } from "@zilliz/milvus2-sdk-node";
import { z } from "zod";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode, type ConsistencyLevel } from "../milvus-vocabulary.js";
import { RestMessage, answer, costOf, requireSuccess } from "./answers.js";
import { applyConsistency, consistencyLevelOf, deleteBodySchema, getBodySchema, insertBodySchema, parseBody, queryBodySchema } from "./bodies.js";
import { describedCollection, primaryField, requireSuccessForgetting } from "./collections.js";
import { database, type CallContext } from "./context.js";
import { milvusLiteral, prepareFilter } from "./expressions.js";
import { columnsOf, int64Value, rowOf } from "./values.js";

// Entities: query, get, delete, insert, upsert.

const queryResultsSchema = z.looseObject({ status: z.unknown(), fields_data: z.unknown() });

async function runQuery(
  context: CallContext,
  collection: string,
  query: {
    expr: string;
    outputFields: string[];
    partitionNames: string[];
    limit?: number;
    offset?: number;
    exprValues?: Record<string, unknown>;
    consistencyLevel?: ConsistencyLevel;
  },
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

export async function query(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
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
    if (!/^-?\d+$/.test(text))
      throw answer(MilvusErrorCode.checkPrimaryKey, `${RestMessage.checkPrimaryKey}, error: ${JSON.stringify(value)} is not an int64 primary key`);
    return text;
  });
  return `${field.name} in [${integers.join(",")}]`;
}

export async function get(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(getBodySchema, body, "CollectionIDReq");
  if (request.id === undefined || request.id === null) {
    throw answer(
      MilvusErrorCode.missingParameter,
      `${RestMessage.missingRequiredParameters}, error: Key: 'CollectionIDReq.ID' Error:Field validation for 'ID' failed on the 'required' tag`,
    );
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

export async function remove(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(deleteBodySchema, body, "CollectionFilterReq");
  let filter = prepareFilter(request.filter, request.exprParams, context);
  if (filter.expr === "") {
    if (request.id === undefined || request.id === null) {
      throw answer(
        MilvusErrorCode.missingParameter,
        `${RestMessage.missingRequiredParameters}, error: Key: 'CollectionFilterReq.Filter' Error:Field validation for 'Filter' failed on the 'required' tag`,
      );
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

export async function write(body: Record<string, unknown>, context: CallContext, kind: "insert" | "upsert"): Promise<MilvusResponse> {
  const request = parseBody(insertBodySchema, body, "CollectionDataReq");
  const rows = request.data ?? [];
  if (rows.length === 0) throw answer(MilvusErrorCode.invalidInsertData, `${RestMessage.invalidInsertData}, error: ${RestMessage.missingRequiredParameters}`);
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
