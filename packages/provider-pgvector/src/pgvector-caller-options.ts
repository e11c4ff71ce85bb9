import type { z } from "zod";
import { pgvectorOptionsSchema, type PgvectorOptions } from "./pgvector-options.js";

/**
 * What a caller may add to a search body: the index's recall knobs, nothing else. Connection, table, columns,
 * metric, timeout and the admin's `filters` stay the admin's; a caller sending them gets a 400 naming the field.
 * (A caller narrows results with OpenAI's own `filters`, which are ANDed with the admin's.)
 */
export const pgvectorCallerOptionsSchema = pgvectorOptionsSchema.pick({ ef_search: true, probes: true });
export type PgvectorCallerOptions = z.infer<typeof pgvectorCallerOptionsSchema>;

export function mergePgvectorOptions(store: PgvectorOptions, caller: PgvectorCallerOptions): PgvectorOptions {
  const merged: PgvectorOptions = { ...store };
  if (caller.ef_search !== undefined) merged.ef_search = caller.ef_search;
  if (caller.probes !== undefined) merged.probes = caller.probes;
  return merged;
}
