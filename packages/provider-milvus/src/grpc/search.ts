import { describeIssues } from "@vs/core";
import { DataType, buildSearchRequest, promisify, type HybridSearchReq, type HybridSearchSingleReq, type SearchReq } from "@zilliz/milvus2-sdk-node";
import { z } from "zod";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { RestMessage, answer, costOf } from "./answers.js";
import { applyConsistency, consistencyLevelOf, hybridSearchBodySchema, parseBody, searchBodySchema } from "./bodies.js";
import { annsFieldOf, checkQueryVectors, describedCollection, indexMetric, requireSuccessForgetting } from "./collections.js";
import { database, type CallContext } from "./context.js";
import { prepareFilter, searchParametersOf } from "./expressions.js";
import { columnsOf, float32Value, int64Value, rowOf } from "./values.js";

// entities/search and entities/hybrid_search: the SDK's search requests built from REST v2 bodies, and the answers.

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
  if (!parsed.success) throw answer(MilvusErrorCode.invalidSearchResult, `fail to parse search result, error: ${describeIssues(parsed.error).message}`);
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

function stringified(values: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) result[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return result;
}

export async function search(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(searchBodySchema, body, "SearchReqV2");
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const hasIds = (request.ids ?? []).length > 0;
  const hasData = (request.data ?? []).length > 0;
  if (hasIds && hasData) {
    throw answer(
      MilvusErrorCode.invalidParameter,
      "primary keys (ids) and query vectors (data) are mutually exclusive. Please provide either 'ids' or 'data', not both",
    );
  }
  if (!hasIds && !hasData)
    throw answer(MilvusErrorCode.missingParameter, "either 'ids' (for primary key search) or 'data' (for vector search) must be provided");
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

export async function hybridSearch(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(hybridSearchBodySchema, body, "HybridSearchReq");
  const consistencyLevel = consistencyLevelOf(request.consistencyLevel);
  const subSearches = request.search ?? [];
  if (subSearches.length === 0)
    throw answer(MilvusErrorCode.missingParameter, `${RestMessage.missingRequiredParameters}, error: search must name at least one sub-search`);
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
