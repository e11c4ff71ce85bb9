import { checkNotExpired, type VectorStoreService } from "@vs/stores";
import type { PreparedStore } from "@vs/sdk";
import type { RegisteredStore, StoreRegistry } from "./store-registry.js";

/**
 * Every store a request can name: the config's `vector_store_registry` (by name or collection), then the stores
 * created through the API (`vs_…`), read through from the database with a short cache — a store created in any
 * process is found by the next request here, and one deleted elsewhere stops within `ttlMs`.
 */
export class StoreResolver {
  private readonly cache = new Map<string, { store: RegisteredStore; expiresAtMs: number | null; cachedUntil: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    readonly registry: StoreRegistry,
    readonly service: VectorStoreService | null,
    private readonly ttlMs: number,
  ) {}

  /** NotFoundError (404) when neither the registry nor the database has it. */
  async get(nameOrId: string): Promise<RegisteredStore> {
    const registered = this.registry.find(nameOrId);
    if (registered) return registered;
    const created = await this.findCreated(nameOrId);
    if (created) return created.store;
    return this.registry.get(nameOrId);
  }

  /** As `get`, for a search: a created store whose `expires_after` ran out is a 400 (`vector_store_expired`). */
  async getForSearch(nameOrId: string): Promise<RegisteredStore> {
    const registered = this.registry.find(nameOrId);
    if (registered) return registered;
    let created = await this.findCreated(nameOrId);
    if (created && !created.fresh && isExpired(created.expiresAtMs)) {
      // Expired as of a cached read: activity recorded since (in any process) may have moved it, so the database decides.
      this.cache.delete(nameOrId);
      created = await this.findCreated(nameOrId);
    }
    if (!created) return this.registry.get(nameOrId);
    checkNotExpired({ id: created.store.id, expiresAtMs: created.expiresAtMs });
    return created.store;
  }

  isCreated(id: string): boolean {
    return this.registry.find(id) === undefined && id.startsWith("vs_");
  }

  /** `fresh`: read from the database just now, not from the cache. */
  private async findCreated(id: string): Promise<{ store: RegisteredStore; expiresAtMs: number | null; fresh: boolean } | null> {
    if (!this.service || !id.startsWith("vs_")) return null;
    const cached = this.cache.get(id);
    if (cached && cached.cachedUntil > Date.now()) return { store: cached.store, expiresAtMs: cached.expiresAtMs, fresh: false };
    const found = await this.service.findStore(id);
    if (!found) {
      this.cache.delete(id);
      return null;
    }
    const store: RegisteredStore = {
      name: found.id,
      id: found.id,
      provider: found.prepared.provider.id,
      embeddingModel: found.prepared.embeddingModel,
      prepared: found.prepared as PreparedStore,
    };
    if (this.ttlMs > 0) this.cache.set(id, { store, expiresAtMs: found.expiresAtMs, cachedUntil: Date.now() + this.ttlMs });
    return { store, expiresAtMs: found.expiresAtMs, fresh: true };
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** OpenAI's `last_active_at`, written at most once a minute per store and process: searches stay read-only otherwise. */
  touch(id: string): void {
    if (!this.service || !this.isCreated(id)) return;
    const last = this.touched.get(id) ?? 0;
    if (Date.now() - last < 60_000) return;
    this.touched.set(id, Date.now());
    void this.service.touchStore(id).catch(() => undefined);
  }
}

function isExpired(expiresAtMs: number | null): boolean {
  return expiresAtMs !== null && expiresAtMs <= Date.now();
}
