import type { AnyVectorStoreProvider, EmbeddingConfig, EmbeddingModel, VectorStoreWriter } from "@vs/core";
import { BadRequestError, ServiceUnavailableError } from "@vs/core";

/**
 * A store whose options were parsed once (the SDK's `PreparedStore`, declared here by shape so this package does not
 * depend on the SDK, which depends on it).
 */
export interface PreparedStoreLike {
  readonly provider: AnyVectorStoreProvider;
  readonly vectorStoreId: string;
  readonly options: unknown;
  readonly embeddingModel: string | undefined;
  readonly embeddingConfig: EmbeddingConfig | undefined;
}

/** What the service needs of the SDK: the embedding model instance searches use (so ingestion and queries agree). */
export interface EmbeddingModels {
  embeddingModel(model: string, config?: EmbeddingConfig): EmbeddingModel;
}

/**
 * The registry entries stores can be created from. `template` is the one new stores go to; `get` finds the entry a
 * store was created from (by its `vector_store_name`), so a store keeps working after the template changes.
 */
export interface StoreTemplates {
  readonly template: string | undefined;
  get(name: string): PreparedStoreLike | undefined;
}

export function writerOf(store: PreparedStoreLike, where: string): VectorStoreWriter<unknown> {
  const writer = store.provider.writer;
  if (!writer) {
    throw new BadRequestError(`${where}: the ${store.provider.id} provider cannot create or fill vector stores (it has no write side).`, {
      code: "provider_not_writable",
    });
  }
  return writer;
}

export function missingTemplate(name: string, storeId: string): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `Vector store ${storeId} was created from the vector_store_registry entry "${name}", which is no longer in this gateway's config; restore that entry to use the store.`,
    { code: "vector_store_template_missing" },
  );
}
