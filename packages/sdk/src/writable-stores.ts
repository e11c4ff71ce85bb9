import { openAuthStore, type AuthStore } from "@vs/auth";
import { BadRequestError, NotFoundError, type SearchPage } from "@vs/core";
import {
  checkNotExpired,
  openVectorStoreService,
  type Actor,
  type IngestionQueueOptions,
  type VectorStoreFileObject,
  type VectorStoreService,
} from "@vs/stores";
import type { PreparedStore, StoreSearchRequest, VectorStores } from "./vector-stores.js";

export interface WritableVectorStoresOptions {
  /** The SDK instance whose providers and embedding models the stores use (searches and ingestion alike). */
  vectorStores: VectorStores;
  /**
   * Where new stores are created: the reference page's `litellm_params` (`custom_llm_provider`, `api_base`,
   * `api_key`, `litellm_embedding_model`, …); `vector_store_id` is not needed (each store gets its own).
   */
  template: Record<string, unknown>;
  /** `postgresql://…`; without it an embedded PGlite under `dataDir`. */
  databaseUrl?: string;
  dataDir?: string;
  /** Ingest in this process (default true). */
  worker?: boolean;
  queue?: IngestionQueueOptions;
}

export interface WritableVectorStores {
  /** Files, stores, attachments and batches: the same implementation the proxy's routes call. */
  readonly service: VectorStoreService;
  /** Uploads a file, attaches it, and resolves when it is ingested (or failed). */
  uploadAndPoll(
    vectorStoreId: string,
    file: { bytes: Uint8Array; filename: string; attributes?: Record<string, string | number | boolean> },
    options?: { pollIntervalMs?: number; timeoutMs?: number },
  ): Promise<VectorStoreFileObject>;
  /** Searches a created store, as the proxy's `POST /v1/vector_stores/{id}/search`. */
  search(vectorStoreId: string, request: StoreSearchRequest): Promise<SearchPage>;
  close(): Promise<void>;
}

const TEMPLATE_NAME = "sdk-template";
/** The SDK acts as the admin: it owns the database it opens. */
const SDK_ACTOR: Actor = { keyHash: null, alias: "sdk" };

/** OpenAI's vector store operations without the proxy: create a store, upload files and wait, list, delete, search. */
export async function openWritableVectorStores(options: WritableVectorStoresOptions): Promise<WritableVectorStores> {
  const template: PreparedStore = options.vectorStores.prepareStore({ vector_store_id: "sdk_template_unused", ...options.template }, { where: "template" });
  const auth: AuthStore = await openAuthStore({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  let opened: Awaited<ReturnType<typeof openVectorStoreService>>;
  try {
    opened = await openVectorStoreService({
      auth,
      models: options.vectorStores,
      templates: { template: TEMPLATE_NAME, get: (name) => (name === TEMPLATE_NAME ? template : undefined) },
      worker: options.worker ?? true,
      ...(options.queue ? { queue: options.queue } : {}),
    });
  } catch (error) {
    await auth.close();
    throw error;
  }
  const { service } = opened;
  return {
    service,
    async uploadAndPoll(vectorStoreId, file, pollOptions = {}) {
      const uploaded = await service.createFile({ bytes: file.bytes, filename: file.filename, purpose: "assistants" }, SDK_ACTOR);
      let attached = await service.attachFile(vectorStoreId, { file_id: uploaded.id, ...(file.attributes ? { attributes: file.attributes } : {}) }, SDK_ACTOR);
      const deadline = Date.now() + (pollOptions.timeoutMs ?? 10 * 60_000);
      while (attached.status === "in_progress") {
        if (Date.now() > deadline)
          throw new BadRequestError(`File ${uploaded.id} is still being ingested after ${pollOptions.timeoutMs ?? 600_000} ms.`, { code: "ingestion_timeout" });
        await new Promise((resolve) => setTimeout(resolve, pollOptions.pollIntervalMs ?? 250));
        attached = await service.getStoreFile(vectorStoreId, uploaded.id);
      }
      return attached;
    },
    async search(vectorStoreId, request) {
      const store = await service.findStore(vectorStoreId);
      if (!store) throw new NotFoundError(`No vector store with id "${vectorStoreId}".`, { param: "vector_store_id", code: "vector_store_not_found" });
      checkNotExpired(store);
      const outcome = await options.vectorStores.searchStore(store.prepared as PreparedStore, request);
      return outcome.page;
    },
    async close() {
      await opened.close();
      await auth.close();
    },
  };
}
