import { createStore, del, entries, get, keys, set, clear, type UseStore } from 'idb-keyval';
import { wrap } from './records.ts';

// idb-keyval's createStore cannot add a store to an existing database, so each store has its own database.
let stateStore: UseStore | undefined;
let galleryStore: UseStore | undefined;
const state = () => (stateStore ??= createStore('hearth-state', 'state'));
const gallery = () => (galleryStore ??= createStore('hearth-gallery', 'images'));

/** Reads one saved app-state record (settings, queue...) as stored; `records.ts` checks it. */
export const loadRecord = (key: string): Promise<unknown> => get(key, state());
/** Saves one app-state value in the current schema; values are structured-cloned. */
export const saveRecord = (key: string, value: unknown): Promise<void> => set(key, wrap(value), state());
export const deleteRecord = (key: string): Promise<void> => del(key, state());
export const recordKeys = (): Promise<IDBValidKey[]> => keys(state());

/**
 * A setting the user changed just before the page reloads must survive it, but
 * the browser aborts an IndexedDB write still in flight when the page goes, and
 * that write can wait up to a second behind a model's reads (docs/storage.md,
 * "Settings across a reload"). So a setting is also put in localStorage, which
 * writes at once, until IndexedDB has it. Settings are small JSON values.
 */
const PENDING_PREFIX = 'hearth-pending-setting:';

const pendingKey = (key: string) => PENDING_PREFIX + key;

/** localStorage, where the page may use it (a browser can refuse it: then IndexedDB alone). */
function pendingStorage(): Storage | undefined {
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

async function writeThrough(key: string, record: unknown, pending: string): Promise<void> {
  await set(key, record, state());
  // A newer value saved meanwhile stays pending until its own write lands.
  const storage = pendingStorage();
  if (storage?.getItem(pendingKey(key)) === pending) storage.removeItem(pendingKey(key));
}

/** Saves a setting (a JSON value) so that it survives a reload that follows at once. */
export async function saveSetting(key: string, value: unknown): Promise<void> {
  const record = wrap(value);
  const pending = JSON.stringify(record);
  try {
    pendingStorage()?.setItem(pendingKey(key), pending);
  } catch {
    // Full or refused: the IndexedDB write still runs.
  }
  await writeThrough(key, record, pending);
}

/** Reads a setting as last saved: one whose IndexedDB write never landed is taken from localStorage and written now. */
export async function loadSetting(key: string): Promise<unknown> {
  const pending = pendingStorage()?.getItem(pendingKey(key));
  if (pending === null || pending === undefined) return loadRecord(key);
  let record: unknown;
  try {
    record = JSON.parse(pending);
  } catch {
    pendingStorage()?.removeItem(pendingKey(key));
    return loadRecord(key);
  }
  await writeThrough(key, record, pending);
  return record;
}

export const loadImageRecords = (): Promise<[IDBValidKey, unknown][]> => entries(gallery());
export const saveImageRecord = (id: string, value: unknown): Promise<void> => set(id, wrap(value), gallery());
export const deleteImageRecord = (id: IDBValidKey): Promise<void> => del(id, gallery());
export const clearImageRecords = (): Promise<void> => clear(gallery());
