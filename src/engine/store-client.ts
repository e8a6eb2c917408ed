import { proxy, wrap, type Remote } from 'comlink';
import { installErrorTransfer } from '../shared/comlink-errors.ts';
import type { DownloadProgress, StoreApi, StoredModel, StoreOptions } from '../shared/store-protocol.ts';

installErrorTransfer();

/** Starts the model-store worker; the Models state owns the one instance. */
export function spawnStore(): Remote<StoreApi> {
  const worker = new Worker(new URL('../../workers/store.worker.ts', import.meta.url), { type: 'module', name: 'hearth-store' });
  return wrap<StoreApi>(worker);
}

/** Downloads a model in the store worker; aborting `signal` stops it there (stored chunks stay for a resume). */
export async function downloadInWorker(
  store: Remote<StoreApi>,
  modelId: string,
  onProgress: (progress: DownloadProgress) => void,
  signal: AbortSignal,
): Promise<StoredModel> {
  const stop = () => void store.stop(modelId);
  signal.addEventListener('abort', stop);
  try {
    return await store.download(modelId, proxy(onProgress));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/**
 * The e2e build reads a chunk size from the page URL (`?chunkSize=65536`), so a
 * 200 KB test file spans several chunks, and retries after 200 ms instead of
 * 1 s; production keeps the store's defaults (64 MiB chunks).
 */
export function storeTestOptions(): StoreOptions {
  if (import.meta.env.MODE !== 'e2e') return {};
  const chunkSize = Number(new URLSearchParams(location.search).get('chunkSize'));
  return { retryDelayMs: 200, ...(chunkSize > 0 ? { chunkSize } : {}) };
}

/** This origin's storage as the browser reports it. */
export interface StorageStatus {
  usage: number;
  quota: number;
  /** False while the browser may evict the models under storage pressure. */
  persisted: boolean;
}

export async function storageStatus(): Promise<StorageStatus> {
  const [{ usage = 0, quota = 0 }, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted()]);
  return { usage, quota, persisted };
}

/**
 * Asks the browser to keep this origin's storage under pressure; a window-only
 * API, so the main thread asks before each download. Chromium grants it
 * silently to sites with engagement: https://web.dev/articles/persistent-storage
 */
export const requestPersistence = (): Promise<boolean> => navigator.storage.persist();
