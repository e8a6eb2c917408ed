/**
 * The typed corridor between the main thread and the model-store worker
 * (`workers/store.worker.ts`), which downloads, imports, verifies and deletes
 * model files off the main thread. Errors cross as the named classes of
 * `errors.ts` (`installErrorTransfer`), so the UI branches on `code`.
 */
import type { CatalogEntry, CatalogPreviewDecoder } from './catalog.ts';
import type { Progress } from './progress.ts';
import type { ModelManifest } from './model.ts';

export type DownloadProgress = Extract<Progress, { phase: 'download' }>;

/** Where a stored model came from, which says where its files are fetched again. */
export type ModelOrigin =
  | { kind: 'catalog'; entryId: string; variantId: string; repo: string; revision: string }
  | { kind: 'url'; manifestUrl: string }
  | { kind: 'hub'; repo: string; revision: string }
  /** Picked files: there is nowhere to fetch them again. */
  | { kind: 'local'; folder: string };

/** One file of a model and how much of it is on this device. */
export interface StoredFile {
  path: string;
  size: number;
  /** Bytes stored: whole chunks of a partial download, or `size` once complete and verified. */
  stored: number;
  complete: boolean;
}

/** A model the store knows, with what of it is on this device. */
export interface StoredModel {
  manifest: ModelManifest;
  origin: ModelOrigin;
  files: StoredFile[];
  totalBytes: number;
  storedBytes: number;
  /** Every file complete; each was hash-checked when it was stored. */
  cached: boolean;
  /** Files the browser evicted after they were stored, as found at start; cleared by the next download. */
  evicted?: { at: number; files: string[] };
  addedAt: number;
}

/** A preview decoder stored on its own (`catalog.json` `previewDecoders`), checked against its LFS pointer when stored. */
export interface StoredPreviewDecoder {
  id: string;
  repo: string;
  revision: string;
  size: number;
  sha256: string;
  storedAt: number;
}

/** A picked local file and its path inside the picked folder (`unet/model.onnx`). */
export interface PickedFile {
  path: string;
  file: File;
}

/** Settings of the store worker. */
export interface StoreOptions {
  /** Ids of models outside the store (the built-in one), which no added model may take. */
  reservedIds?: string[];
  /** The e2e build shrinks these so small files span chunks and retries are quick. */
  chunkSize?: number;
  retryDelayMs?: number;
}

/** The model-store worker's API. Long calls stop through `stop`; the client maps an `AbortSignal` onto it. */
export interface StoreApi {
  /** Opens the store: removes what interrupted writes left, finds evicted files, lists every model. Once per page. */
  open(options: StoreOptions): Promise<StoredModel[]>;
  list(): Promise<StoredModel[]>;
  /** Adds the model whose `hearth-model.json` is at `url` (or in the folder `url` ends with `/`). */
  addFromUrl(url: string): Promise<StoredModel>;
  /**
   * Adds a model from a Hugging Face repo at a revision. `manifestText` is a
   * `hearth-model.json`; files in it without `size`/`sha256` get them from the
   * repo's LFS pointers. Empty: the repo's own `hearth-model.json` is used.
   */
  addFromHub(repo: string, revision: string, manifestText: string): Promise<StoredModel>;
  /** Adds a catalog variant; every file's size and sha256 come from its LFS pointer, read now. */
  addFromCatalog(entry: CatalogEntry, variantId: string): Promise<StoredModel>;
  /** Stores picked files without the network (see `workers/store/import.ts` for what is required). */
  importFiles(folder: string, files: PickedFile[]): Promise<StoredModel>;
  /** Downloads what is missing, going on from stored chunks; progress is throttled and never decreases. */
  download(modelId: string, onProgress: (progress: DownloadProgress) => void): Promise<StoredModel>;
  /** Stops the model's download in flight (it rejects with `CancelledError`); stored chunks stay for a resume. */
  stop(modelId: string): void;
  /** Hashes every stored file again; a corrupt one is deleted and named in the `IntegrityError`. */
  verify(modelId: string): Promise<StoredModel>;
  /** Deletes the model's files; a model that can be fetched again stays listed, a local import is forgotten. */
  deleteFiles(modelId: string): Promise<void>;
  /** Answers at once; the supervisor's proof that the worker is alive while a call runs. */
  ping(): true;
  /** Preview decoders stored on their own. */
  listPreviewDecoders(): Promise<StoredPreviewDecoder[]>;
  /** Fetches a catalog preview decoder whole (a few MB) and keeps it once its size and sha256 match its LFS pointer. */
  downloadPreviewDecoder(decoder: CatalogPreviewDecoder): Promise<StoredPreviewDecoder>;
  deletePreviewDecoder(id: string): Promise<void>;
}
