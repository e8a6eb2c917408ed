/** What the e2e build changes in the store supervisor and its workers; production builds get the defaults. */
import type { StoreOptions } from '../shared/store-protocol.ts';
import type { StoreWatch } from './store-supervisor.ts';

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

/**
 * The e2e build notices a killed store worker in seconds instead of the
 * production 20 s; not in one, since hashing a 64 MiB chunk on a loaded 2-core
 * machine took longer than that (docs/real-size.md).
 */
export function storeTestWatch(): Partial<StoreWatch> {
  return import.meta.env.MODE === 'e2e' ? { pingMs: 250, hangMs: 5000 } : {};
}
