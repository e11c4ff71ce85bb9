import type { AnyVectorStoreProvider } from "@vs/core";
import type { MilvusProvider } from "@vs/provider-milvus";
import { createPgvectorProvider } from "@vs/provider-pgvector";

/**
 * The one place the proxy registers vector store providers: a new provider is a `packages/provider-*` package and
 * one line here. Milvus is created by the server itself (the passthrough needs its transports) and passed in.
 */
export function vectorStoreProviders(context: { env: Record<string, string | undefined>; milvus: MilvusProvider }): AnyVectorStoreProvider[] {
  return [context.milvus, createPgvectorProvider({ env: context.env })];
}
