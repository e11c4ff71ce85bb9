import { createHash } from "node:crypto";
import {
  BadRequestError,
  parseInput,
  queryText,
  vectorStoreSearchParamsSchema,
  type EmbeddingConfig,
  type EmbeddingModel,
  type SearchPage,
  type VectorStoreProvider,
  type VectorStoreSearchParamsInput,
} from "@vs/core";
import { EmbeddingCache, createEmbeddingModel, withEmbeddingCache, type EmbeddingCacheStore } from "@vs/embeddings";
import { createMilvusProvider } from "@vs/provider-milvus";

/** An embedding model by alias, as the proxy's `model_list` declares it (`embedding-model` → `azure/…` + config). */
export interface EmbeddingModelAlias {
  model: string;
  config?: EmbeddingConfig;
}

export interface VectorStoresOptions {
  /** Vector store providers by `custom_llm_provider`; default: Milvus. */
  providers?: VectorStoreProvider<unknown>[];
  /** Embedding model aliases usable as `litellm_embedding_model`. */
  models?: Record<string, EmbeddingModelAlias>;
  /** Query embedding cache (an in-memory `EmbeddingCache`, Redis, or both tiered); `false` turns it off. Default: 1,000 entries for one hour. */
  embeddingCache?: EmbeddingCacheStore | false;
  /** Environment for credentials (`MILVUS_API_KEY`, `OPENAI_API_KEY`, …); default `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface SearchCallOptions {
  signal?: AbortSignal;
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

export interface VectorStores {
  /** Embeds `query`, searches the store, answers `{object: "vector_store.search_results.page", search_query, data}`. */
  search(params: VectorStoreSearchParamsInput, options?: SearchCallOptions): Promise<SearchPage>;
  /** Same as `search`, with timings and usage. */
  searchWithOutcome(params: VectorStoreSearchParamsInput, options?: SearchCallOptions): Promise<SearchOutcome>;
  /** Resolves an embedding model (alias or `provider/model`) to the instance searches use. */
  embeddingModel(model: string, config?: EmbeddingConfig): EmbeddingModel;
  close(): Promise<void>;
}

const coreKeys = new Set(Object.keys(vectorStoreSearchParamsSchema.shape));

export function createVectorStores(options: VectorStoresOptions = {}): VectorStores {
  const env = options.env ?? process.env;
  const providers = new Map<string, VectorStoreProvider<unknown>>();
  for (const provider of options.providers ?? [createMilvusProvider({ env }) as VectorStoreProvider<unknown>]) providers.set(provider.id, provider);
  const aliases = options.models ?? {};
  const cache = options.embeddingCache === false ? null : options.embeddingCache ?? new EmbeddingCache({ maxEntries: 1000, ttlMs: 3_600_000 });
  // One model instance per (model, config): connection pools and loaded weights are reused across searches.
  const models = new Map<string, EmbeddingModel>();

  function embeddingModel(model: string, config?: EmbeddingConfig): EmbeddingModel {
    const alias = aliases[model];
    const modelString = alias ? alias.model : model;
    const mergedConfig = alias ? { ...alias.config, ...config } : config;
    const key = `${modelString}\u0000${createHash("sha256").update(JSON.stringify(mergedConfig ?? {})).digest("hex")}`;
    let instance = models.get(key);
    if (!instance) {
      const created = createEmbeddingModel(modelString, mergedConfig, { env });
      instance = cache ? withEmbeddingCache(created, cache) : created;
      models.set(key, instance);
    }
    return instance;
  }

  async function searchWithOutcome(input: VectorStoreSearchParamsInput, callOptions: SearchCallOptions = {}): Promise<SearchOutcome> {
    const started = performance.now();
    const params = parseInput(vectorStoreSearchParamsSchema, input, { what: "search parameters" });
    if (params.rewrite_query === true) {
      throw new BadRequestError("rewrite_query: query rewriting is not supported by this gateway (no rewriting model is configured); send the query as it should be searched.", { param: "rewrite_query", code: "unsupported_parameter" });
    }
    const provider = providers.get(params.custom_llm_provider);
    if (!provider) {
      throw new BadRequestError(`custom_llm_provider: unknown vector store provider "${params.custom_llm_provider}"; available: ${[...providers.keys()].join(", ")}`, { param: "custom_llm_provider" });
    }
    const providerInput = Object.fromEntries(Object.entries(params).filter(([key]) => !coreKeys.has(key)));
    const providerOptions = parseInput(provider.optionsSchema, providerInput, { what: `${provider.id} parameters` });
    const model = embeddingModel(params.litellm_embedding_model, params.litellm_embedding_config);

    const embeddingStarted = performance.now();
    const embedded = await model.embed([queryText(params.query)], { inputType: "query", ...(callOptions.signal ? { signal: callOptions.signal } : {}) });
    const embeddingMs = performance.now() - embeddingStarted;
    const queryVector = embedded.vectors[0];
    if (!queryVector) throw new BadRequestError("The embedding model returned no vector for the query.", { param: "query" });

    const searchStarted = performance.now();
    const result = await provider.search(
      {
        vectorStoreId: params.vector_store_id,
        queryVector,
        searchQuery: params.query,
        filters: params.filters,
        maxNumResults: params.max_num_results,
        rankingOptions: params.ranking_options,
        options: providerOptions,
      },
      callOptions.signal ? { signal: callOptions.signal } : {},
    );
    const searchMs = performance.now() - searchStarted;
    return {
      page: { object: "vector_store.search_results.page", search_query: params.query, data: result.data },
      embeddingModel: model.provider + "/" + model.modelId,
      embeddingTokens: embedded.usage.total_tokens,
      embeddingCostUsd: embedded.usage.total_tokens * model.inputCostPerToken,
      timings: { embeddingMs, searchMs, totalMs: performance.now() - started },
    };
  }

  return {
    searchWithOutcome,
    async search(params, callOptions) {
      return (await searchWithOutcome(params, callOptions)).page;
    },
    embeddingModel,
    async close() {
      await Promise.allSettled([...providers.values()].map((provider) => provider.close()));
      await Promise.allSettled([...models.values()].map((model) => model.close?.()));
      models.clear();
    },
  };
}

let defaultInstance: VectorStores | undefined;

/** The default instance, configured from the environment: `vectorStores.search({...})` as on the reference page. */
export const vectorStores: Pick<VectorStores, "search" | "searchWithOutcome"> = {
  search: (params, options) => (defaultInstance ??= createVectorStores()).search(params, options),
  searchWithOutcome: (params, options) => (defaultInstance ??= createVectorStores()).searchWithOutcome(params, options),
};
