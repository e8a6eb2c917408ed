import { proxy, type Remote } from 'comlink';
import { CancelledError, StoreDiedError } from '../shared/errors.ts';
import type { DownloadProgress, StoreApi, StoredModel, StoreOptions } from '../shared/store-protocol.ts';
import type { StoreHandle } from './store-client.ts';

/** How a hung store worker is noticed: a ping every `pingMs` while a call runs; none answered for `hangMs` is a hang. */
export interface StoreWatch {
  pingMs: number;
  hangMs: number;
}

export interface StoreSupervisorOptions extends Partial<StoreWatch> {
  spawn: () => StoreHandle;
  /** What each fresh worker's store is opened with. */
  open: StoreOptions;
  /** Worker deaths in a row a download survives. */
  maxRestarts?: number;
  /** Wait before a download goes on in a fresh worker; it doubles on each further death. */
  backoffMs?: number;
}

/** One worker's life: its handle, what ends it, and the calls it is running. */
interface Life {
  handle: StoreHandle;
  /** Rejects with `StoreDiedError` once the worker crashed or stopped answering. */
  died: Promise<never>;
  opened: Promise<StoredModel[]>;
  enter(): void;
  leave(): void;
  /** Ends the worker as a death would. */
  end(reason: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Pings while calls run. The store worker never blocks for long (it awaits
 * IndexedDB and the network between chunks), so a ping that stays unanswered
 * means the worker is gone or wedged; an idle worker is not pinged.
 */
function watchdog(ping: () => Promise<unknown>, { pingMs, hangMs }: StoreWatch) {
  let calls = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let waitingSince: number | undefined;
  let hang: (reason: string) => void = () => {};
  const hung = new Promise<string>((resolve) => (hang = resolve));
  const tick = () => {
    const now = performance.now();
    if (waitingSince === undefined) {
      waitingSince = now;
      ping().then(() => (waitingSince = undefined), () => undefined);
    } else if (now - waitingSince > hangMs) {
      hang(`it stopped answering for ${Math.round((now - waitingSince) / 1000)} s`);
    }
  };
  return {
    hung,
    enter: () => void (calls++ === 0 && (timer = setInterval(tick, pingMs))),
    leave: () => void (--calls === 0 && clearInterval(timer)),
    stop: () => clearInterval(timer),
  };
}

/**
 * Owns the model-store worker's life, as `Supervisor` owns the diffusion
 * worker's: when the worker crashes or stops answering, it is terminated, the
 * calls it was running fail with `StoreDiedError`, and the next call starts a
 * fresh one. A download is the exception: it goes on in the fresh worker from
 * the chunks already stored, so a crash costs at most one chunk.
 */
export class StoreSupervisor {
  #options: Required<StoreSupervisorOptions>;
  #life: Life | undefined;

  constructor(options: StoreSupervisorOptions) {
    this.#options = { maxRestarts: 3, backoffMs: 500, pingMs: 2000, hangMs: 20_000, ...options };
  }

  /** Starts the worker and opens the store: every model it knows. */
  open(): Promise<StoredModel[]> {
    return this.#worker().opened;
  }

  /**
   * Replaces the worker, so the next one starts with the policy the service
   * worker now gives its script; a download in flight goes on in it.
   */
  restart(reason: string): void {
    // Forgotten at once: a call made right after must get the new worker, not the dying one.
    const life = this.#life;
    this.#life = undefined;
    life?.end(reason);
  }

  /** Runs `task` against the live worker; rejects with `StoreDiedError` when the worker dies meanwhile. */
  async call<T>(task: (store: Remote<StoreApi>) => Promise<T>): Promise<T> {
    const life = this.#worker();
    life.enter();
    try {
      await life.opened;
      return await Promise.race([task(life.handle.store), life.died]);
    } finally {
      life.leave();
    }
  }

  /**
   * Downloads what is missing of a model; aborting `signal` stops it (stored
   * chunks stay for a resume). Survives `maxRestarts` worker deaths in a row.
   */
  async download(modelId: string, onProgress: (progress: DownloadProgress) => void, signal: AbortSignal): Promise<StoredModel> {
    for (let deaths = 0; ; deaths++) {
      try {
        return await this.call(async (store) => {
          const stop = () => void store.stop(modelId);
          signal.addEventListener('abort', stop);
          try {
            return await store.download(modelId, proxy(onProgress));
          } finally {
            signal.removeEventListener('abort', stop);
          }
        });
      } catch (error) {
        if (!(error instanceof StoreDiedError) || deaths >= this.#options.maxRestarts) throw error;
        await sleep(this.#options.backoffMs * 2 ** deaths);
        if (signal.aborted) throw new CancelledError();
      }
    }
  }

  #worker(): Life {
    if (this.#life) return this.#life;
    const handle = this.#options.spawn();
    const watch = watchdog(() => handle.store.ping(), this.#options);
    let end: (reason: string) => void = () => {};
    const ended = new Promise<string>((resolve) => (end = resolve));
    const died = Promise.race([handle.crashed, watch.hung, ended]).then((reason): never => {
      watch.stop();
      handle.terminate();
      if (this.#life === life) this.#life = undefined;
      throw new StoreDiedError(reason);
    });
    died.catch(() => undefined);
    watch.enter();
    const opened = Promise.race([handle.store.open(this.#options.open), died]).finally(watch.leave);
    opened.catch(() => undefined);
    const life: Life = { handle, died, opened, enter: watch.enter, leave: watch.leave, end };
    this.#life = life;
    return life;
  }
}
