import type { z } from "zod";
import type { CallOptions } from "./specs.js";
import type { Filter, RankingOptions, SearchResultRow } from "./search.js";

/**
 * The vector store provider specification, version 2: everything the proxy and the SDK know of a provider. A new
 * provider is a `packages/provider-*` package that implements it, plus one line in the proxy's provider list.
 *
 * Life of a store: the admin's options (a registry entry's `litellm_params`, less the gateway's own keys) are parsed
 * ONCE by `storeOptionsSchema` when the store is registered and carried typed from then on. A search body may add the
 * fields of `callerOptionsSchema`; `mergeOptions` folds them in so that a caller narrows what the admin set (a
 * caller's filter is ANDed with the admin's), never widens it.
 */
export interface VectorStoreProvider<StoreOptions = unknown, CallerOptions = unknown> {
  readonly specificationVersion: "v2";
  /** The `custom_llm_provider` value that selects it, e.g. `milvus`. */
  readonly id: string;
  /** Other `custom_llm_provider` values that select it (LiteLLM's spellings, e.g. `pg_vector`). */
  readonly aliases?: readonly string[];
  /** Strict schema of the admin's store options; errors name each bad field. */
  readonly storeOptionsSchema: z.ZodType<StoreOptions>;
  /**
   * Strict object schema of what a caller may add to a search body next to OpenAI's fields. Its keys must not
   * collide with OpenAI's (`query`, `filters`, `max_num_results`, `ranking_options`, `rewrite_query`).
   */
  readonly callerOptionsSchema: z.ZodObject<z.ZodRawShape, z.core.$strict>;
  /** The options one search runs with: the store's, narrowed by what the caller sent. Called per search; keep it cheap. */
  mergeOptions(store: StoreOptions, caller: CallerOptions): StoreOptions;
  search(request: ProviderSearchRequest<StoreOptions>, options?: CallOptions): Promise<ProviderSearchResult>;
  /** Resolves when the store's backend answers (readiness); rejects with a VsError naming what failed. */
  checkHealth?(target: ProviderStoreTarget<StoreOptions>, options?: CallOptions): Promise<void>;
  /** The write side, for stores the gateway creates and fills (the OpenAI vector store API). */
  readonly writer?: VectorStoreWriter<StoreOptions>;
  close(): Promise<void>;
}

/** One store of a provider: its name in the backend (a collection, a table) and its parsed options. */
export interface ProviderStoreTarget<StoreOptions> {
  /** The backend's name for the store: a Milvus collection, a PostgreSQL table. */
  vectorStoreId: string;
  options: StoreOptions;
}

/** What a provider receives: already validated, already embedded. */
export interface ProviderSearchRequest<StoreOptions> extends ProviderStoreTarget<StoreOptions> {
  queryVector: number[];
  searchQuery: string | string[];
  filters?: Filter | undefined;
  maxNumResults?: number | undefined;
  rankingOptions?: RankingOptions | undefined;
}

export interface ProviderSearchResult {
  data: SearchResultRow[];
}

/** Distance functions every provider's write side supports; scores stay "higher is better" whatever the metric. */
export type VectorMetric = "cosine" | "l2" | "ip";

/** The shape of a store the gateway creates: the provider owns the layout (see its README). */
export interface StoreLayout {
  dimensions: number;
  metric: VectorMetric;
  /** Also index the chunk text for full-text search, where the engine can (hybrid search). */
  fullText?: boolean;
}

/** Attribute values as OpenAI defines them for vector store files. */
export type AttributeValue = string | number | boolean;

/** One chunk of one file, embedded, ready to be written. */
export interface StoredChunk {
  /** Unique within the store and stable for a (file, position): `${fileId}:${chunkIndex}`. Re-writing it replaces it. */
  id: string;
  fileId: string;
  filename: string;
  chunkIndex: number;
  text: string;
  vector: number[];
  attributes: Record<string, AttributeValue>;
}

/**
 * The write side of a provider, for stores the gateway creates: rows carry `file_id`, `filename`, the chunk's
 * position and the file's attributes, and searches of such a store return `file_id`/`filename` and apply OpenAI
 * `filters` to the attributes. Every operation is idempotent, so a job retried after a crash converges.
 */
export interface VectorStoreWriter<StoreOptions> {
  /** The store options of a store the gateway creates at `vectorStoreId`, from the admin's template options. */
  optionsForCreatedStore(template: StoreOptions, layout: StoreLayout): StoreOptions;
  /** Creates the collection/table and its indexes; succeeds when it already exists with the same layout. */
  createStore(target: ProviderStoreTarget<StoreOptions>, layout: StoreLayout, options?: CallOptions): Promise<void>;
  upsertChunks(target: ProviderStoreTarget<StoreOptions>, chunks: StoredChunk[], options?: CallOptions): Promise<void>;
  /** Removes every chunk of a file; resolves when they can no longer be found by a search. */
  deleteFileChunks(target: ProviderStoreTarget<StoreOptions>, fileId: string, options?: CallOptions): Promise<void>;
  /** Rewrites the attributes of every chunk of a file. */
  updateFileAttributes?(
    target: ProviderStoreTarget<StoreOptions>,
    fileId: string,
    attributes: Record<string, AttributeValue>,
    options?: CallOptions,
  ): Promise<void>;
  /** Drops what `createStore` created; succeeds when it is already gone. */
  dropStore(target: ProviderStoreTarget<StoreOptions>, options?: CallOptions): Promise<void>;
}

/** A provider whose option types are not known statically (a list of providers). */
export type AnyVectorStoreProvider = VectorStoreProvider<unknown, unknown>;
