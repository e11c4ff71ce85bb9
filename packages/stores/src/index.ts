export { openVectorStoreService, type OpenVectorStoreServiceOptions, type OpenedVectorStoreService } from "./open.js";
export {
  VectorStoreService,
  checkNotExpired,
  type Actor,
  type CreatedStore,
  type StoredFileContent,
  type UploadedFile,
  type VectorStoreServiceOptions,
} from "./service.js";
export { IngestionWorker, type IngestionWorkerOptions } from "./ingestion.js";
export { IngestionQueue, INGEST_QUEUE, type IngestJob, type IngestionQueueOptions } from "./ingestion-queue.js";
export type { EmbeddingModels, PreparedStoreLike, StoreTemplates } from "./engine.js";
export * from "./objects.js";
export * from "./schemas.js";
export { newId } from "./ids.js";
