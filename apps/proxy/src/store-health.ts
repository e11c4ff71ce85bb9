import type { Logger } from "pino";
import { isMilvusSuccess, type MilvusOptions, type MilvusProvider, type MilvusTransport } from "@vs/provider-milvus";
import { cachedCheck, runReadinessChecks, type ReadinessCheck } from "./routes/health.js";
import type { StoreRegistry } from "./store-registry.js";

/** How long a store's readiness answer is reused; readiness polls within it never reach Milvus. */
export const DEFAULT_STORE_CHECK_CACHE_MS = 5_000;
/** A probe that takes longer counts as "not answering": readiness must answer faster than a search may. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * One readiness check per Milvus store: `collections/list` (cheap, and it needs a valid token) through the transport
 * the store's searches use. Stores on the same Milvus and database share one probe and its cached answer.
 */
export function vectorStoreChecks(options: { registry: StoreRegistry; milvus: MilvusProvider; cacheMs?: number }): ReadinessCheck[] {
  const cacheMs = options.cacheMs ?? DEFAULT_STORE_CHECK_CACHE_MS;
  const probes = new Map<MilvusTransport, Map<string, () => Promise<void>>>();
  const checks: ReadinessCheck[] = [];
  for (const store of options.registry.list()) {
    if (store.provider !== options.milvus.id) continue;
    let handle: ReturnType<MilvusProvider["transportFor"]>;
    try {
      handle = options.milvus.transportFor(store.prepared.options as MilvusOptions);
    } catch (error) {
      // No usable address (no api_base and no MILVUS_API_BASE): never ready, and readiness says why.
      const reason = (error as Error).message;
      checks.push({ name: `vector_store:${store.name}`, check: () => Promise.reject(new Error(reason)) });
      continue;
    }
    const { transport, dbName, displayAddress } = handle;
    const byDatabase = probes.get(transport) ?? new Map<string, () => Promise<void>>();
    probes.set(transport, byDatabase);
    let probe = byDatabase.get(dbName ?? "");
    if (probe === undefined) {
      probe = cachedCheck(async () => {
        const answer = await transport.call("collections/list", dbName === undefined ? {} : { dbName }, { timeoutMs: PROBE_TIMEOUT_MS });
        if (!isMilvusSuccess(answer.code)) throw new Error(`Milvus at ${displayAddress} answered code ${answer.code}: ${answer.message ?? "no message"}`);
      }, cacheMs);
      byDatabase.set(dbName ?? "", probe);
    }
    checks.push({ name: `vector_store:${store.name}`, check: probe });
  }
  return checks;
}

/**
 * Runs the store checks once at start. A store that does not answer does not stop the start (its Milvus may come up
 * later; readiness says 503 until then): one warning line per such store, naming it and the reason, never a token.
 */
export async function warnUnreachableStores(checks: ReadinessCheck[], logger: Logger): Promise<void> {
  for (const result of await runReadinessChecks(checks)) {
    if (result.ok) continue;
    const store = result.name.replace(/^vector_store:/, "");
    logger.warn({ vector_store: store, reason: result.error }, `vector store "${store}" is not reachable at start; serving anyway, /health/readiness answers 503 until it answers`);
  }
}
