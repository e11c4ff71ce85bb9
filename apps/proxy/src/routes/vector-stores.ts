import { Hono, type Context } from "hono";
import { BadRequestError, ForbiddenError, parseInput } from "@vs/core";
import type { AuthStore } from "@vs/auth";
import { emptyCounts, listParamsSchema, type ListPage, type VectorStoreObject, type VectorStoreService } from "@vs/stores";
import { authorizeStore, callerHolds, grantedNames, type IndexLookup, type Permission } from "../access.js";
import type { CachedKeyResolver } from "../access-cache.js";
import { readJsonObject } from "../http/body.js";
import type { Env } from "../http/context.js";
import type { RegisteredStore } from "../store-registry.js";
import type { StoreResolver } from "../store-resolver.js";
import { actorOf, queryOf } from "./files.js";

export interface VectorStoreRouteOptions {
  service: VectorStoreService;
  stores: StoreResolver;
  auth: AuthStore;
  keys: CachedKeyResolver;
  indexes: IndexLookup | null;
  maxBodyBytes: number;
  /** `openai-poll-after-ms` on a file or batch still in progress: how soon the official clients look again. */
  pollAfterMs?: number;
  /** `vector_store_description` of each registry entry, by `vector_store_name`. */
  descriptions?: ReadonlyMap<string, string | undefined>;
}

/** A store of the config's registry, in the vector store shape (it has no files the gateway tracks). */
function registryStoreObject(store: RegisteredStore, description: string | undefined): VectorStoreObject {
  return {
    id: store.name,
    object: "vector_store",
    created_at: 0,
    name: store.name,
    description: description ?? null,
    usage_bytes: 0,
    file_counts: emptyCounts(),
    status: "completed",
    expires_after: null,
    expires_at: null,
    last_active_at: null,
    metadata: {},
  };
}

/**
 * OpenAI's Vector Stores API: stores, their files and file batches. Stores created here live in the database and in
 * the template's backend; the config's registry stores are listed and retrieved alike but are the admin's (no files,
 * no update, no delete). Thin HTTP over `@vs/stores`.
 */
export function vectorStoreRoutes(options: VectorStoreRouteOptions): Hono<Env> {
  const { service, stores, auth, keys, indexes, maxBodyBytes } = options;
  const pollAfterMs = String(options.pollAfterMs ?? 500);
  const app = new Hono<Env>();
  const descriptions = options.descriptions ?? new Map<string, string | undefined>();

  /** The store, if the caller holds `permission` on it (403 otherwise, 404 when there is none). */
  async function authorized(c: Context<Env>, permission: Permission): Promise<RegisteredStore> {
    const store = await stores.get(c.req.param("vector_store_id") ?? "");
    c.get("record").vector_store = store.name;
    await authorizeStore(c.get("caller"), store, permission, indexes);
    return store;
  }

  /** Files and batches exist only on stores the gateway created. */
  async function created(c: Context<Env>, permission: Permission): Promise<string> {
    const store = await authorized(c, permission);
    if (!stores.isCreated(store.id)) {
      throw new BadRequestError(
        `Vector store "${store.name}" is defined in the gateway's config (vector_store_registry); its contents are managed outside the gateway.`,
        { param: "vector_store_id", code: "vector_store_read_only" },
      );
    }
    return store.id;
  }

  function pollHint(c: Context<Env>, status: string): void {
    if (status === "in_progress") c.header("openai-poll-after-ms", pollAfterMs);
  }

  for (const prefix of ["/v1", ""]) {
    const base = `${prefix}/vector_stores`;

    app.post(base, async (c) => {
      const caller = c.get("caller");
      if (caller.kind === "virtual" && caller.canCreateVectorStores !== true) {
        throw new ForbiddenError("This key may not create vector stores (the admin grants it with can_create_vector_stores at /key/generate or /key/update).", {
          code: "vector_store_create_not_allowed",
        });
      }
      const body = await readJsonObject(c, maxBodyBytes);
      const store = await service.createStore(body, actorOf(caller));
      c.get("record").vector_store = store.id;
      if (caller.kind === "virtual") {
        // The creator reads and writes what it created; the grant is one atomic append to its key.
        await auth.keys.grant(caller.token, { index_name: store.id, index_permissions: ["read", "write"] });
        keys.forget([caller.token]);
      }
      return c.json(store);
    });

    app.get(base, async (c) => {
      const caller = c.get("caller");
      const query = queryOf(c);
      const params = parseInput(listParamsSchema, query, { what: "list parameters" });
      const readable = grantedNames(caller, "read");
      const createdIds = readable === "all" ? undefined : readable.filter((name) => name.startsWith("vs_"));
      const registry = stores.registry.list().filter((store) => callerHolds(caller, store.name, "read"));
      const registryObjects = registry.map((store) => registryStoreObject(store, descriptions.get(store.name)));
      const registryPosition = params.after === undefined ? -1 : registryObjects.findIndex((store) => store.id === params.after);
      // Registry stores sort as the oldest (created_at 0): last in `desc`, first in `asc`.
      if (params.order === "desc") {
        if (registryPosition >= 0) return c.json(listOf(registryObjects.slice(registryPosition + 1), params.limit));
        const page = await service.listStores(query, createdIds);
        if (page.has_more || params.before !== undefined) return c.json(page);
        return c.json(listOf([...page.data, ...registryObjects], params.limit));
      }
      if (params.before !== undefined) return c.json(await service.listStores(query, createdIds));
      if (params.after === undefined || registryPosition >= 0) {
        const head = registryObjects.slice(registryPosition + 1);
        const { after: _after, ...rest } = query;
        const tail = await service.listStores({ ...rest, limit: String(params.limit) }, createdIds);
        const all = [...head, ...tail.data];
        return c.json({ ...listOf(all, params.limit), has_more: all.length > params.limit || tail.has_more });
      }
      return c.json(await service.listStores(query, createdIds));
    });

    app.get(`${base}/:vector_store_id`, async (c) => {
      const store = await authorized(c, "read");
      if (!stores.isCreated(store.id)) return c.json(registryStoreObject(store, descriptions.get(store.name)));
      return c.json(await service.getStore(store.id));
    });

    app.post(`${base}/:vector_store_id`, async (c) => {
      const id = await created(c, "write");
      return c.json(await service.updateStore(id, await readJsonObject(c, maxBodyBytes)));
    });

    app.delete(`${base}/:vector_store_id`, async (c) => {
      const id = await created(c, "write");
      const deleted = await service.deleteStore(id);
      stores.forget(id);
      return c.json(deleted);
    });

    // ------------------------------------------------------------ files of a store

    app.post(`${base}/:vector_store_id/files`, async (c) => {
      const id = await created(c, "write");
      const file = await service.attachFile(id, (await readJsonObject(c, maxBodyBytes)) as never, actorOf(c.get("caller")));
      pollHint(c, file.status);
      return c.json(file);
    });

    app.get(`${base}/:vector_store_id/files`, async (c) => {
      const id = await created(c, "read");
      return c.json(await service.listStoreFiles(id, queryOf(c)));
    });

    app.get(`${base}/:vector_store_id/files/:file_id`, async (c) => {
      const id = await created(c, "read");
      const file = await service.getStoreFile(id, c.req.param("file_id"));
      pollHint(c, file.status);
      return c.json(file);
    });

    app.post(`${base}/:vector_store_id/files/:file_id`, async (c) => {
      const id = await created(c, "write");
      return c.json(await service.updateStoreFile(id, c.req.param("file_id"), (await readJsonObject(c, maxBodyBytes)) as never));
    });

    app.delete(`${base}/:vector_store_id/files/:file_id`, async (c) => {
      const id = await created(c, "write");
      return c.json(await service.detachFile(id, c.req.param("file_id")));
    });

    app.get(`${base}/:vector_store_id/files/:file_id/content`, async (c) => {
      const id = await created(c, "read");
      return c.json(await service.storeFileContent(id, c.req.param("file_id")));
    });

    // ------------------------------------------------------------ file batches

    app.post(`${base}/:vector_store_id/file_batches`, async (c) => {
      const id = await created(c, "write");
      const batch = await service.createBatch(id, (await readJsonObject(c, maxBodyBytes)) as never, actorOf(c.get("caller")));
      pollHint(c, batch.status);
      return c.json(batch);
    });

    app.get(`${base}/:vector_store_id/file_batches/:batch_id`, async (c) => {
      const id = await created(c, "read");
      const batch = await service.getBatch(id, c.req.param("batch_id"));
      pollHint(c, batch.status);
      return c.json(batch);
    });

    app.post(`${base}/:vector_store_id/file_batches/:batch_id/cancel`, async (c) => {
      const id = await created(c, "write");
      return c.json(await service.cancelBatch(id, c.req.param("batch_id")));
    });

    app.get(`${base}/:vector_store_id/file_batches/:batch_id/files`, async (c) => {
      const id = await created(c, "read");
      return c.json(await service.listBatchFiles(id, c.req.param("batch_id"), queryOf(c)));
    });
  }

  return app;
}

function listOf(data: VectorStoreObject[], limit: number): ListPage<VectorStoreObject> {
  const page = data.slice(0, limit);
  return { object: "list", data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: data.length > limit };
}
