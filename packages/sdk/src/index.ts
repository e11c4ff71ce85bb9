export { createVectorStores, defaultProviders, vectorStores } from "./vector-stores.js";
export type {
  EmbeddingModelAlias,
  PreparedStore,
  PrepareStoreOptions,
  SearchCallOptions,
  StoreSearchRequest,
  SearchOutcome,
  VectorStores,
  VectorStoresOptions,
} from "./vector-stores.js";
export type { SearchPage, VectorStoreSearchParamsInput } from "@vs/core";
export { openWritableVectorStores, type WritableVectorStores, type WritableVectorStoresOptions } from "./writable-stores.js";
export type { FileObject, VectorStoreObject, VectorStoreFileObject, FileBatchObject, ListPage, VectorStoreService } from "@vs/stores";
