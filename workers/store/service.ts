/**
 * The model-store worker's API (`StoreApi`) over the model store, the
 * registry of known models and the downloader. Dependencies are injected so
 * the unit tests run it in Node against fake-indexeddb and a fake `fetch`.
 */
import type { UseStore } from 'idb-keyval';
import { ConfigError, DownloadBusyError, ModelFileError } from '../../src/shared/errors.ts';
import { NETWORK_NAMES, networkPath } from '../../src/shared/networks.ts';
import type { ModelManifest } from '../../src/shared/model.ts';
import type { DownloadProgress, ModelOrigin, StoreApi, StoredModel, StoreOptions } from '../../src/shared/store-protocol.ts';
import { asStorageLost, downloadModel, type RemoteModel } from './downloader.ts';
import { importModel } from './import.ts';
import { openModelStore, type ModelStore } from './model-store.ts';
import { blobSource, relativeLocation, scanOnnx } from './onnx-scan.ts';
import { openRegistry, type ModelRecord, type Registry } from './registry.ts';
import { catalogModel, hubModel, urlModel } from './remote-models.ts';
import { deletePreviewDecoder, downloadPreviewDecoder, listPreviewDecoders } from './preview-decoders.ts';

export interface StoreDeps {
  fetch?: typeof fetch;
  estimate?: () => Promise<StorageEstimate>;
  openStore?: (options: StoreOptions) => ModelStore;
  registry?: Registry;
  previewDecoders?: UseStore;
}

/**
 * Progress at most every `ms`, so a large download does not flood the main
 * thread; a file's last report always goes out, and a report held back goes
 * out `ms` later, so a stalled connection still shows where it stopped.
 */
function throttled(report: (progress: DownloadProgress) => void, ms = 100): (progress: DownloadProgress) => void {
  let last = -Infinity;
  let held: ReturnType<typeof setTimeout> | undefined;
  const send = (progress: DownloadProgress) => {
    clearTimeout(held);
    held = undefined;
    last = Date.now();
    report(progress);
  };
  return (progress) => {
    if (progress.fileLoaded === progress.fileTotal || Date.now() - last >= ms) return send(progress);
    clearTimeout(held);
    held = setTimeout(() => send(progress), ms - (Date.now() - last));
  };
}

/**
 * Checks each component graph the engine will load: it must be ONNX and every
 * external-data file it names must be listed beside it. A bad graph is deleted,
 * so the model never counts as cached and nothing half-usable reaches ORT.
 */
async function checkGraphs(store: ModelStore, manifest: ModelManifest): Promise<void> {
  const graphs = NETWORK_NAMES.map(networkPath).filter((path) => manifest.files.some((file) => file.path === path));
  for (const path of graphs) {
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    try {
      const { externalData } = await scanOnnx(blobSource(await store.readFileBlob(manifest.id, path)), path);
      for (const location of externalData) {
        const listed = manifest.files.some((file) => file.externalData && file.path === folder + relativeLocation(location));
        if (!listed) throw new ModelFileError(path, `needs the external-data file "${location}" beside it, which the model does not list`);
      }
    } catch (error) {
      await store.deleteFile(manifest.id, path);
      throw asStorageLost(error, path);
    }
  }
}

/** Creates the store API; the worker exposes it with comlink. */
export function createStoreService(deps: StoreDeps = {}): StoreApi {
  const fetchImpl: typeof fetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const registry = deps.registry ?? openRegistry();
  const downloads = new Map<string, AbortController>();
  let options: StoreOptions = {};
  let opened: ModelStore | undefined;

  const store = () => {
    if (!opened) throw new Error('The model store was used before open()');
    return opened;
  };

  async function record(modelId: string): Promise<ModelRecord> {
    const found = await registry.get(modelId);
    if (!found) throw new ConfigError('model store', 'model', `a model it knows ("${modelId}" is not one)`);
    return found;
  }

  async function refuseTaken(modelId: string, name: string): Promise<void> {
    if ((options.reservedIds ?? []).includes(modelId) || (await registry.get(modelId)) !== undefined) {
      throw new ConfigError(`model "${name}"`, 'id', `an id no other model uses ("${modelId}" is taken)`);
    }
  }

  async function describe({ manifest, origin, evicted, addedAt }: ModelRecord): Promise<StoredModel> {
    const stored = new Map((await store().listFiles(manifest.id)).map((file) => [file.path, file]));
    const files = manifest.files.map(({ path, size, sha256 }) => {
      const file = stored.get(path);
      const complete = file?.complete === true && file.sha256 === sha256;
      return { path, size, stored: complete ? size : (file?.bytesWritten ?? 0), complete };
    });
    const sum = (key: 'size' | 'stored') => files.reduce((total, file) => total + file[key], 0);
    return { manifest, origin, files, totalBytes: sum('size'), storedBytes: sum('stored'), cached: files.every((file) => file.complete), evicted, addedAt };
  }

  async function add({ manifest, urls }: RemoteModel, origin: ModelOrigin): Promise<StoredModel> {
    await refuseTaken(manifest.id, manifest.name);
    const added: ModelRecord = { manifest, origin, urls, addedAt: Date.now() };
    await registry.put(added);
    return describe(added);
  }

  const list = async () => Promise.all((await registry.list()).map(describe));

  return {
    async open(settings) {
      options = settings;
      opened = deps.openStore?.(settings) ?? openModelStore({ chunkSize: settings.chunkSize });
      await opened.cleanUp();
      const records = await registry.list();
      // Files of no known model are what an import interrupted by a crash left.
      const known = new Set(records.map((known) => known.manifest.id));
      for (const modelId of (await opened.usage()).keys()) if (!known.has(modelId)) await opened.deleteModel(modelId);
      for (const known of records) {
        const { evicted } = await opened.checkPresent(known.manifest.id, known.manifest.files);
        if (evicted.length > 0) await registry.put({ ...known, evicted: { at: Date.now(), files: evicted } });
      }
      return list();
    },

    list,

    addFromUrl: async (url) => add(await urlModel(url, fetchImpl), { kind: 'url', manifestUrl: url }),

    addFromHub: async (repo, revision, manifestText) => add(await hubModel(repo, revision, manifestText, fetchImpl), { kind: 'hub', repo, revision }),

    async addFromCatalog(entry, variantId) {
      const remote = await catalogModel(entry, variantId, fetchImpl);
      const variant = entry.variants.find((candidate) => candidate.id === variantId)!;
      return add(remote, { kind: 'catalog', entryId: entry.id, variantId, repo: variant.repo, revision: variant.revision });
    },

    async importFiles(folder, files) {
      const manifest = await importModel(folder, files, store(), refuseTaken, deps.estimate);
      try {
        await checkGraphs(store(), manifest);
      } catch (error) {
        await store().deleteModel(manifest.id);
        throw error;
      }
      return add({ manifest, urls: {} }, { kind: 'local', folder });
    },

    async download(modelId, onProgress) {
      const known = await record(modelId);
      if (known.origin.kind === 'local') throw new ModelFileError(known.origin.folder, 'was imported from local files, which cannot be downloaded; import the folder again');
      if (downloads.has(modelId)) throw new DownloadBusyError(known.manifest.name);
      const controller = new AbortController();
      downloads.set(modelId, controller);
      try {
        await downloadModel(known, store(), {
          signal: controller.signal,
          onProgress: throttled(onProgress),
          fetch: fetchImpl,
          estimate: deps.estimate,
          retryDelayMs: options.retryDelayMs,
        });
        await checkGraphs(store(), known.manifest);
      } finally {
        downloads.delete(modelId);
      }
      const done = { ...known, evicted: undefined };
      await registry.put(done);
      return describe(done);
    },

    stop(modelId) {
      downloads.get(modelId)?.abort();
    },

    async verify(modelId) {
      const known = await record(modelId);
      for (const file of await store().listFiles(modelId)) if (file.complete) await store().verify(modelId, file.path);
      return describe(known);
    },

    async deleteFiles(modelId) {
      const known = await record(modelId);
      await store().deleteModel(modelId);
      if (known.origin.kind === 'local') await registry.delete(modelId);
      else await registry.put({ ...known, evicted: undefined });
    },

    ping: () => true,

    listPreviewDecoders: () => listPreviewDecoders(deps.previewDecoders),

    downloadPreviewDecoder: (decoder) => downloadPreviewDecoder(decoder, fetchImpl, deps.previewDecoders),

    deletePreviewDecoder: (id) => deletePreviewDecoder(id, deps.previewDecoders),
  };
}
