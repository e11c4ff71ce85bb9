import { createHash } from "node:crypto";
import {
  BadRequestError,
  parseInput,
  queryText,
  vectorStoreSearchParamsSchema,
  type AnyVectorStoreProvider,
  type EmbeddingConfig,
  type EmbeddingModel,
  type Filter,
  type RankingOptions,
  type SearchPage,
  type VectorStoreSearchParamsInput,
} from "@vs/core";
import { EmbeddingCache, createEmbeddingModel, withEmbeddingCache, type EmbeddingCacheStore } from "@vs/embeddings";
import { createMilvusProvider } from "@vs/provider-milvus";
import { createPgvectorProvider } from "@vs/provider-pgvector";

/** An embedding model by alias, as the proxy's `model_list` declares it (`embedding-model` → `azure/…` + config). */
export interface EmbeddingModelAlias {
  model: string;
  config?: EmbeddingConfig;
}

export interface VectorStoresOptions {
  /**
   * Vector store providers, added to the defaults (Milvus, pgvector); one with the `id` of a default replaces it. Selected
   * by `custom_llm_provider` (its `id` or one of its `aliases`).
   */
  providers?: AnyVectorStoreProvider[];
  /** Embedding model aliases usable as `litellm_embedding_model`. */
  models?: Record<string, EmbeddingModelAlias>;
  /** Query embedding cache (an in-memory `EmbeddingCache`, Redis, or both tiered); `false` turns it off. Default: 1,000 entries for one hour. */
  embeddingCache?: EmbeddingCacheStore | false;
  /** Environment for credentials (`MILVUS_API_KEY`, `OPENAI_API_KEY`, …); default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface SearchCallOptions {
  signal?: AbortSignal;
  /** Wraps each phase of a search (the proxy's trace spans); absent: the phases run as they are. */
  phase?: <T>(name: "embedding" | "vector_store", run: () => Promise<T>) => Promise<T>;
}

/** A search page plus what it took: used by the proxy for its timing headers, logs and spend rows. */
export interface SearchOutcome {
  page: SearchPage;
  /** The embedding model string that ran (after alias resolution), e.g. `openai/text-embedding-3-small`. */
  embeddingModel: string;
  embeddingTokens: number;
  embeddingCostUsd: number;
  timings: { embeddingMs: number; searchMs: number; totalMs: number };
}

/**
 * A store whose options were parsed once: the proxy prepares each registry entry at start and searches it on every
 * request without parsing the admin's options again.
 */
export interface PreparedStore {
  readonly provider: AnyVectorStoreProvider;
  /** The backend's name for the store (`vector_store_id`: a collection, a table). */
  readonly vectorStoreId: string;
  /** The admin's options, parsed by the provider's `storeOptionsSchema`. */
  readonly options: unknown;
  /** `litellm_embedding_model` (an alias or `provider/model`), when the store can be searched by text. */
  readonly embeddingModel: string | undefined;
  readonly embeddingConfig: EmbeddingConfig | undefined;
}

/** A search of a prepared store: OpenAI's fields and what the caller may add (the provider's `callerOptionsSchema`). */
export interface StoreSearchRequest {
  query: string | string[];
  filters?: Filter | undefined;
  max_num_results?: number | undefined;
  ranking_options?: RankingOptions | undefined;
  /** Parsed by the provider's `callerOptionsSchema`; merged into the store's options (narrowing only). */
  callerOptions?: Record<string, unknown> | undefined;
}

export interface PrepareStoreOptions {
  /** Prefix of every field named in an error, e.g. `vector_store_registry[0].litellm_params`. */
  where?: string;
}

export interface VectorStores {
  /** Embeds `query`, searches the store, answers `{object: "vector_store.search_results.page", search_query, data}`. */
  search(params: VectorStoreSearchParamsInput, options?: SearchCallOptions): Promise<SearchPage>;
  /** Same as `search`, with timings and usage. */
  searchWithOutcome(params: VectorStoreSearchParamsInput, options?: SearchCallOptions): Promise<SearchOutcome>;
  /** Parses a store's parameters once (the reference page's `litellm_params` shape); errors name each bad field. */
  prepareStore(params: Record<string, unknown>, options?: PrepareStoreOptions): PreparedStore;
  /** Embeds the query and searches a prepared store. */
  searchStore(store: PreparedStore, request: StoreSearchRequest, options?: SearchCallOptions): Promise<SearchOutcome>;
  /** The provider selected by a `custom_llm_provider` value, if any. */
  provider(id: string): AnyVectorStoreProvider | undefined;
  /** Resolves an embedding model (alias or `provider/model`) to the instance searches use. */
  embeddingModel(model: string, config?: EmbeddingConfig): EmbeddingModel;
  close(): Promise<void>;
}

const coreKeys = new Set(Object.keys(vectorStoreSearchParamsSchema.shape));
const storeKeys = new Set(["vector_store_id", "custom_llm_provider", "litellm_embedding_model", "litellm_embedding_config"]);

/** The providers the SDK knows without being told. */
export function defaultProviders(env: Record<string, string | undefined>): AnyVectorStoreProvider[] {
  return [createMilvusProvider({ env }), createPgvectorProvider({ env })];
}

export function createVectorStores(options: VectorStoresOptions = {}): VectorStores {
  const env = options.env ?? process.env;
  const providers = new Map<string, AnyVectorStoreProvider>();
  const byId = new Map<string, AnyVectorStoreProvider>();
  for (const provider of defaultProviders(env)) byId.set(provider.id, provider);
  for (const provider of options.providers ?? []) {
    void byId.get(provider.id)?.close();
    byId.set(provider.id, provider);
  }
  for (const provider of byId.values()) for (const name of [provider.id, ...(provider.aliases ?? [])]) providers.set(name, provider);
  const aliases = options.models ?? {};
  const cache = options.embeddingCache === false ? null : (options.embeddingCache ?? new EmbeddingCache({ maxEntries: 1000, ttlMs: 3_600_000 }));
  // One model instance per (model, config): connection pools and loaded weights are reused across searches.
  const models = new Map<string, EmbeddingModel>();

  function embeddingModel(model: string, config?: EmbeddingConfig): EmbeddingModel {
    const alias = aliases[model];
    const modelString = alias ? alias.model : model;
    const mergedConfig = alias ? { ...alias.config, ...config } : config;
    const key = `${modelString}\u0000${createHash("sha256")
      .update(JSON.stringify(mergedConfig ?? {}))
      .digest("hex")}`;
    let instance = models.get(key);
    if (!instance) {
      const created = createEmbeddingModel(modelString, mergedConfig, { env });
      instance = cache ? withEmbeddingCache(created, cache) : created;
      models.set(key, instance);
    }
    return instance;
  }

  function prepareStore(params: Record<string, unknown>, prepareOptions: PrepareStoreOptions = {}): PreparedStore {
    const where = prepareOptions.where;
    const field = (name: string) => (where ? `${where}.${name}` : name);
    const providerId = typeof params["custom_llm_provider"] === "string" ? params["custom_llm_provider"] : "milvus";
    const provider = providers.get(providerId);
    if (!provider) {
      throw new BadRequestError(
        `${field("custom_llm_provider")}: unknown vector store provider "${providerId}"; available: ${[...providers.keys()].join(", ")}`,
        { param: field("custom_llm_provider"), code: "unknown_provider" },
      );
    }
    const vectorStoreId = params["vector_store_id"];
    if (typeof vectorStoreId !== "string" || vectorStoreId === "")
      throw new BadRequestError(`${field("vector_store_id")}: required`, { param: field("vector_store_id"), code: "missing_required_parameter" });
    const providerInput = Object.fromEntries(Object.entries(params).filter(([key]) => !storeKeys.has(key)));
    const parsed = parseInput(provider.storeOptionsSchema, providerInput, { what: `${provider.id} parameters`, ...(where ? { prefix: where } : {}) });
    const model = params["litellm_embedding_model"];
    return {
      provider,
      vectorStoreId,
      options: parsed,
      embeddingModel: typeof model === "string" && model !== "" ? model : undefined,
      embeddingConfig: params["litellm_embedding_config"] as EmbeddingConfig | undefined,
    };
  }

  async function searchStore(store: PreparedStore, request: StoreSearchRequest, callOptions: SearchCallOptions = {}): Promise<SearchOutcome> {
    const started = performance.now();
    if (store.embeddingModel === undefined) {
      throw new BadRequestError("litellm_embedding_model: this vector store has no embedding model, so it cannot be searched by text.", {
        param: "litellm_embedding_model",
        code: "vector_store_not_searchable",
      });
    }
    const { provider } = store;
    const options =
      request.callerOptions === undefined || Object.keys(request.callerOptions).length === 0
        ? store.options
        : provider.mergeOptions(store.options, request.callerOptions);
    const model = embeddingModel(store.embeddingModel, store.embeddingConfig);
    const signalOptions = callOptions.signal ? { signal: callOptions.signal } : {};

    const embeddingStarted = performance.now();
    const embed = () => model.embed([queryText(request.query)], { inputType: "query", ...signalOptions });
    const embedded = await (callOptions.phase ? callOptions.phase("embedding", embed) : embed());
    const embeddingMs = performance.now() - embeddingStarted;
    const queryVector = embedded.vectors[0];
    if (!queryVector) throw new BadRequestError("The embedding model returned no vector for the query.", { param: "query" });

    const searchStarted = performance.now();
    const search = () =>
      provider.search(
        {
          vectorStoreId: store.vectorStoreId,
          queryVector,
          searchQuery: request.query,
          filters: request.filters,
          maxNumResults: request.max_num_results,
          rankingOptions: request.ranking_options,
          options,
        },
        signalOptions,
      );
    const result = await (callOptions.phase ? callOptions.phase("vector_store", search) : search());
    const searchMs = performance.now() - searchStarted;
    return {
      page: { object: "vector_store.search_results.page", search_query: request.query, data: result.data },
      embeddingModel: model.provider + "/" + model.modelId,
      embeddingTokens: embedded.usage.total_tokens,
      embeddingCostUsd: embedded.usage.total_tokens * model.inputCostPerToken,
      timings: { embeddingMs, searchMs, totalMs: performance.now() - started },
    };
  }

  async function searchWithOutcome(input: VectorStoreSearchParamsInput, callOptions: SearchCallOptions = {}): Promise<SearchOutcome> {
    const params = parseInput(vectorStoreSearchParamsSchema, input, { what: "search parameters" });
    if (params.rewrite_query === true) {
      throw new BadRequestError(
        "rewrite_query: query rewriting is not supported by this gateway (no rewriting model is configured); send the query as it should be searched.",
        { param: "rewrite_query", code: "unsupported_parameter" },
      );
    }
    const storeParams = Object.fromEntries(Object.entries(params).filter(([key]) => storeKeys.has(key) || !coreKeys.has(key)));
    const store = prepareStore(storeParams);
    return searchStore(
      store,
      { query: params.query, filters: params.filters, max_num_results: params.max_num_results, ranking_options: params.ranking_options },
      callOptions,
    );
  }

  return {
    searchWithOutcome,
    prepareStore,
    searchStore,
    provider: (id) => providers.get(id),
    async search(params, callOptions) {
      return (await searchWithOutcome(params, callOptions)).page;
    },
    embeddingModel,
    async close() {
      await Promise.allSettled([...byId.values()].map((provider) => provider.close()));
      await Promise.allSettled([...models.values()].map((model) => model.close?.()));
      models.clear();
    },
  };
}

let defaultInstance: VectorStores | undefined;

function defaultVectorStores(): VectorStores {
  defaultInstance ??= createVectorStores();
  return defaultInstance;
}

/** The default instance, configured from the environment: `vectorStores.search({...})` as on the reference page. */
export const vectorStores: Pick<VectorStores, "search" | "searchWithOutcome"> = {
  search: (params, options) => defaultVectorStores().search(params, options),
  searchWithOutcome: (params, options) => defaultVectorStores().searchWithOutcome(params, options),
};
