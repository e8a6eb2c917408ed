/**
 * What the browser itself gives, measured in the page beside the app: the
 * floors a download or a load from the store is compared with.
 */
import type { Page } from '@playwright/test';

const CHUNK = 64 * 2 ** 20;

/** Reads every stored chunk of a model back from IndexedDB in the page, as bytes: the floor for any load from the store. */
export function rawIdbReadMs(page: Page, modelId: string): Promise<{ ms: number; bytes: number }> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('hearth-models-chunks');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const started = performance.now();
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const request = db.transaction('chunks').objectStore('chunks').getAllKeys(IDBKeyRange.bound([id], [id, []]));
      request.onsuccess = () => resolve(request.result);
    });
    let bytes = 0;
    for (const key of keys) {
      const blob = await new Promise<Blob>((resolve) => {
        const request = db.transaction('chunks').objectStore('chunks').get(key);
        request.onsuccess = () => resolve(request.result);
      });
      bytes += (await blob.arrayBuffer()).byteLength;
    }
    db.close();
    return { ms: performance.now() - started, bytes };
  }, modelId);
}

/**
 * Bytes per second of writing `chunks` 64 MiB Blobs, one transaction each as
 * the store writes them, into a scratch database that is deleted after: the
 * disk's side of a download.
 */
export function rawIdbWriteBytesPerSecond(page: Page, chunks: number): Promise<number> {
  return page.evaluate(
    async ([count, size]) => {
      const name = 'hearth-raw-write-baseline';
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onupgradeneeded = () => open.result.createObjectStore('chunks');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      // Incompressible bytes, as model weights are; one buffer reused, a new Blob per chunk.
      const bytes = new Uint8Array(size);
      for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
      const started = performance.now();
      for (let index = 0; index < count; index++) {
        bytes[0] = index;
        await new Promise<void>((resolve, reject) => {
          const transaction = db.transaction('chunks', 'readwrite');
          transaction.objectStore('chunks').put(new Blob([bytes]), index);
          transaction.oncomplete = () => resolve();
          transaction.onerror = () => reject(transaction.error);
        });
      }
      const seconds = (performance.now() - started) / 1000;
      db.close();
      await new Promise((resolve) => (indexedDB.deleteDatabase(name).onsuccess = resolve));
      return (count * size) / seconds;
    },
    [chunks, CHUNK] as const,
  );
}

/**
 * Bytes per second of a plain fetch of `urls`, bodies read and dropped: what
 * the server and the network give. It runs in the store worker, where
 * downloads run: the page's CSP refuses model hosts.
 */
export async function rawFetchBytesPerSecond(page: Page, urls: string[]): Promise<number> {
  const worker = page.workers().find((candidate) => candidate.url().includes('store.worker'));
  if (!worker) throw new Error('the store worker is not running');
  return worker.evaluate(async (list) => {
    const started = performance.now();
    let bytes = 0;
    for (const url of list) {
      const reader = (await fetch(url, { cache: 'no-store' })).body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.length;
    }
    return bytes / ((performance.now() - started) / 1000);
  }, urls);
}

/** Records `performance.now()` when the engine first says Ready, in an init script, so the clock starts at navigation. */
export async function recordReady(page: Page): Promise<void> {
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.querySelector('[data-testid="engine-state"]')?.textContent === 'Ready') {
        (window as unknown as { __readyAt: number }).__readyAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

export const readyAtMs = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { __readyAt: number }).__readyAt);
