import { Hono } from "hono";
import { BadRequestError, ForbiddenError, NotFoundError } from "@vs/core";
import { budgetWindow, type AuthStore, type KeyInfo } from "@vs/auth";
import type { CachedIndexLookup, CachedKeyResolver } from "../access-cache.js";
import { requireMaster } from "../http/auth.js";
import { readJsonObject } from "../http/body.js";
import type { Env } from "../http/context.js";
import type { StoreRegistry } from "../store-registry.js";
import type { StoreResolver } from "../store-resolver.js";

export interface AdminRouteOptions {
  auth: AuthStore;
  registry: StoreRegistry;
  /** Lets grants name stores created through the API (`vs_…`). */
  stores?: StoreResolver;
  keys: CachedKeyResolver;
  indexes: CachedIndexLookup;
  maxBodyBytes: number;
}

/** `/key/*` and `/v1/indexes`: the admin's routes (master key), plus `/key/info` for a key about itself. */
export function adminRoutes(options: AdminRouteOptions): Hono<Env> {
  const { auth, registry, stores, keys, indexes, maxBodyBytes } = options;
  const app = new Hono<Env>();
  const master = requireMaster();

  /** LiteLLM's `spend` and `budget_reset_at`: the spend of the current budget window and when it ends. */
  async function currentBudget(info: KeyInfo): Promise<{ spend: number; budget_window_start: string; budget_reset_at: string | null }> {
    const window = budgetWindow(info);
    return {
      spend: await auth.budgets.spendInWindow(info.token, window.start),
      budget_window_start: window.start.toISOString(),
      budget_reset_at: window.end?.toISOString() ?? null,
    };
  }

  /** Every `allowed_vector_store_indexes[i].index_name` must be a virtual index or a registry store. */
  async function assertGrantsExist(body: Record<string, unknown>): Promise<void> {
    const grants = body["allowed_vector_store_indexes"];
    if (!Array.isArray(grants)) return;
    for (const [position, grant] of grants.entries()) {
      const name = (grant as { index_name?: unknown } | null)?.index_name;
      if (typeof name !== "string" || registry.find(name)) continue;
      if (
        stores?.isCreated(name) &&
        (await stores.get(name).then(
          () => true,
          () => false,
        ))
      )
        continue;
      if (!(await auth.indexes.get(name))) {
        throw new BadRequestError(
          `allowed_vector_store_indexes[${position}].index_name: no virtual index or vector store named "${name}" (create it with POST /v1/indexes first)`,
          { param: `allowed_vector_store_indexes[${position}].index_name`, code: "unknown_index" },
        );
      }
    }
  }

  app.post("/key/generate", master, async (c) => {
    const body = await readJsonObject(c, maxBodyBytes, { refuseNul: true });
    await assertGrantsExist(body);
    const { key, info } = await auth.keys.generate(body as never, "master");
    return c.json({ ...info, key });
  });

  app.get("/key/info", async (c) => {
    const caller = c.get("caller");
    const requested = c.req.query("key");
    if (caller.kind === "virtual" && requested !== undefined && requested !== caller.token) {
      const info = await auth.keys.info(requested);
      if (!info || info.token !== caller.token) throw new ForbiddenError("A key may only read its own info.", { code: "admin_only" });
    }
    if (caller.kind === "master" && !requested) throw new BadRequestError("key: required query parameter (a key, its hash or its alias)", { param: "key" });
    const info = await auth.keys.info(requested ?? (caller.kind === "virtual" ? caller.token : ""));
    if (!info) throw new NotFoundError("No such key.", { param: "key", code: "key_not_found" });
    return c.json({ key: info.token, info: { ...info, ...(await currentBudget(info)) } });
  });

  app.get("/key/list", master, async (c) => {
    const limit = Number(c.req.query("limit") ?? "100");
    const offset = Number(c.req.query("offset") ?? "0");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError("limit: an integer from 1 to 1000", { param: "limit" });
    if (!Number.isInteger(offset) || offset < 0) throw new BadRequestError("offset: a non-negative integer", { param: "offset" });
    const list = await auth.keys.list({ limit, offset });
    return c.json({ keys: list, total_count: list.length, limit, offset });
  });

  app.post("/key/update", master, async (c) => {
    const body = await readJsonObject(c, maxBodyBytes, { refuseNul: true });
    const { key, ...patch } = body;
    if (typeof key !== "string" || key === "") throw new BadRequestError("key: required (the key, its hash or its alias)", { param: "key" });
    await assertGrantsExist(patch);
    const info = await auth.keys.update(key, patch as never, "master");
    keys.forget([info.token]);
    return c.json(info);
  });

  app.post("/key/delete", master, async (c) => {
    const body = await readJsonObject(c, maxBodyBytes, { refuseNul: true });
    const names = [...(Array.isArray(body["keys"]) ? body["keys"] : []), ...(Array.isArray(body["key_aliases"]) ? body["key_aliases"] : [])];
    if (names.length === 0 || !names.every((name): name is string => typeof name === "string" && name !== "")) {
      throw new BadRequestError("keys: a non-empty list of keys, key hashes or aliases (or key_aliases)", { param: "keys" });
    }
    const { deleted } = await auth.keys.delete(names);
    keys.forget(deleted);
    return c.json({ deleted_keys: deleted });
  });

  app.post("/v1/indexes", master, async (c) => {
    const body = await readJsonObject(c, maxBodyBytes, { refuseNul: true });
    const storeName = (body["litellm_params"] as { vector_store_name?: unknown } | undefined)?.vector_store_name;
    if (typeof storeName === "string" && !registry.find(storeName)) {
      throw new BadRequestError(
        `litellm_params.vector_store_name: no vector store "${storeName}" in the vector_store_registry; known: ${
          registry
            .list()
            .map((store) => store.name)
            .join(", ") || "none"
        }`,
        { param: "litellm_params.vector_store_name", code: "unknown_vector_store" },
      );
    }
    const index = await auth.indexes.create(body as never, "master");
    indexes.forget(index.index_name);
    return c.json(index, 201);
  });

  app.get("/v1/indexes", master, async (c) => c.json({ object: "list", data: await auth.indexes.list() }));

  app.get("/v1/indexes/:name", master, async (c) => {
    const index = await auth.indexes.get(c.req.param("name"));
    if (!index) throw new NotFoundError(`No virtual index "${c.req.param("name")}".`, { param: "index_name", code: "index_not_found" });
    return c.json(index);
  });

  app.delete("/v1/indexes/:name", master, async (c) => {
    const name = c.req.param("name");
    const deleted = await auth.indexes.delete(name);
    indexes.forget(name);
    if (!deleted) throw new NotFoundError(`No virtual index "${name}".`, { param: "index_name", code: "index_not_found" });
    return c.json({ deleted: true, index_name: name });
  });

  /** Cost tracking: `?key=<key, hash or alias>&since=<ISO date>&until=<ISO date>&limit=<n>`. */
  async function spendFilter(query: (name: string) => string | undefined): Promise<{ keyHash?: string; since?: Date; until?: Date }> {
    const filter: { keyHash?: string; since?: Date; until?: Date } = {};
    const key = query("key");
    if (key) {
      const info = await auth.keys.info(key);
      if (!info) throw new NotFoundError("No such key.", { param: "key", code: "key_not_found" });
      filter.keyHash = info.token;
    }
    for (const name of ["since", "until"] as const) {
      const text = query(name);
      if (text === undefined) continue;
      const date = new Date(text);
      if (Number.isNaN(date.getTime())) throw new BadRequestError(`${name}: an ISO 8601 date or date-time`, { param: name });
      filter[name] = date;
    }
    return filter;
  }

  app.get("/spend/logs", master, async (c) => {
    const limit = Number(c.req.query("limit") ?? "100");
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadRequestError("limit: an integer from 1 to 1000", { param: "limit" });
    return c.json({ object: "list", data: await auth.spend.list({ ...(await spendFilter((name) => c.req.query(name))), limit }) });
  });

  app.get("/spend/summary", master, async (c) => c.json(await auth.spend.summary(await spendFilter((name) => c.req.query(name)))));

  return app;
}
