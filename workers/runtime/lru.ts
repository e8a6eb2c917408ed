/**
 * Values by key in least-recently-used order: the engine's resident models.
 * A Map keeps insertion order, so "use" is delete-then-set and the oldest
 * entry is always first.
 */
export class Lru<T> {
  #entries = new Map<string, T>();

  /** The value, now marked most recently used. */
  use(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) this.set(key, value);
    return value;
  }

  set(key: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
  }

  /** Removes and returns the value, if any. */
  take(key: string): T | undefined {
    const value = this.#entries.get(key);
    this.#entries.delete(key);
    return value;
  }

  /** Removes and returns the least recently used values until at most `keep` remain. */
  evictBeyond(keep: number): T[] {
    const evicted: T[] = [];
    for (const [key, value] of this.#entries) {
      if (this.#entries.size <= Math.max(0, keep)) break;
      this.#entries.delete(key);
      evicted.push(value);
    }
    return evicted;
  }

  /** Most recently used first. */
  values(): T[] {
    return [...this.#entries.values()].reverse();
  }
}
