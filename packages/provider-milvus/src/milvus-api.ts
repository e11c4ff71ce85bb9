import { z } from "zod";

/**
 * Loose schemas of the Milvus REST v2 answers this package reads. Upstream answers are not ours to police: unknown
 * keys pass through, optional parts are `.nullish()`, and only what the code relies on is checked.
 */

export const milvusAnswerSchema = z.looseObject({
  code: z.number(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
});
export type MilvusAnswer = z.infer<typeof milvusAnswerSchema>;

/** One row of `entities/search`: the primary key (under `id` or its field name), `distance`, the output fields. */
export const searchRowSchema = z.record(z.string(), z.unknown());
export type SearchRow = z.infer<typeof searchRowSchema>;

export const searchAnswerSchema = z.looseObject({
  code: z.number(),
  message: z.string().nullish(),
  data: z.array(searchRowSchema).nullish(),
  topks: z.array(z.number()).nullish(),
  cost: z.number().nullish(),
});
export type SearchAnswer = z.infer<typeof searchAnswerSchema>;

/** A field as `collections/describe` prints it: `type` is `Int64`, `VarChar`, `FloatVector`, … */
export const describedFieldSchema = z.looseObject({
  name: z.string(),
  type: z.string().nullish(),
  primaryKey: z.boolean().nullish(),
  autoId: z.boolean().nullish(),
  params: z.array(z.looseObject({ key: z.string(), value: z.unknown() })).nullish(),
});
export type DescribedField = z.infer<typeof describedFieldSchema>;

export const describedIndexSchema = z.looseObject({
  fieldName: z.string().nullish(),
  indexName: z.string().nullish(),
  metricType: z.string().nullish(),
});
export type DescribedIndex = z.infer<typeof describedIndexSchema>;

export const describedCollectionSchema = z.looseObject({
  collectionName: z.string().nullish(),
  fields: z.array(describedFieldSchema).nullish(),
  indexes: z.array(describedIndexSchema).nullish(),
  enableDynamicField: z.boolean().nullish(),
  load: z.string().nullish(),
});
export type DescribedCollection = z.infer<typeof describedCollectionSchema>;
