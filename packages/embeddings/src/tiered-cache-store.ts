import type { EmbeddingCacheStore } from "./embedding-cache.js";

export interface TieredEmbeddingCacheStoreOptions {
  /** Called when the shared store fails; the call then goes on with the local store alone. */
  onSharedError?: (error: unknown) => void;
}

/**
 * Two stores in front of each other: `local` (an in-process `EmbeddingCache`) answers first, `shared` (Redis)
 * answers what `local` misses, and what `shared` answers is copied into `local` (which then keeps it for its own
 * TTL). Writes go to both.
 *
 * The shared store never fails a call: its errors go to `onSharedError` and the call degrades to the local store,
 * so local hits survive a Redis outage. Errors of the local store propagate.
 */
export class TieredEmbeddingCacheStore implements EmbeddingCacheStore {
  readonly #local: EmbeddingCacheStore;
  readonly #shared: EmbeddingCacheStore;
  readonly #reportSharedError: (error: unknown) => void;

  constructor(local: EmbeddingCacheStore, shared: EmbeddingCacheStore, options: TieredEmbeddingCacheStoreOptions = {}) {
    this.#local = local;
    this.#shared = shared;
    this.#reportSharedError = options.onSharedError ?? ((): void => undefined);
  }

  async getMany(keys: readonly string[]): Promise<Array<number[] | undefined>> {
    const vectors = await this.#local.getMany(keys);
    const missingPositions: number[] = [];
    keys.forEach((_key, position) => {
      if (vectors[position] === undefined) missingPositions.push(position);
    });
    if (missingPositions.length === 0) return vectors;
    let sharedVectors: Array<number[] | undefined>;
    try {
      sharedVectors = await this.#shared.getMany(missingPositions.map((position) => keys[position] as string));
    } catch (error) {
      this.#reportSharedError(error);
      return vectors;
    }
    const found: Array<{ key: string; vector: number[] }> = [];
    missingPositions.forEach((position, index) => {
      const vector = sharedVectors[index];
      if (vector === undefined) return;
      vectors[position] = vector;
      // Its own copy: the caller may change the returned vector in place.
      found.push({ key: keys[position] as string, vector: vector.slice() });
    });
    if (found.length > 0) await this.#local.setMany(found);
    return vectors;
  }

  async setMany(entries: ReadonlyArray<{ key: string; vector: number[] }>): Promise<void> {
    await this.#local.setMany(entries);
    try {
      await this.#shared.setMany(entries);
    } catch (error) {
      this.#reportSharedError(error);
    }
  }
}
