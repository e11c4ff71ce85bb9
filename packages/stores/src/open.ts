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
  log?: (line: string) => void;
}

export interface OpenedVectorStoreService {
  service: VectorStoreService;
  worker: IngestionWorker | null;
  /** Stops taking jobs (running ones get a few seconds, then are left to be retried) and closes the queue. */
  close(): Promise<void>;
}

export async function openVectorStoreService(options: OpenVectorStoreServiceOptions): Promise<OpenedVectorStoreService> {
  const queue = await IngestionQueue.open(options.auth.database.driver, options.queue, options.log);
  const service = new VectorStoreService({ auth: options.auth, models: options.models, templates: options.templates, queue, maxFileBytes: options.maxFileBytes ?? 512 * 1024 * 1024 });
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
  return { service, worker, close: () => queue.stop() };
}
