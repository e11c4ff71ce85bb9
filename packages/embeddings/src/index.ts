export {
  createEmbeddingModel,
  parseEmbeddingModelName,
  SUPPORTED_EMBEDDING_PROVIDERS,
  type CreateEmbeddingModelOptions,
  type EmbeddingProviderName,
} from "./create-embedding-model.js";
export { assertEmbeddingDimensions } from "./dimensions.js";
export { EMBEDDING_PRICE_TABLE_SOURCE, inputCostPerToken, lookupEmbeddingPrice, type EmbeddingModelPrice } from "./pricing.js";
export { BEDROCK_MODEL_FAMILIES } from "./providers/bedrock.js";
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
export { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "./providers/common.js";
export { DEFAULT_AZURE_API_VERSION } from "./providers/azure.js";
export { DEFAULT_OPENAI_API_BASE, REMOTE_MAX_INPUTS_PER_CALL } from "./providers/openai-compatible.js";
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
