import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deleteRecord, loadRecord, loadSetting, recordKeys, saveSetting } from './persist.ts';

/** An in-memory Storage, as a page's localStorage. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    key: (index) => [...items.keys()][index] ?? null,
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
    clear: () => items.clear(),
  };
}

/** Makes the next IndexedDB put fail, as a write the browser aborted when the page went. */
function loseNextWrite(): void {
  const put = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementationOnce(() => {
    put.mockRestore();
    throw new DOMException('The transaction was aborted.', 'AbortError');
  });
}

describe('settings across a reload', () => {
  let storage: Storage;

  beforeEach(async () => {
    for (const key of await recordKeys()) await deleteRecord(String(key));
    storage = memoryStorage();
    vi.stubGlobal('localStorage', storage);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('reads back a setting whose IndexedDB write never landed, and writes it then', async () => {
    await saveSetting('memory', { lowMemory: false, residentModels: 1 });
    loseNextWrite();
    await expect(saveSetting('memory', { lowMemory: true, residentModels: 1 })).rejects.toThrow('aborted');
    expect(await loadRecord('memory')).toMatchObject({ value: { lowMemory: false } });

    expect(await loadSetting('memory')).toMatchObject({ value: { lowMemory: true } });
    expect(await loadRecord('memory')).toMatchObject({ value: { lowMemory: true } });
    expect(storage.length, 'nothing stays pending once IndexedDB has it').toBe(0);
  });

  it('keeps nothing pending once a write lands, and reads IndexedDB then', async () => {
    await saveSetting('backend', 'wasm');
    expect(storage.length).toBe(0);
    expect(await loadSetting('backend')).toMatchObject({ value: 'wasm' });
  });

  it('keeps the newest of two quick saves pending until its own write lands', async () => {
    const first = saveSetting('previews', 1);
    const second = saveSetting('previews', 5);
    await first;
    expect(storage.length, 'the newer value is still pending after the older write').toBe(1);
    await second;
    expect(storage.length).toBe(0);
    expect(await loadSetting('previews')).toMatchObject({ value: 5 });
  });

  it('still saves to IndexedDB where localStorage refuses or is missing', async () => {
    vi.spyOn(storage, 'setItem').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await saveSetting('backend', 'webgpu');
    expect(await loadSetting('backend')).toMatchObject({ value: 'webgpu' });

    vi.stubGlobal('localStorage', undefined);
    await saveSetting('backend', 'wasm');
    expect(await loadSetting('backend')).toMatchObject({ value: 'wasm' });
  });

  it('ignores a pending entry that is not JSON', async () => {
    await saveSetting('backend', 'wasm');
    storage.setItem('hearth-pending-setting:backend', '{not json');
    expect(await loadSetting('backend')).toMatchObject({ value: 'wasm' });
    expect(storage.length).toBe(0);
  });
});
