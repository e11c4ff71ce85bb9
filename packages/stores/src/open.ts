import type { AuthStore } from "@vs/auth";
import type { EmbeddingModels, StoreTemplates } from "./engine.js";
import { IngestionWorker } from "./ingestion.js";
import { IngestionQueue, type IngestionQueueOptions } from "./ingestion-queue.js";
import { VectorStoreService } from "./service.js";

export interface OpenVectorStoreServiceOptions {
  /** The open auth store: its database holds the write path's tables and the job queue. */
  auth: AuthStore;
  models: EmbeddingModels;
  templates: StoreTemplates;
  /** Largest file kept by `createFile`. Default 512 MB (OpenAI's per-file limit). */
  maxFileBytes?: number;
  queue?: IngestionQueueOptions;
  /** Run ingestion in this process (default true); `false` only sends jobs, for processes that serve requests only. */
  worker?: boolean | { concurrency?: number; batchSize?: number; batchConcurrency?: number };
  /**
   * Deleting stores whose `expires_after` ran out more than `graceSeconds` ago (default: hourly, a 7-day grace), in
   * processes that run the worker; `false` never deletes them.
   */
  expiredStores?: false | { sweepIntervalSeconds?: number; graceSeconds?: number };
  log?: (line: string) => void;
}

const DEFAULT_SWEEP_INTERVAL_SECONDS = 3600;
const DEFAULT_EXPIRY_GRACE_SECONDS = 7 * 86_400;

export interface OpenedVectorStoreService {
  service: VectorStoreService;
  worker: IngestionWorker | null;
  /** Stops taking jobs (running ones get a few seconds, then are left to be retried) and closes the queue. */
  close(): Promise<void>;
}

export async function openVectorStoreService(options: OpenVectorStoreServiceOptions): Promise<OpenedVectorStoreService> {
  const queue = await IngestionQueue.open(options.auth.database.driver, options.queue, options.log);
  const service = new VectorStoreService({
    auth: options.auth,
    models: options.models,
    templates: options.templates,
    queue,
    maxFileBytes: options.maxFileBytes ?? 512 * 1024 * 1024,
  });
  let worker: IngestionWorker | null = null;
  try {
    if (options.worker !== false) {
      const settings = typeof options.worker === "object" ? options.worker : {};
      worker = new IngestionWorker({ auth: options.auth, service, models: options.models, queue, ...settings, ...(options.log ? { log: options.log } : {}) });
      await worker.start();
    }
  } catch (error) {
    await queue.stop(0).catch(() => undefined);
    throw error;
  }
  const sweep = worker !== null && options.expiredStores !== false ? startExpirySweep(service, options.expiredStores ?? {}, options.log) : null;
  return {
    service,
    worker,
    close: async () => {
      await sweep?.stop();
      await queue.stop();
    },
  };
}

function startExpirySweep(
  service: VectorStoreService,
  settings: { sweepIntervalSeconds?: number; graceSeconds?: number },
  log: ((line: string) => void) | undefined,
): { stop(): Promise<void> } {
  const graceMs = (settings.graceSeconds ?? DEFAULT_EXPIRY_GRACE_SECONDS) * 1000;
  let running: Promise<void> | null = null;
  const run = () => {
    // A sweep slower than the interval is not started twice.
    running ??= service
      .sweepExpiredStores(graceMs)
      .then((deleted) => {
        if (deleted.length > 0) log?.(`vector stores: deleted ${deleted.length} expired store(s): ${deleted.join(", ")}`);
      })
      .catch((error: unknown) =>
        log?.(`vector stores: the sweep of expired stores failed (retried at the next one): ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, (settings.sweepIntervalSeconds ?? DEFAULT_SWEEP_INTERVAL_SECONDS) * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
