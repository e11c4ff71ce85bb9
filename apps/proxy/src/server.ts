import cluster from "node:cluster";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import { ConfigurationError } from "@vs/core";
import { SHORT_MASTER_KEY_LENGTH, proxyConfigSchema, type ProxyConfig } from "./config/config.js";
import { closestName } from "./config/did-you-mean.js";
import { createMilvusProvider, type MilvusOptions, type MilvusProvider } from "@vs/provider-milvus";
import { vectorStoreProviders } from "./providers.js";
import { EmbeddingCache, RedisEmbeddingCacheStore, TieredEmbeddingCacheStore, type EmbeddingCacheStore } from "@vs/embeddings";
import { createVectorStores, type VectorStores } from "@vs/sdk";
import { createApp } from "./app.js";
import { answerClientError } from "./http/client-error.js";
import { ConnectionDrainer } from "./http/drain.js";
import { readConfigFile } from "./config-file.js";
import { ensureWritableDataDir } from "./data-dir.js";
import { vectorStoreChecks, warnUnreachableStores } from "./store-health.js";
import {
  DEMO_QUERY,
  DEMO_STORE_NAME,
  embeddedDefaultConfig,
  probeTcp,
  loadDemoCollection,
  progressBar,
  startEmbeddedMilvus,
  usesEmbeddedMilvus,
} from "./embedded.js";
import type { ReadinessCheck } from "./routes/health.js";
import { openAuthStore } from "@vs/auth";
import { CachedIndexLookup, CachedKeyResolver } from "./access-cache.js";
import { adminRoutes } from "./routes/admin.js";
import { milvusPassthroughRoutes } from "./routes/milvus.js";
import { SpendWriter } from "./spend-writer.js";
import { Guardrails } from "./guardrails.js";
import { resolveMasterKey, type MasterKey } from "./master-key.js";
import { GatewayMetrics } from "./observability/metrics.js";
import { serveMetrics } from "./observability/metrics-server.js";
import { workerClusterMetrics, type MetricsText } from "./observability/cluster-metrics.js";
import { metricsRoutes } from "./routes/metrics.js";
import { startTracing } from "./observability/tracing.js";
import { RedisRateLimits } from "./limits/redis-rate-limits.js";
import type { RateLimitStore } from "@vs/auth";
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
  /** How long `close()` may take (ms); wins over `general_settings.graceful_shutdown_timeout_seconds`. */
  shutdownGraceMs?: number | undefined;
  /** How long a vector store's readiness answer is reused (ms; default 5000). */
  readinessCacheMs?: number;
  /**
   * Set by the CLI in a `--workers N` worker: `GET /metrics` on the gateway's port answers the sum over every worker
   * (asked of the primary), and `general_settings.metrics.port` is left to the primary, which serves that sum.
   */
  clusterWorker?: boolean;
}

export interface RunningProxy {
  url: string;
  port: number;
  masterKey: MasterKey;
  config: ProxyConfig;
  registry: StoreRegistry;
  /** The port of `general_settings.metrics.port`, when set. */
  metricsPort?: number;
  /** Set when running on embedded defaults: the demo store and a query that finds relevant passages. */
  demo?: { store: string; query: string };
  /** The budget of `close()`; a process manager should allow at least this long between SIGTERM and SIGKILL. */
  shutdownGraceMs: number;
  /**
   * Graceful stop: stops accepting, answers every request in flight (with `Connection: close`), closes idle
   * keep-alive connections, then writes the pending spend rows and releases the rest. Requests still unanswered
   * near the end of the grace period are cut, so the rest of the budget is left for the spend rows.
   */
  close(): Promise<void>;
}

/** Of the grace period, what is kept after the drain for spend rows and the other cleanups. */
function cleanupReserveMs(graceMs: number): number {
  return Math.min(2_000, graceMs / 4);
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

const STORE_KEYS = ["vector_store_id", "custom_llm_provider", "litellm_embedding_model", "litellm_embedding_config"];

/**
 * An unknown provider parameter in a registry entry is a typo until shown otherwise: name it and the closest
 * parameter there is (the provider's strict schema would only say "unknown field").
 */
function assertKnownStoreKeys(config: ProxyConfig, vectorStores: VectorStores): void {
  const problems: string[] = [];
  config.vector_store_registry.forEach((entry, index) => {
    const provider = vectorStores.provider(entry.litellm_params.custom_llm_provider);
    const shape = (provider?.storeOptionsSchema as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (provider === undefined || shape === undefined) return; // an unknown provider is reported by prepareStore
    const known = [...Object.keys(shape), ...STORE_KEYS];
    for (const key of Object.keys(entry.litellm_params)) {
      if (known.includes(key)) continue;
      const suggestion = closestName(key, known);
      problems.push(
        `vector_store_registry[${index}].litellm_params.${key}: unknown key${suggestion === undefined ? ` (${provider.id} reads: ${Object.keys(shape).join(", ")})` : `; did you mean ${suggestion}?`}`,
      );
    }
  });
  if (problems.length > 0) throw new ConfigurationError(`Invalid config: ${problems.join("; ")}`, { param: problems[0]!.split(":")[0]! });
}

export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const isDemo = !options.config && !options.configPath;
  const loaded = options.config
    ? { config: options.config, ignoredKeys: [] }
    : options.configPath
      ? await readConfigFile(options.configPath, env)
      : { config: proxyConfigSchema.parse(embeddedDefaultConfig(env)), ignoredKeys: [] };
  let config = loaded.config;
  const logger = options.logger ?? createLogger(config.general_settings.log_level);
  const dataDir = resolve(options.dataDir ?? config.general_settings.data_dir ?? env["VS_DATA_DIR"] ?? ".vs-data");
  const settings = config.general_settings;
  const databaseUrl = settings.database_url ?? env["DATABASE_URL"];
  // Start-up notices once per start: in a cluster, the first worker speaks for all.
  const announce = !cluster.isWorker || cluster.worker?.id === 1;
  const cleanups: Array<() => Promise<void>> = [];
  const readiness: ReadinessCheck[] = [];

  if (announce && loaded.ignoredKeys.length > 0) {
    logger.warn({ ignored_keys: loaded.ignoredKeys }, `ignoring LiteLLM settings vs does not use: ${loaded.ignoredKeys.join(", ")}`);
  }
  // Written to by the embedded database, Milvus Lite, the demo and a generated master key; not needed otherwise.
  const needsDataDir = isDemo || usesEmbeddedMilvus(config) || !databaseUrl || (!settings.master_key && !env["VS_MASTER_KEY"]);
  if (needsDataDir) await ensureWritableDataDir(dataDir);

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
    const configuredKey = settings.master_key ?? env["VS_MASTER_KEY"];
    if (announce && configuredKey !== undefined && configuredKey.length < SHORT_MASTER_KEY_LENGTH) {
      logger.warn(
        { master_key_source: settings.master_key ? "general_settings.master_key" : "VS_MASTER_KEY" },
        `the master key is shorter than ${SHORT_MASTER_KEY_LENGTH} characters: for local use only; use a long random key anywhere it can be reached`,
      );
    }
    const metrics = settings.metrics.enabled ? new GatewayMetrics() : null;
    const metricsText: MetricsText | null = metrics && (options.clusterWorker ? workerClusterMetrics(metrics) : () => metrics.text());
    const tracing = await startTracing({ env, recordQueryText: settings.tracing.record_query_text, logger });
    if (tracing) cleanups.push(() => tracing.shutdown());
    const rawEmbeddingCache = createEmbeddingCache(settings, logger, cleanups);
    const embeddingCache = rawEmbeddingCache && metrics ? metrics.countCache(rawEmbeddingCache) : rawEmbeddingCache;
    const vectorStores: VectorStores = createVectorStores({
      providers: vectorStoreProviders({ env, milvus }),
      models: modelAliases(config.model_list),
      embeddingCache,
      env,
    });
    cleanups.unshift(() => vectorStores.close());
    assertKnownStoreKeys(config, vectorStores);
    const registry = new StoreRegistry(config.vector_store_registry, (params, where) => vectorStores.prepareStore(params, { where }));
    const storeChecks = vectorStoreChecks({ registry, ...(options.readinessCacheMs === undefined ? {} : { cacheMs: options.readinessCacheMs }) });

    if (isDemo) {
      const store = registry.get(DEMO_STORE_NAME);
      await loadDemoCollection({
        vectorStores,
        milvus,
        apiBase: String((store.prepared.options as MilvusOptions).api_base),
        dataDir,
        log,
        progress: progressBar("Embedding the demo corpus"),
      });
    }

    // Probed while the database opens; a store that does not answer is a warning, never a failed start.
    const probing = announce ? warnUnreachableStores(storeChecks, logger) : Promise.resolve();
    const auth = await openAuthStore(databaseUrl ? { databaseUrl, log } : { dataDir, log });
    cleanups.push(() => auth.close());
    readiness.push({ name: "database", check: () => auth.ping() }, ...storeChecks);
    const virtualKeys = new CachedKeyResolver(auth, settings.auth_cache_ttl_ms);
    const indexes = new CachedIndexLookup(auth, settings.auth_cache_ttl_ms);
    const spend = new SpendWriter(auth, logger, {
      onBudgetCrossing: (crossing) => {
        // Once per window and key, from whichever process wrote the row that crossed it.
        if (crossing.budget === "soft_budget") metrics?.softBudgetCrossings.inc({ key_alias: crossing.key_alias ?? "none" });
        logger.warn(
          {
            key_alias: crossing.key_alias,
            key_name_hash: crossing.token.slice(0, 12),
            budget: crossing.budget,
            limit_usd: crossing.limit_usd,
            spend_usd: crossing.spend_usd,
          },
          `key spend crossed its ${crossing.budget}`,
        );
      },
    });
    const rateLimits = createRateLimitStore(settings, auth, logger, cleanups);
    cleanups.unshift(() => spend.close());

    // The write path (files, created stores, ingestion) shares the auth database; its worker stops before it closes.
    const template = config.vector_store_registry.find((entry) => entry.vector_store_template === true)?.vector_store_name;
    const ingestion = settings.ingestion;
    const writePath = await openVectorStoreService({
      auth,
      models: vectorStores,
      templates: { template, get: (name) => registry.find(name)?.prepared },
      maxFileBytes: settings.max_file_upload_bytes,
      queue: {
        heartbeatSeconds: ingestion.heartbeat_seconds,
        pollingIntervalSeconds: ingestion.poll_interval_seconds,
        superviseIntervalSeconds: ingestion.supervise_interval_seconds,
      },
      worker: ingestion.worker ? { concurrency: ingestion.concurrency } : false,
      expiredStores: {
        sweepIntervalSeconds: settings.expired_vector_stores.sweep_interval_seconds,
        graceSeconds: settings.expired_vector_stores.grace_seconds,
      },
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
      metrics,
      tracing: tracing !== null,
      keyLimits: { rateLimits, budgets: auth.budgets, metrics, logger },
      routes: [
        ...(metricsText && settings.metrics.port === undefined ? [metricsRoutes(metricsText)] : []),
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
    await probing;
    const host = options.host ?? "0.0.0.0";
    let metricsPort: number | undefined;
    if (metricsText && settings.metrics.port !== undefined && !options.clusterWorker) {
      const metricsServer = await serveMetrics({ port: settings.metrics.port, host: settings.metrics.host ?? host, text: metricsText });
      metricsPort = metricsServer.port;
      cleanups.push(() => metricsServer.close());
    }
    const server = serve({ fetch: app.fetch, port: options.port ?? 4000, hostname: host }) as Server;
    server.on("clientError", (error: Error, socket) => answerClientError(error, socket, logger));
    const drainer = new ConnectionDrainer(server);
    await Promise.race([
      once(server, "listening"),
      once(server, "error").then(([error]) => {
        throw error;
      }),
    ]);
    const shutdownGraceMs = options.shutdownGraceMs ?? settings.graceful_shutdown_timeout_seconds * 1000;
    cleanups.unshift(async () => {
      const outcome = await drainer.drain(shutdownGraceMs - cleanupReserveMs(shutdownGraceMs));
      // Requests cut at the deadline finish their handlers (and record their spend rows) on the next turns.
      await new Promise((resolve) => setImmediate(resolve));
      if (outcome.inFlightAtStart > 0 || outcome.cut > 0) {
        logger[outcome.cut > 0 ? "warn" : "info"]({ in_flight: outcome.inFlightAtStart, cut: outcome.cut }, "stopped serving: requests in flight answered");
      }
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      masterKey,
      config,
      registry,
      ...(metricsPort === undefined ? {} : { metricsPort }),
      ...(isDemo ? { demo: { store: DEMO_STORE_NAME, query: DEMO_QUERY } } : {}),
      shutdownGraceMs,
      close() {
        // The margin keeps the whole close inside the grace period that a process manager (and the CLI) allows.
        closing ??= runCleanups(cleanups, { deadline: performance.now() + shutdownGraceMs - 250, logger }).finally(() => logger.flush?.());
        return closing;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

/**
 * Where rate limits are counted: Redis when `general_settings.cache` is Redis (one script per request), else the
 * database (one transaction per request of a key that has limits). Keys without limits touch neither.
 */
function createRateLimitStore(
  settings: ProxyConfig["general_settings"],
  auth: import("@vs/auth").AuthStore,
  logger: Logger,
  cleanups: Array<() => Promise<void>>,
): RateLimitStore {
  if (settings.cache?.type === "redis") {
    let lastWarning = 0;
    const redis = new RedisRateLimits({
      url: settings.cache.url,
      keyPrefix: settings.cache.key_prefix,
      onError: (error) => {
        if (Date.now() - lastWarning < 10_000) return;
        lastWarning = Date.now();
        logger.warn(
          { err_code: (error as { code?: string }).code ?? error.name },
          "rate limit store (Redis) unavailable; keys with limits get 503 until it answers",
        );
      },
    });
    cleanups.push(() => redis.close());
    return redis;
  }
  // Past minutes' windows and expired leases: swept once a minute by each process (cheap, and idempotent).
  const timer = setInterval(() => void auth.rateLimits.sweep().catch(() => undefined), 60_000);
  timer.unref();
  cleanups.push(async () => clearInterval(timer));
  return auth.rateLimits;
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

/**
 * In order, each one even when an earlier one failed. Past the deadline a cleanup is no longer waited for (an
 * upstream pool waiting on a call nobody wants any more), so the ones after it — the database's — still run.
 */
async function runCleanups(cleanups: Array<() => Promise<void>>, options: { deadline?: number; logger?: Logger } = {}): Promise<void> {
  for (const [position, cleanup] of cleanups.entries()) {
    const done = cleanup().catch(() => undefined);
    if (options.deadline === undefined) {
      await done;
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), Math.max(0, options.deadline! - performance.now()))));
    if ((await Promise.race([done, late])) === "late")
      options.logger?.warn({ cleanup: position }, "shutdown: a cleanup did not finish within the grace period; not waiting for it");
    clearTimeout(timer);
  }
}
