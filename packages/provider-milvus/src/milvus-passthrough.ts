import { BadRequestError } from "@vs/core";
import type { JsonSpan } from "./exact-json.js";
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

/** The database Milvus uses when a request names none. */
export const DEFAULT_MILVUS_DATABASE = "default";

/**
 * A JSON key as Milvus's REST server matches it to a request field: Go's encoding/json binds keys to fields without
 * regard to case, with Unicode simple folding (`ſ` is `s`, the Kelvin sign `K` is `k`, dotted and dotless `i` are
 * `i`). Two keys that fold alike reach the same field.
 */
export function foldJsonKey(key: string): string {
  return key
    .replace(/[\u0130\u0131]/g, "i")
    .replace(/\u017f/g, "s")
    .replace(/\u212a/g, "k")
    .replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

const FOLDED_DB_NAME = foldJsonKey("dbName");
const FOLDED_COLLECTION_NAME = foldJsonKey("collectionName");

/**
 * Checks the body's top-level keys (as written, duplicates included) for the fields the gateway decides: exactly one
 * `collectionName`, spelled so; at most one key Milvus would read as `dbName`, in whatever case. Anything else would
 * let Milvus read a collection or database other than the one the gateway checked. Returns the `dbName` key as
 * written, if there is one.
 */
export function checkPassthroughKeys(topLevelKeys: readonly string[]): { dbNameKey: string | undefined } {
  const collectionKeys = topLevelKeys.filter((key) => foldJsonKey(key) === FOLDED_COLLECTION_NAME);
  if (collectionKeys.length > 1 || collectionKeys.some((key) => key !== "collectionName")) {
    throw new BadRequestError(
      `collectionName: give it once, spelled exactly "collectionName" (found ${collectionKeys.map((key) => JSON.stringify(key)).join(", ")}); Milvus reads every letter case of it as the same field.`,
      { param: "collectionName", code: "ambiguous_parameter" },
    );
  }
  const databaseKeys = topLevelKeys.filter((key) => foldJsonKey(key) === FOLDED_DB_NAME);
  if (databaseKeys.length > 1) {
    throw new BadRequestError(
      `dbName: give it at most once (found ${databaseKeys.map((key) => JSON.stringify(key)).join(", ")}); Milvus reads every letter case of it as the same field.`,
      {
        param: "dbName",
        code: "database_pinned",
      },
    );
  }
  return { dbNameKey: databaseKeys[0] };
}

/**
 * A caller's database (the body's `dbName` under any spelling, or the `DB-Name` header) must be the one the gateway
 * pins for the store: the official clients always send one (`default` unless told otherwise), so an equal one is
 * accepted; any other is refused — it could reach another database with the admin's credentials.
 */
export function checkPinnedDatabase(
  requested: { bodyKey: string | undefined; bodyValue: unknown; header: string | undefined },
  allowed: readonly string[],
): void {
  const expected = allowed.length === 1 ? `"${allowed[0]}"` : `one of ${allowed.map((name) => `"${name}"`).join(", ")}`;
  if (requested.bodyKey !== undefined && !(typeof requested.bodyValue === "string" && allowed.includes(requested.bodyValue))) {
    throw new BadRequestError(
      `${requested.bodyKey}: the database is fixed by the gateway's configuration to ${expected}; remove this field or send that value.`,
      {
        param: "dbName",
        code: "database_pinned",
      },
    );
  }
  if (requested.header !== undefined && !allowed.includes(requested.header)) {
    throw new BadRequestError(`DB-Name: the database is fixed by the gateway's configuration to ${expected}; remove this header or send that value.`, {
      param: "DB-Name",
      code: "database_pinned",
    });
  }
}

/** The virtual index a passthrough body names, checked before anything else happens. */
export function requestedCollection(body: Record<string, unknown>): string {
  const name = body["collectionName"];
  if (typeof name !== "string" || name.length === 0)
    throw new BadRequestError("collectionName: required (the name of a virtual index this key may use)", {
      param: "collectionName",
      code: "missing_required_parameter",
    });
  return name;
}

/**
 * The body sent upstream: the real collection instead of the virtual index, the store's database pinned (every key
 * Milvus would read as `dbName` is dropped first). Values are left as they are, so raw-JSON integers go out exact.
 */
export function rewritePassthroughRequest(body: Record<string, unknown>, target: { collection: string; dbName?: string | undefined }): Record<string, unknown> {
  // fromEntries defines own properties: a "__proto__" key stays a key, as JSON.parse made it.
  const rewritten: Record<string, unknown> = Object.fromEntries(Object.entries(body).filter(([key]) => foldJsonKey(key) !== FOLDED_DB_NAME));
  rewritten["collectionName"] = target.collection;
  if (target.dbName) rewritten["dbName"] = target.dbName;
  return rewritten;
}

/** A list of lists of numbers and nothing else: the vectors of a search (`data: [[0.1, …]]`). */
const NUMBER_LISTS = /^\s*\[\s*\[[-+0-9.eE,[\]\s]*\]\s*$/;

/**
 * `JSON.stringify(rewritePassthroughRequest(body, target))`, with one saving: a top-level value that is a list of
 * lists of numbers (the query vectors of a search, thousands of floats) is copied from the text as the client wrote
 * it instead of being printed again from its parsed doubles — Milvus reads such a list as floats either way. Every
 * other value is printed from `body` as before, so integers are normalised and raw-JSON ones stay exact.
 *
 * `keys` and `values` are the top-level keys as written and their value spans (`scanJson`), duplicates included: as
 * with `JSON.parse`, a key keeps its first position and its last value.
 */
export function rewritePassthroughRequestText(
  text: string,
  members: { keys: readonly string[]; values: readonly JsonSpan[] },
  body: Record<string, unknown>,
  target: { collection: string; dbName?: string | undefined },
): string {
  const rewritten = rewritePassthroughRequest(body, target);
  if (members.keys.length !== members.values.length) return JSON.stringify(rewritten);
  const lastSpan = new Map<string, JsonSpan>();
  members.keys.forEach((key, position) => {
    lastSpan.set(key, members.values[position] as JsonSpan);
  });
  const parts: string[] = [];
  for (const [key, value] of Object.entries(rewritten)) {
    const span = key === "collectionName" || key === "dbName" ? undefined : lastSpan.get(key);
    const source = span === undefined ? undefined : text.slice(span.start, span.end);
    const written = source !== undefined && NUMBER_LISTS.test(source) ? source : JSON.stringify(value);
    // JSON.stringify leaves out what JSON cannot hold (undefined, functions): parsed JSON has none, but stay exact.
    if (written !== undefined) parts.push(`${JSON.stringify(key)}:${written}`);
  }
  return `{${parts.join(",")}}`;
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
