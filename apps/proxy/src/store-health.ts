import type { Logger } from "pino";
import { cachedCheck, runReadinessChecks, type ReadinessCheck } from "./routes/health.js";
import type { StoreRegistry } from "./store-registry.js";

/** How long a store's readiness answer is reused; readiness polls within it never reach the store. */
export const DEFAULT_STORE_CHECK_CACHE_MS = 5_000;

/**
 * One readiness check per registered store, through its provider's `checkHealth` (for Milvus: `collections/list` on
 * the transport the store's searches use; stores on one Milvus share the probe). A provider without `checkHealth`
 * adds no check.
 */
export function vectorStoreChecks(options: { registry: StoreRegistry; cacheMs?: number }): ReadinessCheck[] {
  const cacheMs = options.cacheMs ?? DEFAULT_STORE_CHECK_CACHE_MS;
  const checks: ReadinessCheck[] = [];
  for (const store of options.registry.list()) {
    const { provider, vectorStoreId, options: storeOptions } = store.prepared;
    if (!provider.checkHealth) continue;
    const checkHealth = provider.checkHealth.bind(provider);
    checks.push({ name: `vector_store:${store.name}`, check: cachedCheck(() => checkHealth({ vectorStoreId, options: storeOptions }), cacheMs) });
  }
  return checks;
}

/**
 * Runs the store checks once at start. A store that does not answer does not stop the start (its backend may come
 * up later; readiness says 503 until then): one warning line per such store, naming it and the reason, never a token.
 */
export async function warnUnreachableStores(checks: ReadinessCheck[], logger: Logger): Promise<void> {
  for (const result of await runReadinessChecks(checks)) {
    if (result.ok) continue;
    const store = result.name.replace(/^vector_store:/, "");
    logger.warn(
      { vector_store: store, reason: result.error },
      `vector store "${store}" is not reachable at start; serving anyway, /health/readiness answers 503 until it answers`,
    );
  }
}
