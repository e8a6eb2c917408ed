import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';

// idb-keyval's createStore cannot add a store to an existing database, so each store has its own database.
let stateStore: UseStore | undefined;
let galleryStore: UseStore | undefined;
const state = () => (stateStore ??= createStore('hearth-state', 'state'));
const gallery = () => (galleryStore ??= createStore('hearth-gallery', 'images'));

/** Reads one saved app-state value (settings, queue...). */
export const loadState = <T>(key: string): Promise<T | undefined> => get<T>(key, state());
/** Saves one app-state value; values are structured-cloned. */
export const saveState = (key: string, value: unknown): Promise<void> => set(key, value, state());

export const loadGallery = <T>(): Promise<[IDBValidKey, T][]> => entries<IDBValidKey, T>(gallery());
export const saveImage = (id: string, value: unknown): Promise<void> => set(id, value, gallery());
export const deleteImage = (id: string): Promise<void> => del(id, gallery());
