import type { z } from "zod";
import { milvusOptionsSchema, type MilvusOptions } from "./milvus-options.js";

/**
 * The Milvus knobs a caller may turn in a search body. Connection, credentials, `dbName`, `partitionNames`,
 * `annsField` and the text field stay the admin's: a caller sending them gets a 400 naming the field.
 */
export const milvusCallerOptionsSchema = milvusOptionsSchema.pick({
  limit: true,
  offset: true,
  filter: true,
  outputFields: true,
  searchParams: true,
  consistencyLevel: true,
  groupingField: true,
  groupSize: true,
});
export type MilvusCallerOptions = z.infer<typeof milvusCallerOptionsSchema>;

/** The caller's knobs over the admin's; a caller's `filter` is ANDed with the admin's, so it can only narrow it. */
export function mergeMilvusOptions(store: MilvusOptions, caller: MilvusCallerOptions): MilvusOptions {
  const merged: MilvusOptions = { ...store };
  for (const [key, value] of Object.entries(caller) as Array<[keyof MilvusCallerOptions, unknown]>) {
    if (value !== undefined && key !== "filter") (merged as Record<string, unknown>)[key] = value;
  }
  if (caller.filter !== undefined) merged.filter = store.filter === undefined ? caller.filter : `(${store.filter}) and (${caller.filter})`;
  return merged;
}
