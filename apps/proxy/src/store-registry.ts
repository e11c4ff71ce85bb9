import { BadRequestError, ConfigurationError, NotFoundError } from "@vs/core";
import type { ModelEntry, ProxyConfig, VectorStoreEntry } from "./config/config.js";
import { parseEmbeddingModelName } from "@vs/embeddings";
import type { EmbeddingModelAlias, PreparedStore } from "@vs/sdk";

/** A vector store of the config's `vector_store_registry`, as the gateway serves it. */
export interface RegisteredStore {
  /** `vector_store_name`: the name clients use in URLs and keys. */
  name: string;
  /** `vector_store_id`: the real collection for searches. */
  id: string;
  /** The provider's `id` (a `custom_llm_provider` alias is resolved to it). */
  provider: string;
  embeddingModel: string | undefined;
  /** The admin's `litellm_params`, parsed once by the provider (credentials included: never sent to a client). */
  prepared: PreparedStore;
}

/** Parses one registry entry's `litellm_params` (the SDK's `prepareStore`); `where` prefixes the fields it names. */
export type PrepareStore = (params: VectorStoreEntry["litellm_params"], where: string) => PreparedStore;

export class StoreRegistry {
  private readonly byName = new Map<string, RegisteredStore>();
  /** `null`: several entries share the collection, so only their names find them. */
  private readonly byId = new Map<string, RegisteredStore | null>();

  constructor(entries: VectorStoreEntry[], prepare: PrepareStore) {
    entries.forEach((entry, index) => {
      const prepared = prepare(entry.litellm_params, `vector_store_registry[${index}].litellm_params`);
      const store: RegisteredStore = {
        name: entry.vector_store_name,
        id: entry.litellm_params.vector_store_id,
        provider: prepared.provider.id,
        embeddingModel: entry.litellm_params.litellm_embedding_model,
        prepared,
      };
      this.byName.set(store.name, store);
      this.byId.set(store.id, this.byId.has(store.id) ? null : store);
    });
  }

  /** By `vector_store_name` first, then by `vector_store_id`. */
  find(nameOrId: string): RegisteredStore | undefined {
    return this.byName.get(nameOrId) ?? this.byId.get(nameOrId) ?? undefined;
  }

  get(nameOrId: string): RegisteredStore {
    const store = this.find(nameOrId);
    if (!store) {
      const hint = this.byId.get(nameOrId) === null ? " Several stores use that collection: call one by its vector_store_name." : "";
      throw new NotFoundError(
        `No vector store "${nameOrId}": it is neither in this gateway's vector_store_registry nor a store created with POST /v1/vector_stores.${hint}`,
        {
          param: "vector_store_id",
          code: "vector_store_not_found",
        },
      );
    }
    return store;
  }

  list(): RegisteredStore[] {
    return [...this.byName.values()];
  }
}

/** `model_list` as SDK aliases: `embedding-model` → `{model: "azure/…", config}`. */
export function modelAliases(models: ModelEntry[]): Record<string, EmbeddingModelAlias> {
  const aliases: Record<string, EmbeddingModelAlias> = {};
  for (const entry of models) {
    const { model, ...config } = entry.litellm_params;
    const cost = entry.model_info?.input_cost_per_token;
    aliases[entry.model_name] = { model, config: cost === undefined ? config : { ...config, input_cost_per_token: cost } };
  }
  return aliases;
}

/**
 * Stops the start for an embedding model no provider knows, naming the key path and the known prefixes: found by
 * the operator now rather than by the first search as a 400. A `model_list` alias is checked through its
 * `litellm_params.model`.
 */
export function assertKnownModel(config: ProxyConfig, model: string, where: string): void {
  const index = config.model_list.findIndex((entry) => entry.model_name === model);
  const alias = config.model_list[index];
  if (alias === undefined && !model.includes("/")) {
    throw new ConfigurationError(`Invalid config: ${where}: "${model}" is neither a model_list model_name nor "<provider>/<model>"`, { param: where });
  }
  const [modelString, keyPath] = alias === undefined ? [model, where] : [alias.litellm_params.model, `model_list[${index}].litellm_params.model`];
  try {
    parseEmbeddingModelName(modelString, keyPath);
  } catch (error) {
    if (BadRequestError.isInstance(error)) throw new ConfigurationError(`Invalid config: ${error.message}`, { param: keyPath });
    throw error;
  }
}

/** `model_list` entries LiteLLM marks as embedding models (`model_info.mode: embedding`) are checked even when no store uses them yet. */
export function assertEmbeddingModelList(config: ProxyConfig): void {
  for (const entry of config.model_list) {
    if (entry.model_info?.["mode"] === "embedding") assertKnownModel(config, entry.model_name, "model_list");
  }
}
