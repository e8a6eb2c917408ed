import { wrap, type Remote } from 'comlink';
import { installErrorTransfer } from '../shared/comlink-errors.ts';
import type { StoreApi } from '../shared/store-protocol.ts';
import { trackStoreWorker } from './faults.ts';

installErrorTransfer();

/** A running model-store worker: its API, a way to kill it, and how it died. */
export interface StoreHandle {
  store: Remote<StoreApi>;
  /** Resolves with a reason when the worker throws or its messages break. */
  crashed: Promise<string>;
  terminate(): void;
}

/** Starts a fresh model-store worker. Only the store supervisor calls this. */
export function spawnStore(): StoreHandle {
  const worker = new Worker(new URL('../../workers/store.worker.ts', import.meta.url), { type: 'module', name: 'hearth-store' });
  const crashed = new Promise<string>((resolve) => {
    worker.addEventListener('error', (event) => resolve(`it crashed: ${event.message || 'worker error'}`));
    worker.addEventListener('messageerror', () => resolve('it sent a message that could not be read'));
  });
  if (import.meta.env.MODE === 'e2e') trackStoreWorker(worker);
  return { store: wrap<StoreApi>(worker), crashed, terminate: () => worker.terminate() };
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
