import { keyAllows } from "@vs/auth";
import { ForbiddenError } from "@vs/core";
import type { Caller } from "./http/context.js";
import type { RegisteredStore } from "./store-registry.js";

/** A virtual index as the gateway needs it: its real collection and the registry store that serves it. */
export interface IndexTarget {
  index_name: string;
  vector_store_index: string;
  vector_store_name: string;
}

export interface IndexLookup {
  /** Read through (short cache at most): an index works the moment it is created, in every process. */
  get(name: string): Promise<IndexTarget | null>;
}

export type Permission = "read" | "write";

/** Whether the caller holds `permission` on a grant name (a store or a virtual index); the master key holds all. */
export function callerHolds(caller: Caller, name: string, permission: Permission): boolean {
  return caller.kind === "master" || keyAllows({ allowed_vector_store_indexes: caller.indexes }, name, permission);
}

/** The grant names a virtual key holds `permission` on (for the master key: every name, so callers list all). */
export function grantedNames(caller: Caller, permission: Permission): string[] | "all" {
  if (caller.kind === "master") return "all";
  return caller.indexes.filter((grant) => grant.index_permissions.includes(permission)).map((grant) => grant.index_name);
}

/**
 * Unified search with a virtual key: the key must hold `permission` on the store itself (listed by name) or on a
 * virtual index that maps to it. Its `models` (when not empty) must include the store's embedding model.
 */
export async function authorizeStore(caller: Caller, store: RegisteredStore, permission: Permission, indexes: IndexLookup | null): Promise<void> {
  if (caller.kind === "master") return;
  let allowed = callerHolds(caller, store.name, permission) || callerHolds(caller, store.id, permission);
  const granted = grantedNames(caller, permission);
  for (const name of allowed || granted === "all" ? [] : granted) {
    const index = indexes ? await indexes.get(name) : null;
    if (index && index.vector_store_name === store.name) {
      allowed = true;
      break;
    }
  }
  if (!allowed)
    throw new ForbiddenError(`This key has no '${permission}' permission on vector store "${store.name}".`, {
      code: "vector_store_not_allowed",
      param: "vector_store_id",
    });
  assertModelAllowed(caller, store.embeddingModel);
}

export function assertModelAllowed(caller: Caller, model: string | undefined): void {
  if (caller.kind === "master" || caller.models.length === 0 || model === undefined) return;
  if (!caller.models.includes(model)) {
    throw new ForbiddenError(`This key may not use the embedding model "${model}"; its models are: ${caller.models.join(", ")}.`, {
      code: "model_not_allowed",
      param: "litellm_embedding_model",
    });
  }
}
