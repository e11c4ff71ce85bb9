/** Enough for every collection a gateway serves; past it the oldest entries are forgotten. */
export const MAX_CACHED_COLLECTIONS = 10_000;

/**
 * A map that forgets its oldest entry (by first insertion) once it holds more than `maxEntries`: what the gateway
 * learns about collections must not grow without bound when callers name ever new ones. Reads do not reorder, so a
 * cache shared by concurrent callers evicts the same entry whoever read it last.
 */
export class BoundedMap<Key, Value> {
  private readonly entries = new Map<Key, Value>();

  constructor(readonly maxEntries: number = MAX_CACHED_COLLECTIONS) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: Key): Value | undefined {
    return this.entries.get(key);
  }

  set(key: Key, value: Value): this {
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return this;
  }

  delete(key: Key): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
