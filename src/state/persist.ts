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

export const loadImageRecords = (): Promise<[IDBValidKey, unknown][]> => entries(gallery());
export const saveImageRecord = (id: string, value: unknown): Promise<void> => set(id, wrap(value), gallery());
export const deleteImageRecord = (id: IDBValidKey): Promise<void> => del(id, gallery());
export const clearImageRecords = (): Promise<void> => clear(gallery());
