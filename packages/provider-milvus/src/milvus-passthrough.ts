import { BadRequestError } from "@vs/core";
import type { MilvusResponse } from "./milvus-transport.js";

/**
 * The native Milvus passthrough's policy, as data: the exact REST v2 endpoints a client may call through the gateway
 * and the permission each needs. Anything not listed is refused (fail closed) — there is no prefix or substring
 * matching.
 */
export type PassthroughPermission = "read" | "write";

export const MILVUS_PASSTHROUGH_ENDPOINTS: Readonly<Record<string, PassthroughPermission>> = Object.freeze({
  "entities/search": "read",
  "entities/hybrid_search": "read",
  "entities/query": "read",
  "entities/get": "read",
  "collections/has": "read",
  "collections/describe": "read",
  "collections/get_load_state": "read",
  "collections/list": "read",
  "entities/insert": "write",
  "entities/upsert": "write",
  "entities/delete": "write",
  "collections/create": "write",
  "collections/drop": "write",
  "collections/flush": "write",
  "collections/load": "write",
  "collections/release": "write",
});

/** Endpoints that name no collection: the gateway answers them itself from the caller's indexes. */
export const COLLECTIONLESS_ENDPOINTS: ReadonlySet<string> = new Set(["collections/list"]);

const PATH_PREFIX = "/v2/vectordb/";

/** `/v2/vectordb/entities/search` → `{endpoint: "entities/search", permission: "read"}`; anything else → null. */
export function classifyPassthroughPath(path: string): { endpoint: string; permission: PassthroughPermission } | null {
  if (!path.startsWith(PATH_PREFIX)) return null;
  const endpoint = path.slice(PATH_PREFIX.length);
  const permission = Object.hasOwn(MILVUS_PASSTHROUGH_ENDPOINTS, endpoint) ? MILVUS_PASSTHROUGH_ENDPOINTS[endpoint] : undefined;
  return permission ? { endpoint, permission } : null;
}

/** The virtual index a passthrough body names, checked before anything else happens. */
export function requestedCollection(body: Record<string, unknown>): string {
  const name = body["collectionName"];
  if (typeof name !== "string" || name.length === 0) throw new BadRequestError("collectionName: required (the name of a virtual index this key may use)", { param: "collectionName", code: "missing_required_parameter" });
  return name;
}

/**
 * The body sent upstream: the real collection instead of the virtual index, the store's database pinned. A caller's
 * own `dbName` is refused before this is reached (it could otherwise reach another database with the admin's
 * credentials).
 */
export function rewritePassthroughRequest(body: Record<string, unknown>, target: { collection: string; dbName?: string | undefined }): Record<string, unknown> {
  const rewritten: Record<string, unknown> = { ...body, collectionName: target.collection };
  delete rewritten["dbName"];
  if (target.dbName) rewritten["dbName"] = target.dbName;
  return rewritten;
}

/** Milvus's answer with the real collection name replaced by the virtual one, wherever it appears. */
export function rewritePassthroughResponse(response: MilvusResponse, names: { collection: string; virtualName: string }): MilvusResponse {
  if (names.collection === names.virtualName) return response;
  // In structured data only whole values equal to the name are replaced (a field "book_intro" of collection "book"
  // stays as it is); in the free-text message every occurrence is.
  const replaceExact = (value: unknown): unknown => {
    if (typeof value === "string") return value === names.collection ? names.virtualName : value;
    if (Array.isArray(value)) return value.map(replaceExact);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceExact(item)]));
    return value;
  };
  const rewritten: MilvusResponse = { ...response };
  if (typeof response.message === "string") rewritten.message = response.message.split(names.collection).join(names.virtualName);
  // Rows (entities/search, query, get answer arrays) are user data and are left alone.
  if (response.data !== null && typeof response.data === "object" && !Array.isArray(response.data)) rewritten.data = replaceExact(response.data);
  return rewritten;
}
