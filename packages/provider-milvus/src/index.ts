// The public API. Parts the workspace's own apps need but others should not rely on are in `./internal`.
export { createMilvusProvider, type MilvusProvider, type MilvusProviderSettings, type MilvusTransportHandle } from "./milvus-provider.js";
export {
  DEFAULT_MILVUS_PORT,
  DEFAULT_MILVUS_TIMEOUT_MS,
  MILVUS_MAX_TOP_K,
  milvusOptionsSchema,
  resolveMilvusConnection,
  searchParamsSchema,
  type Environment,
  type MilvusConnection,
  type MilvusGrpcConnection,
  type MilvusOptions,
  type MilvusRestConnection,
} from "./milvus-options.js";
export { mergeMilvusOptions, milvusCallerOptionsSchema, type MilvusCallerOptions } from "./milvus-caller-options.js";
export { isMilvusSuccess, type MilvusCallOptions, type MilvusResponse, type MilvusTransport, type MilvusTransportKind } from "./milvus-transport.js";
export { createRestTransport, type RestTransportSettings } from "./rest-transport.js";
export { milvusErrorFromResponse, type MilvusErrorContext } from "./milvus-error.js";
export { CONSISTENCY_LEVELS, MilvusErrorCode, consistencyLevelSchema, isVectorFieldType, type ConsistencyLevel } from "./milvus-vocabulary.js";
