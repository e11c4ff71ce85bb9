import type { FieldSchema } from "@zilliz/milvus2-sdk-node";
import type { MilvusResponse } from "../milvus-transport.js";
import { MilvusErrorCode } from "../milvus-vocabulary.js";
import { answer, failedAnswer, requireSuccess, statusOf } from "./answers.js";
import { collectionBodySchema, parseBody } from "./bodies.js";
import { forgetCollection } from "./collections.js";
import { database, type CallContext } from "./context.js";
import { int64Value } from "./values.js";

// Collections: has, list, describe, load state, drop, flush, load, release (create is in create.ts).

export async function has(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const response = await context.client.hasCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "HasCollection");
  return { code: 0, data: { has: Boolean(response.value) } };
}

/** Needs no collection: the database comes from the body's `dbName`, already in the context. */
export async function list(_body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const response = await context.client.showCollections({ ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "ShowCollections");
  const names = (response as { collection_names?: unknown }).collection_names;
  return {
    code: 0,
    data: Array.isArray(names) ? names.filter((name): name is string => typeof name === "string") : (response.data ?? []).map((entry) => entry.name),
  };
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
export async function describe(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
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

export async function getLoadState(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const collection = request.collectionName;
  const response = await context.client.getLoadState({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  requireSuccess(response, context, "GetLoadState");
  const state = String(response.state);
  if (state === "LoadStateNotExist") throw answer(MilvusErrorCode.collectionNotFound, `collection not found[collection=${collection}]`);
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

export async function statusOnly(context: CallContext, rpc: string, response: unknown): Promise<MilvusResponse> {
  requireSuccess(response, context, rpc);
  return { code: 0, data: {} };
}

export async function drop(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  forgetCollection(context, request.collectionName);
  const response = await context.client.dropCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  forgetCollection(context, request.collectionName);
  return statusOnly(context, "DropCollection", response);
}

export async function flush(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "FlushReq");
  const response = await context.client.flush({ collection_names: [request.collectionName], ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "Flush", response);
}

export async function load(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  // One LoadCollection RPC, like the REST server: the SDK's loadCollection polls until loaded, without a deadline.
  const response = await context.client.loadCollectionAsync({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "LoadCollection", response);
}

export async function release(body: Record<string, unknown>, context: CallContext): Promise<MilvusResponse> {
  const request = parseBody(collectionBodySchema, body, "CollectionNameReq");
  const response = await context.client.releaseCollection({ collection_name: request.collectionName, ...database(context), timeout: context.remainingMs() });
  return statusOnly(context, "ReleaseCollection", response);
}
