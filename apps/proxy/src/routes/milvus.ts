import { Hono } from "hono";
import { ForbiddenError, MethodNotAllowedError, NotFoundError } from "@vs/core";
import {
  COLLECTIONLESS_ENDPOINTS,
  DEFAULT_MILVUS_DATABASE,
  checkPassthroughKeys,
  checkPinnedDatabase,
  classifyPassthroughPath,
  requestedCollection,
  rewritePassthroughRequest,
  rewritePassthroughRequestText,
  rewritePassthroughResponse,
} from "@vs/provider-milvus/internal";
import type { MilvusOptions, MilvusProvider } from "@vs/provider-milvus";
import type { AuthStore } from "@vs/auth";
import { callerHolds, grantedNames, type IndexLookup } from "../access.js";
import { clientSignal } from "../http/body.js";
import { readPassthroughBody } from "../http/passthrough-body.js";
import type { Env } from "../http/context.js";
import { concealFromCaller } from "../http/errors.js";
import type { StoreRegistry } from "../store-registry.js";

export interface MilvusPassthroughOptions {
  registry: StoreRegistry;
  milvus: MilvusProvider;
  indexes: IndexLookup;
  auth: AuthStore;
  maxBodyBytes: number;
}

/**
 * `/milvus/v2/vectordb/...`: Milvus's own REST API for virtual indexes. The endpoint must be on the allowlist
 * (else 403); `collectionName` must be a virtual index the key holds with the endpoint's permission (else 403); the
 * store's database is pinned (a caller's `dbName` or `DB-Name` naming another one is a 400; the official clients
 * always send one, so the pinned one is accepted); the caller's Authorization never goes upstream — the store's
 * credentials are used. The body goes upstream with its integers exact; Milvus's answer comes back as Milvus sent it,
 * names rewritten.
 */
export function milvusPassthroughRoutes(options: MilvusPassthroughOptions): Hono<Env> {
  const { registry, milvus, indexes, auth, maxBodyBytes } = options;
  const app = new Hono<Env>();

  app.all("/milvus/*", async (c) => {
    const path = c.req.path.slice("/milvus".length);
    const route = classifyPassthroughPath(path);
    if (!route) throw new ForbiddenError(`The Milvus endpoint "${path}" is not available through this gateway.`, { code: "endpoint_not_allowed" });
    if (c.req.method !== "POST") throw new MethodNotAllowedError(`Milvus REST v2 endpoints take POST, not ${c.req.method}.`);
    const caller = c.get("caller");
    const { body, topLevelKeys, text, topLevelValues } = await readPassthroughBody(c, maxBodyBytes);
    const { dbNameKey } = checkPassthroughKeys(topLevelKeys);
    const requestedDatabase = { bodyKey: dbNameKey, bodyValue: dbNameKey === undefined ? undefined : body[dbNameKey], header: c.req.header("db-name") };

    if (COLLECTIONLESS_ENDPOINTS.has(route.endpoint)) {
      // collections/list: the caller's virtual indexes, never the real collections. It reaches no database, but one
      // the gateway does not serve is refused as everywhere else.
      checkPinnedDatabase(requestedDatabase, milvusDatabases(registry));
      const readable = grantedNames(caller, "read");
      const names = readable === "all" ? (await auth.indexes.list()).map((index) => index.index_name) : readable;
      return c.json({ code: 0, data: names });
    }

    const indexName = requestedCollection(body);
    const record = c.get("record");
    record.index_name = indexName;
    if (!callerHolds(caller, indexName, route.permission)) {
      throw new ForbiddenError(`This key has no '${route.permission}' permission on index "${indexName}".`, {
        param: "collectionName",
        code: "index_not_allowed",
      });
    }
    const index = await indexes.get(indexName);
    if (!index)
      throw new NotFoundError(`No virtual index "${indexName}". An admin creates one with POST /v1/indexes.`, {
        param: "collectionName",
        code: "index_not_found",
      });
    const store = registry.find(index.vector_store_name);
    if (!store || store.provider !== "milvus") {
      throw new NotFoundError(
        `Virtual index "${indexName}" points at vector store "${index.vector_store_name}", which is not a Milvus store of this gateway.`,
        { param: "collectionName", code: "vector_store_not_found" },
      );
    }
    record.vector_store = store.name;

    const { transport, dbName, displayAddress } = milvus.transportFor(store.prepared.options as MilvusOptions);
    checkPinnedDatabase(requestedDatabase, [dbName ?? DEFAULT_MILVUS_DATABASE]);
    concealFromCaller(c, [
      { text: index.vector_store_index, replacement: indexName },
      { text: displayAddress, replacement: "the vector store" },
    ]);
    const started = performance.now();
    const target = { collection: index.vector_store_index, dbName };
    const encodedBody =
      transport.kind === "rest" ? rewritePassthroughRequestText(text, { keys: topLevelKeys, values: topLevelValues }, body, target) : undefined;
    const answer = await transport.call(route.endpoint, rewritePassthroughRequest(body, target), { signal: clientSignal(c), encodedBody });
    record.upstream_ms = performance.now() - started;
    if (Array.isArray(answer.data)) record.result_count = answer.data.length;
    if (answer.code !== 0 && answer.code !== 200) record.error_code = `vector_store_error:${answer.code}`;
    return c.json(rewritePassthroughResponse(answer, { collection: index.vector_store_index, virtualName: indexName }));
  });

  return app;
}

/** The databases the gateway's Milvus stores are pinned to. */
function milvusDatabases(registry: StoreRegistry): string[] {
  const names = registry
    .list()
    .filter((store) => store.provider === "milvus")
    .map((store) => (store.prepared.options as MilvusOptions).dbName ?? DEFAULT_MILVUS_DATABASE);
  return names.length === 0 ? [DEFAULT_MILVUS_DATABASE] : [...new Set(names)];
}
