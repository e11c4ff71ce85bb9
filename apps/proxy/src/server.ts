import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import { proxyConfigSchema, type ProxyConfig } from "@vs/core";
import { createMilvusProvider, type MilvusOptions, type MilvusProvider } from "@vs/provider-milvus";
import { vectorStoreProviders } from "./providers.js";
import { EmbeddingCache, RedisEmbeddingCacheStore, TieredEmbeddingCacheStore, type EmbeddingCacheStore } from "@vs/embeddings";
import { createVectorStores, type VectorStores } from "@vs/sdk";
import { createApp } from "./app.js";
import { loadConfigFile } from "./config-file.js";
import { DEMO_QUERY, DEMO_STORE_NAME, embeddedDefaultConfig, probeTcp, loadDemoCollection, progressBar, startEmbeddedMilvus, usesEmbeddedMilvus } from "./embedded.js";
import type { ReadinessCheck } from "./routes/health.js";
import { openAuthStore } from "@vs/auth";
import { CachedIndexLookup, CachedKeyResolver } from "./access-cache.js";
import { adminRoutes } from "./routes/admin.js";
import { milvusPassthroughRoutes } from "./routes/milvus.js";
import { SpendWriter } from "./spend-writer.js";
import { Guardrails } from "./guardrails.js";
import { resolveMasterKey, type MasterKey } from "./master-key.js";
import { StoreRegistry, assertEmbeddingModelList, assertKnownModel, modelAliases } from "./store-registry.js";
import { StoreResolver } from "./store-resolver.js";
import { openVectorStoreService } from "@vs/stores";
import { fileRoutes } from "./routes/files.js";
import { vectorStoreRoutes } from "./routes/vector-stores.js";

export interface ProxyOptions {
  /** Path of config.yaml; without it the proxy runs on embedded defaults. */
  configPath?: string | undefined;
  /** An already-parsed config (tests); wins over `configPath`. */
  config?: ProxyConfig | undefined;
  port?: number;
  host?: string;
  dataDir?: string | undefined;
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Human-readable start-up progress (default: stderr). */
  log?: (line: string) => void;
}

export interface RunningProxy {
  url: string;
  port: number;
  masterKey: MasterKey;
  config: ProxyConfig;
  registry: StoreRegistry;
  /** Set when running on embedded defaults: the demo store and a query that finds relevant passages. */
  demo?: { store: string; query: string };
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  // Asynchronous writes: logging never blocks the request path.
  return pino({ level, base: { service: "vs-proxy" }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: false }));
}

/** Every registry entry's embedding model must be known now, so a typo stops the start, not a request. */
function validateRegistryModels(config: ProxyConfig): void {
  config.vector_store_registry.forEach((entry, index) => {
    const model = entry.litellm_params.litellm_embedding_model;
    if (model) assertKnownModel(config, model, `vector_store_registry[${index}].litellm_params.litellm_embedding_model`);
  });
  assertEmbeddingModelList(config);
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const isDemo = !options.config && !options.configPath;
  let config = options.config ?? (options.configPath ? await loadConfigFile(options.configPath, env) : proxyConfigSchema.parse(embeddedDefaultConfig(env)));
  const logger = options.logger ?? createLogger(config.general_settings.log_level);
  const dataDir = resolve(options.dataDir ?? config.general_settings.data_dir ?? env["VS_DATA_DIR"] ?? ".vs-data");
  const settings = config.general_settings;
  const cleanups: Array<() => Promise<void>> = [];
  const readiness: ReadinessCheck[] = [];

  try {
    if (usesEmbeddedMilvus(config)) {
      const embedded = await startEmbeddedMilvus(config, dataDir, log);
      config = embedded.config;
      cleanups.push(() => embedded.server.stop());
      readiness.push({ name: "milvus_lite", check: () => probeTcp(embedded.server.address) });
    }

    const milvus: MilvusProvider = createMilvusProvider({ env });
    validateRegistryModels(config);

    const masterKey = await resolveMasterKey({ configured: settings.master_key, env, dataDir });
    const embeddingCache = createEmbeddingCache(settings, logger, cleanups);
    const vectorStores: VectorStores = createVectorStores({ providers: vectorStoreProviders({ env, milvus }), models: modelAliases(config.model_list), embeddingCache, env });
    cleanups.unshift(() => vectorStores.close());
    const registry = new StoreRegistry(config.vector_store_registry, (params, where) => vectorStores.prepareStore(params, { where }));

    if (isDemo) {
      const store = registry.get(DEMO_STORE_NAME);
      await loadDemoCollection({ vectorStores, milvus, apiBase: String((store.prepared.options as MilvusOptions).api_base), dataDir, log, progress: progressBar("Embedding the demo corpus") });
    }

    const databaseUrl = settings.database_url ?? env["DATABASE_URL"];
    const auth = await openAuthStore(databaseUrl ? { databaseUrl, log } : { dataDir, log });
    cleanups.push(() => auth.close());
    readiness.push({ name: "database", check: () => auth.ping() });
    const virtualKeys = new CachedKeyResolver(auth, settings.auth_cache_ttl_ms);
    const indexes = new CachedIndexLookup(auth, settings.auth_cache_ttl_ms);
    const spend = new SpendWriter(auth, logger);
    cleanups.unshift(() => spend.close());

    // The write path (files, created stores, ingestion) shares the auth database; its worker stops before it closes.
    const template = config.vector_store_registry.find((entry) => entry.vector_store_template === true)?.vector_store_name;
    const ingestion = settings.ingestion;
    const writePath = await openVectorStoreService({
      auth,
      models: vectorStores,
      templates: { template, get: (name) => registry.find(name)?.prepared },
      maxFileBytes: settings.max_file_upload_bytes,
      queue: { heartbeatSeconds: ingestion.heartbeat_seconds, pollingIntervalSeconds: ingestion.poll_interval_seconds, superviseIntervalSeconds: ingestion.supervise_interval_seconds },
      worker: ingestion.worker ? { concurrency: ingestion.concurrency } : false,
      log,
    });
    cleanups.unshift(() => writePath.close());
    const stores = new StoreResolver(registry, writePath.service, settings.auth_cache_ttl_ms);

    const app = createApp({
      registry,
      stores,
      vectorStores,
      masterKeyDigest: masterKey.digest,
      logger,
      maxBodyBytes: settings.max_request_body_bytes,
      readiness,
      virtualKeys,
      indexes,
      requestSink: spend,
      guardrails: new Guardrails(config.guardrails),
      routes: [
        adminRoutes({ auth, registry, stores, keys: virtualKeys, indexes, maxBodyBytes: settings.max_request_body_bytes }),
        fileRoutes({ service: writePath.service, maxFileBytes: settings.max_file_upload_bytes }),
        vectorStoreRoutes({
          service: writePath.service,
          stores,
          auth,
          keys: virtualKeys,
          indexes,
          maxBodyBytes: settings.max_request_body_bytes,
          descriptions: new Map(config.vector_store_registry.map((entry) => [entry.vector_store_name, entry.vector_store_description])),
        }),
        milvusPassthroughRoutes({ registry, milvus, indexes, auth, maxBodyBytes: settings.passthrough_max_body_bytes }),
      ],
    });
    const host = options.host ?? "0.0.0.0";
    const server = serve({ fetch: app.fetch, port: options.port ?? 4000, hostname: host });
    await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => { throw error; })]);
    cleanups.unshift(
      () =>
        new Promise<void>((done) => {
          server.close(() => done());
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      masterKey,
      config,
      registry,
      ...(isDemo ? { demo: { store: DEMO_STORE_NAME, query: DEMO_QUERY } } : {}),
      close() {
        closing ??= runCleanups(cleanups).finally(() => logger.flush?.());
        return closing;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

/**
 * The query-embedding cache: an in-memory LRU per process, in front of Redis when `general_settings.cache` says so
 * (shared by every proxy process). A Redis outage costs cache hits, never a search.
 */
function createEmbeddingCache(settings: ProxyConfig["general_settings"], logger: Logger, cleanups: Array<() => Promise<void>>): EmbeddingCacheStore | false {
  const { enabled, max_entries: maxEntries, ttl_seconds: ttlSeconds } = settings.embedding_cache;
  if (!enabled) return false;
  const local = new EmbeddingCache({ maxEntries, ttlMs: ttlSeconds * 1000 });
  if (settings.cache?.type !== "redis") return local;
  const redis = new RedisEmbeddingCacheStore({ url: settings.cache.url, keyPrefix: settings.cache.key_prefix, ttlMs: ttlSeconds * 1000 });
  cleanups.push(() => redis.close());
  let lastWarning = 0;
  return new TieredEmbeddingCacheStore(local, redis, {
    onSharedError: (error) => {
      // At most one line every 10 s while Redis is down.
      if (Date.now() - lastWarning < 10_000) return;
      lastWarning = Date.now();
      logger.warn({ err_message: (error as Error).message }, "shared embedding cache unavailable; embedding without it");
    },
  });
}

/** In order, each one even when an earlier one failed. */
async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}
