/**
 * Writes per key without making the caller wait: one write at a time per key,
 * and a value handed over while one is in flight replaces any still waiting,
 * so only the newest is written next. A job's checkpoints go through this, so
 * a step never waits for IndexedDB, and a slow disk costs writes skipped,
 * never a queue of stale ones.
 */
export class LatestWrites<K, V> {
  #write: (key: K, value: V | undefined) => Promise<void>;
  #onError: (error: unknown) => void;
  #waiting = new Map<K, V | undefined>();
  #writing = new Map<K, Promise<void>>();

  /** `write(key, undefined)` deletes the key. */
  constructor(write: (key: K, value: V | undefined) => Promise<void>, onError: (error: unknown) => void) {
    this.#write = write;
    this.#onError = onError;
  }

  /** Hands over the newest `value` of `key` (`undefined`: delete it), written after the write in flight. */
  put(key: K, value: V | undefined): void {
    this.#waiting.set(key, value);
    if (!this.#writing.has(key)) this.#writing.set(key, this.#drain(key));
  }

  /** Resolves once everything handed over so far is written. */
  async settled(): Promise<void> {
    while (this.#writing.size > 0) await Promise.all(this.#writing.values());
  }

  async #drain(key: K): Promise<void> {
    while (this.#waiting.has(key)) {
      const value = this.#waiting.get(key);
      this.#waiting.delete(key);
      await this.#write(key, value).catch(this.#onError);
    }
    this.#writing.delete(key);
  }
}
