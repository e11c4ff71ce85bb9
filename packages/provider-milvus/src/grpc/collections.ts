import type { DescribeCollectionResponse, FieldSchema } from "@zilliz/milvus2-sdk-node";
import { BoundedMap } from "../bounded-map.js";
import { MilvusErrorCode, isVectorFieldType } from "../milvus-vocabulary.js";
import { RestMessage, answer, failedAnswer, requireSuccess, statusOf } from "./answers.js";
import { database, type CallContext } from "./context.js";

/**
 * Search needs the collection's schema (to encode vectors) and the metric of the searched field (Milvus Lite takes
 * an absent metric literally: failures on unflushed data, raw internal distances on flushed data). Both are learnt
 * once and forgotten when the collection is dropped or created through this transport, or when Milvus refuses a
 * search or query on it (its schema may have changed behind the gateway's back). Bounded like the search's own
 * collection facts: past MAX_CACHED_COLLECTIONS collections the oldest are forgotten.
 */
interface CollectionEntry {
  description?: DescribeCollectionResponse;
  /** The metric of each indexed field asked about. */
  metrics: Map<string, string>;
}

export class CollectionCaches {
  /** Per (database, collection). */
  private readonly collections = new BoundedMap<string, CollectionEntry>();

  private entry(database: string, collection: string): CollectionEntry {
    const key = JSON.stringify([database, collection]);
    let entry = this.collections.get(key);
    if (entry === undefined) {
      entry = { metrics: new Map() };
      this.collections.set(key, entry);
    }
    return entry;
  }

  description(database: string, collection: string): DescribeCollectionResponse | undefined {
    return this.collections.get(JSON.stringify([database, collection]))?.description;
  }

  rememberDescription(database: string, collection: string, description: DescribeCollectionResponse): void {
    this.entry(database, collection).description = description;
  }

  metric(database: string, collection: string, field: string): string | undefined {
    return this.collections.get(JSON.stringify([database, collection]))?.metrics.get(field);
  }

  rememberMetric(database: string, collection: string, field: string, metric: string): void {
    this.entry(database, collection).metrics.set(field, metric);
  }

  forget(database: string, collection: string): void {
    this.collections.delete(JSON.stringify([database, collection]));
  }
}

export function forgetCollection(context: CallContext, collection: string): void {
  context.caches.forget(context.database, collection);
  context.client.forgetCollection(collection);
}

export async function describedCollection(context: CallContext, collection: string): Promise<DescribeCollectionResponse> {
  const cached = context.caches.description(context.database, collection);
  if (cached !== undefined) return cached;
  const description = await context.client.describeCollection({ collection_name: collection, ...database(context), timeout: context.remainingMs() });
  requireSuccess(description, context, "DescribeCollection");
  context.caches.rememberDescription(context.database, collection, description);
  return description;
}

/** The metric of the index on `field`, once per (database, collection, field); undefined when there is no index. */
export async function indexMetric(context: CallContext, collection: string, field: string): Promise<string | undefined> {
  const cached = context.caches.metric(context.database, collection, field);
  if (cached !== undefined) return cached;
  const described = await context.client.describeIndex({
    collection_name: collection,
    field_name: field,
    ...database(context),
    timeout: context.remainingMs(),
  });
  const status = statusOf(described);
  if (status === undefined || failedAnswer(status, context.isMilvusLite) !== undefined) return undefined;
  const index = (described.index_descriptions ?? []).find((description) => description.field_name === field);
  const metric = index?.params.find((pair) => pair.key === "metric_type")?.value;
  if (typeof metric !== "string" || metric === "") return undefined;
  context.caches.rememberMetric(context.database, collection, field, metric);
  return metric;
}

export function primaryField(description: DescribeCollectionResponse): FieldSchema {
  const field = description.schema.fields.find((candidate) => candidate.is_primary_key);
  if (field === undefined)
    throw answer(MilvusErrorCode.checkPrimaryKey, `${RestMessage.checkPrimaryKey}, error: collection: ${description.collection_name} has no primary field`);
  return field;
}

/** The searched vector field, picked as the REST server picks it (generatePlaceholderGroup). */
export function annsFieldOf(description: DescribeCollectionResponse, requested: string | null | undefined): FieldSchema {
  const vectorFields = description.schema.fields.filter((field) => isVectorFieldType(String(field.data_type)));
  if (requested === undefined || requested === null || requested === "") {
    const [only, second] = vectorFields;
    if (only === undefined) throw answer(MilvusErrorCode.invalidJsonBody, `${RestMessage.incorrectParameterFormat}, error: cannot find a vector field`);
    if (second !== undefined) {
      throw answer(
        MilvusErrorCode.invalidJsonBody,
        `${RestMessage.incorrectParameterFormat}, error: search without annsField, but already found multiple vector fields: [${only.name}, ${second.name},,,]`,
      );
    }
    return only;
  }
  const field = vectorFields.find((candidate) => candidate.name === requested);
  if (field === undefined)
    throw answer(MilvusErrorCode.invalidJsonBody, `${RestMessage.incorrectParameterFormat}, error: cannot find a vector field named: ${requested}`);
  return field;
}

/** Query vectors must be a list of vectors of the field's dimension, as the REST server requires. */
export function checkQueryVectors(field: FieldSchema, data: unknown[]): void {
  if (String(field.data_type) !== "FloatVector") return;
  const dimension = Number(field.type_params.find((pair) => pair.key === "dim")?.value ?? field.dim);
  for (const vector of data) {
    if (!Array.isArray(vector) || !vector.every((value) => typeof value === "number")) {
      throw answer(MilvusErrorCode.invalidJsonBody, `${RestMessage.incorrectParameterFormat}, error: data must be a list of vectors (lists of numbers)`);
    }
    if (Number.isFinite(dimension) && vector.length !== dimension) {
      throw answer(
        MilvusErrorCode.invalidJsonBody,
        `${RestMessage.incorrectParameterFormat}, error: dimension: ${dimension}, but length of vector: ${vector.length}`,
      );
    }
  }
}

/** A failed search or query may come from a stale schema: forget it, so the next call describes afresh. */
export function requireSuccessForgetting(raw: unknown, context: CallContext, collection: string, rpc: string): void {
  try {
    requireSuccess(raw, context, rpc);
  } catch (error) {
    forgetCollection(context, collection);
    throw error;
  }
}
