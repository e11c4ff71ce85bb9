import { randomBytes } from "node:crypto";

/**
 * `<prefix><12 hex of the creation time in ms><12 random hex>`: ids sort by creation time, so cursor pagination is
 * an id comparison, and (lower-case letters, digits, `_`) every id is also a valid Milvus collection and PostgreSQL
 * table name, which the created store's backend name reuses.
 */
export function newId(prefix: "file-" | "vs_" | "vsfb_", now: Date = new Date()): string {
  return prefix + now.getTime().toString(16).padStart(12, "0") + randomBytes(6).toString("hex");
}
