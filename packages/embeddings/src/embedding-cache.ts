import { createHash } from "node:crypto";
import type { EmbedOptions, EmbeddingInputType, EmbeddingModel, EmbeddingResult } from "@vs/core";
import { throwIfAborted } from "./abort.js";
import { emptyUsage } from "./batching.js";

/**
 * Where cached vectors live. The in-memory `EmbeddingCache` is the default; a shared backend (Redis) implements the
 * same two calls so every gateway process can reuse one another's embeddings.
 */
export interface EmbeddingCacheStore {
  /** One answer per key, in order; `undefined` for a miss. */
  getMany(keys: readonly string[]): Promise<Array<number[] | undefined>>;
  setMany(entries: ReadonlyArray<{ key: string; vector: number[] }>): Promise<void>;
}

export interface EmbeddingCacheOptions {
  /** Entries kept; the least recently used is dropped beyond it. */
  maxEntries: number;
  /** How long an entry is served after it was stored. */
  ttlMs: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

export interface EmbeddingCacheStats {
  hits: number;
  misses: number;
  size: number;
}

interface CacheEntry {
  vector: number[];
  expiresAt: number;
}

/** An in-memory LRU with a TTL, built on `Map`'s insertion order (a hit re-inserts the entry at the young end). */
export class EmbeddingCache implements EmbeddingCacheStore {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;

  constructor(options: EmbeddingCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    if (!(options.ttlMs > 0)) throw new RangeError("ttlMs must be positive");
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): number[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.#now()) {
      if (entry !== undefined) this.#entries.delete(key);
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits++;
    // A copy: callers may transform vectors in place, and that must not corrupt the cache.
    return entry.vector.slice();
  }

  set(key: string, vector: readonly number[]): void {
    this.#entries.delete(key);
    this.#entries.set(key, { vector: vector.slice(), expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  async getMany(keys: readonly string[]): Promise<Array<number[] | undefined>> {
    return keys.map((key) => this.get(key));
  }

  async setMany(entries: ReadonlyArray<{ key: string; vector: number[] }>): Promise<void> {
    for (const { key, vector } of entries) this.set(key, vector);
  }

  stats(): EmbeddingCacheStats {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * The cache key of one text for one model: a SHA-256 over (identity, dimensions, text), so keys have a fixed
 * size whatever the text and reveal nothing of it when stored in a shared backend. A query's vector differs
 * from the same text's document vector on asymmetric models, so query keys carry the mode; document keys
 * (the default) keep the shape they always had, so existing shared caches stay valid.
 */
export function embeddingCacheKey(model: Pick<EmbeddingModel, "identity" | "dimensions">, text: string, inputType: EmbeddingInputType = "document"): string {
  const hash = createHash("sha256")
    .update(model.identity)
    .update("\0")
    .update(String(model.dimensions ?? ""))
    .update("\0")
    .update(text);
  if (inputType === "query") hash.update("\0query");
  return `emb:${hash.digest("base64url")}`;
}

export interface WithEmbeddingCacheOptions {
  /**
   * Called when the store fails (a shared backend that is down). The call then goes on as if nothing were
   * cached: the cache saves money and time, it must not take search down with it.
   */
  onStoreError?: (error: unknown) => void;
}

/**
 * `model`, answering cached texts from `cache` and sending only the rest (deduplicated, in one call) to the model.
 * `usage` reports only what the model embedded.
 */
export function withEmbeddingCache(model: EmbeddingModel, cache: EmbeddingCacheStore, options: WithEmbeddingCacheOptions = {}): EmbeddingModel {
  const reportStoreError = options.onStoreError ?? ((): void => undefined);

  async function embed(texts: string[], callOptions: EmbedOptions = {}): Promise<EmbeddingResult> {
    throwIfAborted(callOptions.signal);
    if (texts.length === 0) return { vectors: [], usage: emptyUsage() };
    const uniqueTexts = [...new Set(texts)];
    const keys = uniqueTexts.map((text) => embeddingCacheKey(model, text, callOptions.inputType));
    let cached: Array<number[] | undefined>;
    try {
      cached = await cache.getMany(keys);
    } catch (error) {
      reportStoreError(error);
      cached = [];
    }
    const vectorsByText = new Map<string, number[]>();
    const missingTexts: string[] = [];
    const missingKeys: string[] = [];
    uniqueTexts.forEach((text, position) => {
      const vector = cached[position];
      if (vector === undefined) {
        missingTexts.push(text);
        missingKeys.push(keys[position] as string);
      } else {
        vectorsByText.set(text, vector);
      }
    });
    let usage = emptyUsage();
    if (missingTexts.length > 0) {
      const result = await model.embed(missingTexts, callOptions);
      usage = result.usage;
      const entries = missingTexts.map((text, position) => {
        const vector = result.vectors[position] as number[];
        vectorsByText.set(text, vector);
        return { key: missingKeys[position] as string, vector };
      });
      // Not awaited: a shared backend's write latency should not be added to the caller's.
      try {
        cache.setMany(entries).catch(reportStoreError);
      } catch (error) {
        reportStoreError(error);
      }
    }
    const handedOut = new Set<string>();
    const vectors = texts.map((text) => {
      const vector = vectorsByText.get(text) as number[];
      if (!handedOut.has(text)) {
        handedOut.add(text);
        return vector;
      }
      // A repeated text gets its own array, so a caller changing one vector does not change another.
      return vector.slice();
    });
    return { vectors, usage };
  }

  const cachedModel: EmbeddingModel = {
    specificationVersion: model.specificationVersion,
    provider: model.provider,
    modelId: model.modelId,
    ...(model.dimensions === undefined ? {} : { dimensions: model.dimensions }),
    maxInputsPerCall: model.maxInputsPerCall,
    identity: model.identity,
    inputCostPerToken: model.inputCostPerToken,
    embed,
    ...(model.close === undefined ? {} : { close: () => (model.close as () => Promise<void>)() }),
  };
  return cachedModel;
}
