export { createEmbeddingModel, SUPPORTED_EMBEDDING_PROVIDERS, type CreateEmbeddingModelOptions, type EmbeddingProviderName } from "./create-embedding-model.js";
export {
  EmbeddingCache,
  embeddingCacheKey,
  withEmbeddingCache,
  type EmbeddingCacheOptions,
  type EmbeddingCacheStats,
  type EmbeddingCacheStore,
  type WithEmbeddingCacheOptions,
} from "./embedding-cache.js";
export { LOCAL_EMBEDDING_DIMENSIONS, LOCAL_EMBEDDING_MODEL, LOCAL_MODEL_NAMES } from "./local-embedding-model.js";
export { DEFAULT_AZURE_API_VERSION, DEFAULT_MAX_RETRIES, DEFAULT_OPENAI_API_BASE, DEFAULT_TIMEOUT_MS, REMOTE_MAX_INPUTS_PER_CALL } from "./remote-providers.js";
export {
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_MAX_PENDING_COMMANDS,
  RedisEmbeddingCacheStore,
  type RedisEmbeddingCacheStats,
  type RedisEmbeddingCacheStoreOptions,
} from "./redis-cache-store.js";
export { TieredEmbeddingCacheStore, type TieredEmbeddingCacheStoreOptions } from "./tiered-cache-store.js";
