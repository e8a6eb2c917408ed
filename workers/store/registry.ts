/**
 * The models the store knows, whether or not their files are on this device:
 * each manifest (with the sizes and hashes learnt before its download), where
 * its files come from, and evictions found at start. Its own database, since
 * idb-keyval cannot add a store to an existing one.
 */
import { createStore, del, get, set, values } from 'idb-keyval';
import type { ModelManifest } from '../../src/shared/model.ts';
import type { ModelOrigin, StoredModel } from '../../src/shared/store-protocol.ts';

/** One known model, as saved. */
export interface ModelRecord {
  manifest: ModelManifest;
  origin: ModelOrigin;
  /** Download URL by manifest path; empty for a local import. */
  urls: Record<string, string>;
  addedAt: number;
  evicted?: StoredModel['evicted'];
}

export interface Registry {
  get(modelId: string): Promise<ModelRecord | undefined>;
  put(record: ModelRecord): Promise<void>;
  delete(modelId: string): Promise<void>;
  /** Every record, oldest first. */
  list(): Promise<ModelRecord[]>;
}

/** Opens the registry; tests pass their own database name. */
export function openRegistry(name = 'hearth-models-registry'): Registry {
  const records = createStore(name, 'models');
  return {
    get: (modelId) => get<ModelRecord>(modelId, records),
    put: (record) => set(record.manifest.id, record, records),
    delete: (modelId) => del(modelId, records),
    list: async () => (await values<ModelRecord>(records)).sort((a, b) => a.addedAt - b.addedAt),
  };
}
