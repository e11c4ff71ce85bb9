import { createHash } from "node:crypto";
import { hasLimits, type AuthStore, type KeyInfo, type VirtualIndex } from "@vs/auth";
import type { IndexLookup, IndexTarget } from "./access.js";
import { traced } from "./observability/tracing.js";
import type { VirtualKeyResolver } from "./http/auth.js";
import type { Caller } from "./http/context.js";

/**
 * Read-through caches in front of the database for the two lookups on every request. Only answers that grant
 * something are kept, and only for `ttlMs` (default 2 s): a key or an index created anywhere works on the next
 * request; one deleted or expired in another process stops within `ttlMs`; one deleted here stops at once.
 * Database failures are not cached and propagate (503): nothing is ever let through because a lookup failed.
 */
class TtlMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs });
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  clear(): void {
    this.entries.clear();
  }
}

export function callerFromKey(info: KeyInfo): Extract<Caller, { kind: "virtual" }> {
  const caller: Extract<Caller, { kind: "virtual" }> = {
    kind: "virtual",
    alias: info.key_alias ?? null,
    token: info.token,
    models: info.models,
    indexes: info.allowed_vector_store_indexes,
    canCreateVectorStores: info.can_create_vector_stores,
  };
  if (hasLimits(info)) {
    const { rpm_limit, tpm_limit, max_parallel_requests, max_budget, soft_budget, budget_duration, budget_started_at } = info;
    caller.limits = { rpm_limit, tpm_limit, max_parallel_requests, max_budget, soft_budget, budget_duration, budget_started_at };
  }
  return caller;
}

export class CachedKeyResolver implements VirtualKeyResolver {
  private readonly cache: TtlMap<{ caller: Extract<Caller, { kind: "virtual" }>; expiresAt: number | null }>;
  constructor(
    private readonly auth: AuthStore,
    ttlMs: number,
  ) {
    this.cache = new TtlMap(ttlMs);
  }

  async resolve(key: string): Promise<Extract<Caller, { kind: "virtual" }> | null> {
    if (!key.startsWith("sk-")) return null;
    const hash = createHash("sha256").update(key).digest("hex");
    const cached = this.cache.get(hash);
    if (cached && (cached.expiresAt === null || cached.expiresAt > Date.now())) return cached.caller;
    const info = await traced("db key lookup", {}, () => this.auth.keys.findByKey(key));
    if (!info || info.expired || info.blocked) return null;
    const expiresAt = info.expires ? new Date(info.expires).getTime() : null;
    const caller = callerFromKey(info);
    this.cache.set(hash, { caller, expiresAt });
    return caller;
  }

  /** After an update or delete in this process. */
  forget(tokenHashes: string[]): void {
    for (const hash of tokenHashes) this.cache.delete(hash);
  }
}

export function indexTarget(index: VirtualIndex): IndexTarget {
  return {
    index_name: index.index_name,
    vector_store_index: index.litellm_params.vector_store_index,
    vector_store_name: index.litellm_params.vector_store_name,
  };
}

export class CachedIndexLookup implements IndexLookup {
  private readonly cache: TtlMap<IndexTarget>;
  constructor(
    private readonly auth: AuthStore,
    ttlMs: number,
  ) {
    this.cache = new TtlMap(ttlMs);
  }

  async get(name: string): Promise<IndexTarget | null> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const index = await this.auth.indexes.get(name);
    if (!index) return null;
    const target = indexTarget(index);
    this.cache.set(name, target);
    return target;
  }

  forget(name: string): void {
    this.cache.delete(name);
  }
}
