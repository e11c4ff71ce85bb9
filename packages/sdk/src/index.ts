export { createVectorStores, vectorStores } from "./vector-stores.js";
export type { EmbeddingModelAlias, SearchCallOptions, SearchOutcome, VectorStores, VectorStoresOptions } from "./vector-stores.js";
export type { SearchPage, VectorStoreSearchParamsInput } from "@vs/core";
