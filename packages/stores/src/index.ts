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
export {
  emptyCounts,
  unixSeconds,
  type DeletedObject,
  type ExpiresAfter,
  type FileBatchObject,
  type FileContentPage,
  type FileCounts,
  type FileError,
  type FileObject,
  type ListPage,
  type StaticChunkingStrategy,
  type VectorStoreFileObject,
  type VectorStoreObject,
} from "./objects.js";
export {
  attachFileInputSchema,
  attributesSchema,
  createFileBatchInputSchema,
  createVectorStoreInputSchema,
  expiresAfterSchema,
  FILE_PURPOSES,
  FILE_STATUSES,
  fileListParamsSchema,
  filePurposeSchema,
  listParamsSchema,
  MAX_BATCH_FILES,
  MAX_KEY_LENGTH,
  MAX_PAIRS,
  MAX_STRING_VALUE_LENGTH,
  metadataSchema,
  storeFileListParamsSchema,
  updateFileAttributesInputSchema,
  updateVectorStoreInputSchema,
  type AttachFileInput,
  type CreateFileBatchInput,
  type CreateVectorStoreInput,
  type FileListParamsInput,
  type ListParams,
  type ListParamsInput,
  type StoreFileListParamsInput,
  type UpdateVectorStoreInput,
  type VectorStoreFileStatus,
} from "./schemas.js";
export { newId } from "./ids.js";
