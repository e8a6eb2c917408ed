import { requestPersistence, spawnStore, storageStatus, type StorageStatus } from '../engine/store-client.ts';
import { storeTestOptions, storeTestWatch } from '../engine/store-test-settings.ts';
import { StoreSupervisor } from '../engine/store-supervisor.ts';
import { parseCatalog, type Catalog } from '../shared/catalog.ts';
import { manifestMisfit, pickVariant } from '../shared/device-fit.ts';
import { ConfigError, HearthError, LicenceNotAcceptedError, QuotaError, StorageLostError, StorageRefusedError, UnsupportedModelError } from '../shared/errors.ts';
import { parseManifest } from '../shared/manifest.ts';
import { addOrigin, isBuiltInHost } from '../shared/model-hosts.ts';
import type { Progress } from '../shared/progress.ts';
import type { EngineInfo } from '../shared/backend.ts';
import type { ModelManifest, ModelSource } from '../shared/model.ts';
import type { DownloadProgress, StoredModel, StoredPreviewDecoder } from '../shared/store-protocol.ts';
import { modelRows, type ModelRow } from './model-rows.ts';
import { withPreviewDecoder, type SharedPreviewDecoder } from './preview-source.ts';
import { loadSetting, saveSetting } from './persist.ts';
import type { LoadReport } from './report.ts';
import { storageMessage } from './storage-message.ts';
import { addSample, transferRate, type RateSample } from './transfer.ts';

const LAST_MODEL_KEY = 'model';
const LICENCES_KEY = 'licences';

/** A download in flight as the view shows it. */
export interface DownloadView {
  progress?: DownloadProgress;
  /** Bytes of each file so far by path, files stored before this download included. */
  files: ReadonlyMap<string, number>;
  rate?: { bytesPerSecond: number; secondsLeft: number };
}

/** An error beside a model or a form: its code (for tests and styling) and a message naming the file and the reason. */
export interface ShownError {
  code: string;
  message: string;
}

type UrlSource = Extract<ModelSource, { kind: 'url' }>;

/** The test model shipped with the app: tiny, offline, abstract images only. */
async function builtInModel(): Promise<UrlSource> {
  const baseUrl = new URL('models/tiny/', document.baseURI).href;
  const response = await fetch(new URL('hearth-model.json', baseUrl));
  if (!response.ok) throw new Error(`The built-in model's manifest is missing (HTTP ${response.status}).`);
  // A model may ship a preview decoder of its own (preview_decoder/model.onnx); withPreviewDecoder finds it.
  return withPreviewDecoder({ kind: 'url', baseUrl, manifest: parseManifest(await response.json()) }, []);
}

function shown(error: unknown): ShownError {
  // The storage errors' own messages round to MiB and leave out what the user can do.
  if (error instanceof QuotaError || error instanceof StorageRefusedError || error instanceof StorageLostError) {
    return { code: error.code, message: storageMessage(error) };
  }
  return { code: error instanceof HearthError ? error.code : 'unknown', message: error instanceof Error ? error.message : String(error) };
}

/** Where a store call's busy state and error show: beside a model, or at the add form. */
type Place = { modelId: string; what?: 'verify' | 'delete' } | 'add';

/** A copy of `map` with `key` set to `value`, or removed for `undefined`: `$state.raw` sees a new Map. */
function updated<V>(map: ReadonlyMap<string, V>, key: string, value: V | undefined): ReadonlyMap<string, V> {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
}

/** The models the app knows (built-in, catalog, stored), their downloads, and the store worker that holds them. */
class ModelsState {
  builtIn = $state.raw<ModelManifest | undefined>();
  catalog = $state.raw<Catalog | undefined>();
  stored = $state.raw<StoredModel[]>([]);
  /** Preview decoders (TAESD) stored on their own. */
  previewDecoders = $state.raw<StoredPreviewDecoder[]>([]);
  storage = $state.raw<StorageStatus | undefined>();
  /**
   * Keyed by model id. Every map keyed by an id or a path is a Map: a plain
   * object answers `constructor` or `__proto__` with what it inherits.
   */
  downloads = $state.raw<ReadonlyMap<string, DownloadView>>(new Map());
  /** Keyed by model id. */
  errors = $state.raw<ReadonlyMap<string, ShownError>>(new Map());
  /** Errors of the add forms, of opening the store and of reading the catalog. */
  panelErrors = $state.raw<{ add?: ShownError; store?: ShownError; catalog?: ShownError }>({});
  /** What runs per model id (`verify`, `delete`, `download`), so its buttons wait. */
  busy = $state.raw<ReadonlyMap<string, string>>(new Map());
  /** An add form's call runs. */
  adding = $state.raw(false);
  /** Model ids whose last Verify found every file intact. */
  verified = $state.raw<string[]>([]);
  /** Catalog entries whose licence the user accepted. */
  accepted = $state.raw<string[]>([]);
  lastLoad = $state.raw<LoadReport | undefined>();

  #builtIn: UrlSource | undefined;
  #store: StoreSupervisor | undefined;
  #downloads = new Map<string, { controller: AbortController; samples: RateSample[] }>();
  /** The call running per key, so Cancel can wait for its download to end. */
  #running = new Map<string, Promise<void>>();

  /** The rows of the Models view; which catalog variant fits depends on the engine's adapter. */
  rows(engine: EngineInfo | undefined): ModelRow[] {
    // navigator.deviceMemory is Chromium's; elsewhere the adapter alone decides.
    const deviceMemoryGiB = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
    return modelRows({ builtIn: this.builtIn, catalog: this.catalog, stored: this.stored, engine, deviceMemoryGiB });
  }

  /**
   * Opens the store (which drops leftovers of interrupted writes and finds
   * evicted files) and returns the model to load first: the last one used when
   * it is still cached, else the built-in one.
   */
  async start(): Promise<ModelSource> {
    const builtIn = await builtInModel();
    this.#builtIn = builtIn;
    this.builtIn = builtIn.manifest;
    void this.#loadCatalog();
    void this.#restoreLicences();
    void this.refreshStorage();
    try {
      this.#store = new StoreSupervisor({ spawn: spawnStore, open: { reservedIds: [builtIn.manifest.id], ...storeTestOptions() }, ...storeTestWatch() });
      this.stored = await this.#store.open();
      // Models added before the store worker had a policy: their hosts join it.
      for (const model of this.stored) if (model.origin.kind === 'url') await this.#allowHostOf(model.origin.manifestUrl);
      this.previewDecoders = await this.#store.call((s) => s.listPreviewDecoders());
    } catch (error) {
      this.panelErrors = { ...this.panelErrors, store: shown(error) };
      return builtIn;
    }
    const last = await loadSetting(LAST_MODEL_KEY);
    const lastId = typeof last === 'object' && last !== null && 'value' in last && typeof last.value === 'string' ? last.value : undefined;
    return this.sourceFor(lastId) ?? builtIn;
  }

  /** Where the engine finds a model, when it can be loaded now: the built-in one, or a cached one from the store. */
  sourceFor(modelId: string | undefined): ModelSource | undefined {
    if (modelId === this.#builtIn?.manifest.id) return this.#builtIn;
    const model = this.stored.find((candidate) => candidate.manifest.id === modelId && candidate.cached);
    return model && withPreviewDecoder({ kind: 'store', modelId: model.manifest.id, manifest: model.manifest }, this.#sharedPreviewDecoders());
  }

  /** Stored preview decoders the catalog still describes, with the latent space each decodes. */
  #sharedPreviewDecoders(): SharedPreviewDecoder[] {
    return (this.catalog?.previewDecoders ?? []).flatMap((decoder) =>
      this.previewDecoders.some((stored) => stored.id === decoder.id) ? [{ file: { kind: 'shared' as const, id: decoder.id }, vaeScalingFactor: decoder.vaeScalingFactor }] : [],
    );
  }

  /** Downloads a catalog preview decoder (TAESD) whole, once its licence is accepted. */
  downloadPreviewDecoder(id: string): Promise<void> {
    return this.#run({ modelId: id }, async (store) => {
      const decoder = this.catalog?.previewDecoders.find((candidate) => candidate.id === id);
      if (!decoder) throw new ConfigError('Models', 'preview decoder', `a listed preview decoder ("${id}" is not one)`);
      if (!this.accepted.includes(id)) throw new ConfigError(decoder.name, 'licence', `accepted before the first download (${decoder.licence.name})`);
      void requestPersistence().then(() => this.refreshStorage());
      await store.call((s) => s.downloadPreviewDecoder(decoder));
      this.previewDecoders = await store.call((s) => s.listPreviewDecoders());
    });
  }

  deletePreviewDecoder(id: string): Promise<void> {
    return this.#run({ modelId: id, what: 'delete' }, async (store) => {
      await store.call((s) => s.deletePreviewDecoder(id));
      this.previewDecoders = await store.call((s) => s.listPreviewDecoders());
    });
  }

  /** Remembers the model in use, for the next start. */
  remember(modelId: string): void {
    void saveSetting(LAST_MODEL_KEY, modelId);
  }

  recordLoad(progress: Progress): void {
    if (progress.phase !== 'load') return;
    const { component, ms, readMs, bytes, from } = progress;
    const earlier = progress.index === 1 ? [] : (this.lastLoad?.components ?? []);
    this.lastLoad = { from, components: [...earlier, { component, ms, readMs, bytes }] };
  }

  recordError(modelId: string, error: unknown): void {
    this.errors = updated(this.errors, modelId, shown(error));
  }

  acceptLicence(modelId: string): void {
    this.accepted = [...this.accepted, modelId];
    void saveSetting(LICENCES_KEY, this.accepted);
  }

  addFromUrl(url: string): Promise<void> {
    return this.#run('add', async (store) => {
      await this.#allowHostOf(url.trim());
      this.#replace(await store.call((s) => s.addFromUrl(url.trim())));
    });
  }

  addFromHub(repo: string, revision: string, manifestText: string): Promise<void> {
    return this.#run('add', async (store) => this.#replace(await store.call((s) => s.addFromHub(repo.trim(), revision.trim() || 'main', manifestText))));
  }

  /** Imports a folder picked with `<input webkitdirectory>`: each file's path inside it comes from `webkitRelativePath`. */
  importFolder(files: readonly File[]): Promise<void> {
    const folder = files[0]?.webkitRelativePath.split('/')[0] ?? '';
    const picked = files.map((file) => ({ path: file.webkitRelativePath.split('/').slice(1).join('/') || file.name, file }));
    return this.#run('add', async (store) => this.#replace(await store.call((s) => s.importFiles(folder, picked))));
  }

  /** Downloads what is missing of a model; a catalog entry is added first, with its sizes and hashes read from the Hub. */
  download(modelId: string, engine: EngineInfo | undefined): Promise<void> {
    return this.#run({ modelId }, async (store) => {
      let model = this.stored.find((candidate) => candidate.manifest.id === modelId);
      if (!model) {
        const entry = this.catalog?.models.find((candidate) => candidate.id === modelId);
        if (!entry) throw new ConfigError('Models', 'model', `a listed model ("${modelId}" is not one)`);
        if (!this.accepted.includes(entry.id)) throw new LicenceNotAcceptedError(entry.name, entry.licence.name);
        const choice = pickVariant(entry, engine?.backend === 'webgpu' ? engine.adapter : undefined);
        if ('reason' in choice) throw new UnsupportedModelError(entry.name, choice.reason);
        model = await store.call((s) => s.addFromCatalog(entry, choice.variant.id));
        this.#replace(model);
      }
      const misfit = engine && manifestMisfit(model.manifest, engine.backend, engine.adapter);
      if (misfit) throw new UnsupportedModelError(model.manifest.name, misfit);
      void requestPersistence().then(() => this.refreshStorage());
      const controller = new AbortController();
      const files = new Map(model.files.map((file) => [file.path, file.stored]));
      this.downloads = updated(this.downloads, modelId, { files });
      const done = store.download(modelId, (progress) => this.#onProgress(modelId, progress), controller.signal);
      this.#downloads.set(modelId, { controller, samples: [] });
      try {
        this.#replace(await done);
        this.verified = [...this.verified, modelId];
      } finally {
        this.#downloads.delete(modelId);
        this.downloads = updated(this.downloads, modelId, undefined);
      }
    });
  }

  /** Stops a download; what is stored stays, and Download goes on from it. */
  pause(modelId: string): void {
    this.#downloads.get(modelId)?.controller.abort();
  }

  /** Stops a download and deletes what it stored. */
  async cancel(modelId: string): Promise<void> {
    this.#downloads.get(modelId)?.controller.abort();
    // The worker may be storing a chunk; deleting before the download ends would leave that chunk behind.
    await this.#running.get(modelId);
    await this.deleteFiles(modelId);
  }

  verify(modelId: string): Promise<void> {
    this.verified = this.verified.filter((id) => id !== modelId);
    return this.#run({ modelId, what: 'verify' }, async (store) => {
      this.#replace(await store.call((s) => s.verify(modelId)));
      this.verified = [...this.verified, modelId];
    });
  }

  deleteFiles(modelId: string): Promise<void> {
    return this.#run({ modelId, what: 'delete' }, async (store) => {
      await store.call((s) => s.deleteFiles(modelId));
      this.stored = await store.call((s) => s.list());
    });
  }

  async refreshStorage(): Promise<void> {
    this.storage = await storageStatus();
  }

  /**
   * Runs one store call at `place`: marks it busy, shows its error there,
   * refreshes the storage numbers. However the call ends, the busy mark goes.
   */
  #run(place: Place, task: (store: StoreSupervisor) => Promise<void>): Promise<void> {
    const store = this.#store;
    if (!store || this.#isBusy(place)) return Promise.resolve();
    this.#mark(place, true);
    const running = (async () => {
      try {
        await task(store);
      } catch (error) {
        // Pause and Cancel end a download with CancelledError: what the user asked for, not a failure.
        if (!(error instanceof HearthError && error.code === 'cancelled')) this.#showError(place, error);
        // A store that died again keeps the list it had; the error above already says so.
        this.stored = await store.call((s) => s.list()).catch(() => this.stored);
      } finally {
        this.#mark(place, false);
        void this.refreshStorage();
      }
    })();
    if (place !== 'add') this.#running.set(place.modelId, running);
    return running;
  }

  #isBusy(place: Place): boolean {
    return place === 'add' ? this.adding : this.busy.has(place.modelId);
  }

  /** Starts (clearing the place's last error) or ends a call's busy state. */
  #mark(place: Place, busy: boolean): void {
    if (place === 'add') {
      this.adding = busy;
      if (busy) this.panelErrors = { ...this.panelErrors, add: undefined };
      return;
    }
    this.busy = updated(this.busy, place.modelId, busy ? (place.what ?? 'download') : undefined);
    if (busy) this.errors = updated(this.errors, place.modelId, undefined);
    else this.#running.delete(place.modelId);
  }

  #showError(place: Place, error: unknown): void {
    if (place === 'add') this.panelErrors = { ...this.panelErrors, add: shown(error) };
    else this.recordError(place.modelId, error);
  }

  /**
   * The store worker may fetch only from hosts its policy names
   * (`src/shared/model-hosts.ts`): a new one is recorded, then the worker
   * restarts so that its script comes back with the new policy. A URL that
   * does not parse is left for the store to refuse.
   */
  async #allowHostOf(input: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return;
    }
    if (!/^https?:$/.test(url.protocol) || isBuiltInHost(url, location.origin) || !(await addOrigin(url.origin))) return;
    this.#store?.restart(`it restarted to allow ${url.origin}`);
  }

  #replace(model: StoredModel): void {
    const others = this.stored.filter((candidate) => candidate.manifest.id !== model.manifest.id);
    this.stored = [...others, model].sort((a, b) => a.addedAt - b.addedAt);
  }

  #onProgress(modelId: string, progress: DownloadProgress): void {
    const download = this.#downloads.get(modelId);
    const view = this.downloads.get(modelId);
    if (!download || !view) return;
    download.samples = addSample(download.samples, { at: progress.at, loaded: progress.loaded });
    const files = new Map(view.files).set(progress.file, progress.fileLoaded);
    this.downloads = updated(this.downloads, modelId, { progress, files, rate: transferRate(download.samples, progress.total) });
  }

  async #loadCatalog(): Promise<void> {
    try {
      const response = await fetch(new URL('catalog.json', document.baseURI));
      if (!response.ok) throw new Error(`catalog.json could not be fetched (HTTP ${response.status}).`);
      this.catalog = parseCatalog(await response.json());
    } catch (error) {
      this.panelErrors = { ...this.panelErrors, catalog: shown(error) };
    }
  }

  async #restoreLicences(): Promise<void> {
    const saved = await loadSetting(LICENCES_KEY);
    const list = typeof saved === 'object' && saved !== null && 'value' in saved && Array.isArray(saved.value) ? saved.value : [];
    this.accepted = [...new Set([...this.accepted, ...list.filter((id): id is string => typeof id === 'string')])];
  }
}

export const models = new ModelsState();
