/**
 * Streams model files from the network into the model store, one chunk at a
 * time, so no whole file is ever held in memory. A download goes on from the
 * last stored chunk with a `Range` request, after a dropped connection within a
 * call or after a reload in a later one, and transient failures are retried with
 * back-off.
 */
import { CancelledError, DownloadError, QuotaError, StorageLostError, StorageRefusedError } from '../../src/shared/errors.ts';
import type { ModelManifest } from '../../src/shared/model.ts';
import { reportedRoom } from '../../src/shared/storage-estimate.ts';
import type { DownloadProgress } from '../../src/shared/store-protocol.ts';
import { isStorageRefusal, type FileSpec, type FileWriter, type ModelStore } from './model-store.ts';
import { writeStream } from './write-stream.ts';

export type { DownloadProgress };

/** A model to download: its manifest and where each file comes from. */
export interface RemoteModel {
  manifest: ModelManifest;
  /** Download URL by manifest path: files of a folder URL, or Hugging Face `resolve` URLs. */
  urls: Record<string, string>;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Failures in a row, without a chunk stored in between, that are retried. */
  retries?: number;
  /** Wait before the first retry; each further one waits twice as long. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface FileDownloadOptions extends DownloadOptions {
  /** Bytes of the file received so far, never decreasing. */
  onProgress?: (loaded: number) => void;
}

export interface ModelDownloadOptions extends DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** The storage estimate, `navigator.storage.estimate` unless a test injects one. */
  estimate?: () => Promise<StorageEstimate>;
}

/** Downloads one file into the store, going on from what an earlier call stored. */
export async function downloadFile(
  url: string | URL,
  modelId: string,
  file: FileSpec,
  store: ModelStore,
  options: FileDownloadOptions = {},
): Promise<void> {
  const { signal, retries = 4, retryDelayMs = 1000, onProgress } = options;
  const writer = await store.beginFile(modelId, file);
  let loaded = -1;
  // A retry goes back to the last whole chunk; the bytes received again are not reported twice.
  const report = (position: number) => {
    if (position <= loaded) return;
    loaded = position;
    onProgress?.(loaded);
  };
  for (let failures = 0; ; ) {
    const offset = writer.offset;
    try {
      report(offset);
      if (offset !== file.size) await transfer(url, file.path, writer, report, options);
      return await writer.finish();
    } catch (error) {
      // The chunk being stored may still land; the next try goes on after it, and its failure outweighs the network's.
      const storeFailure = await writer.rewind().then(
        () => undefined,
        (storeError: unknown) => storeError,
      );
      if (signal?.aborted) throw new CancelledError();
      if (storeFailure !== undefined) throw storeFailure;
      failures = writer.offset > offset ? 1 : failures + 1; // A stored chunk ends a run of failures.
      if (!(error instanceof DownloadError && isTransient(error)) || failures > retries) throw error;
      await sleep(retryDelayMs * 2 ** (failures - 1), signal);
    }
  }
}

/**
 * Throws `QuotaError` with the numbers when `needed` more bytes would not fit
 * in the room the browser reports; a fixed estimate says nothing, so then the
 * writes themselves find out.
 */
export async function ensureRoom(needed: number, estimate: () => Promise<StorageEstimate> = () => navigator.storage.estimate()): Promise<void> {
  const room = reportedRoom(await estimate());
  if (room !== undefined && needed > room) throw new QuotaError(needed, room);
}

/** A `NotReadableError` reading back what was stored becomes `StorageLostError` naming the file; anything else stays. */
export function asStorageLost(error: unknown, file: string): unknown {
  return error instanceof DOMException && error.name === 'NotReadableError' ? new StorageLostError(file, error.message) : error;
}

/**
 * The browser's own refusals in words: a write refused for space, or a chunk
 * the browser would not hold, becomes `StorageRefusedError` with what this
 * model has stored and still needs (the stored chunks stay for a Resume), a
 * read-back failure `StorageLostError`.
 */
async function asStorageError(error: unknown, modelId: string, file: string, total: number, store: ModelStore): Promise<unknown> {
  return isStorageRefusal(error) ? storageRefused(store, modelId, total) : asStorageLost(error, file);
}

/** A refusal to store more, with what the store holds of the model now; `kept` false where it is about to be removed. */
export async function storageRefused(store: ModelStore, modelId: string, total: number, kept = true): Promise<StorageRefusedError> {
  const stored = sum((await store.listFiles(modelId)).map((file) => file.bytesWritten));
  return new StorageRefusedError(stored, total - stored, total, kept);
}

/** Downloads the files of a model that are not stored yet, once the browser's quota shows they fit. */
export async function downloadModel({ manifest, urls }: RemoteModel, store: ModelStore, options: ModelDownloadOptions = {}): Promise<void> {
  const { onProgress, estimate } = options;
  const { missing } = await store.checkPresent(manifest.id, manifest.files);
  // Bytes already stored either stay (a resume) or are freed (a restart), so only the rest is needed.
  const written = new Map((await store.listFiles(manifest.id)).map((file) => [file.path, file.bytesWritten]));
  await ensureRoom(sum(missing.map((file) => file.size - (written.get(file.path) ?? 0))), estimate);

  const total = sum(manifest.files.map((file) => file.size));
  let stored = total - sum(missing.map((file) => file.size));
  for (const file of missing) {
    const onFileProgress = (fileLoaded: number) =>
      onProgress?.({
        phase: 'download',
        modelId: manifest.id,
        file: file.path,
        fileLoaded,
        fileTotal: file.size,
        loaded: stored + fileLoaded,
        total,
        at: Date.now(),
      });
    // Own keys only: a file named `constructor` must not find Object's.
    const url = Object.hasOwn(urls, file.path) ? urls[file.path] : undefined;
    if (url === undefined) throw new DownloadError(file.path, 'the model names no URL for it');
    try {
      await downloadFile(url, manifest.id, file, store, { ...options, onProgress: onFileProgress });
    } catch (error) {
      throw await asStorageError(error, manifest.id, file.path, total, store);
    }
    stored += file.size;
  }
}

/** One request: from `writer.offset` to the end of the file, stored chunk by chunk. */
async function transfer(
  url: string | URL,
  path: string,
  writer: FileWriter,
  report: (position: number) => void,
  { signal, fetch: fetchImpl = globalThis.fetch }: DownloadOptions,
): Promise<void> {
  const start = writer.offset;
  const response = await fetchImpl(url, {
    headers: start > 0 ? { Range: `bytes=${start}-` } : {},
    // The store is the cache; the HTTP cache would only keep a second copy.
    cache: 'no-store',
    signal,
  }).catch((error: unknown) => {
    throw new DownloadError(path, reason(error));
  });
  if (!response.ok || !response.body) throw new DownloadError(path, `HTTP ${response.status}`, response.status);
  if (start > 0 && response.status !== 206) {
    await writer.restart(); // The server ignored `Range` and sends the whole file.
  } else if (start > 0) {
    // A cross-origin server that does not expose Content-Range hides it; then the 206 is trusted:
    // https://fetch.spec.whatwg.org/#cors-safelisted-response-header-name
    const contentRange = response.headers.get('Content-Range');
    if (contentRange !== null && Number(/^bytes (\d+)-/.exec(contentRange)?.[1]) !== start) {
      await response.body.cancel();
      throw new DownloadError(path, `asked for bytes from ${start}, got "${contentRange}"`, response.status);
    }
  }
  // Pieces are hashed as they arrive, so hashing keeps pace with the network.
  await writeStream(writer, response.body, { onRead: () => report(writer.received), readError: (error) => new DownloadError(path, reason(error)) });
}

/** No answer, a timeout, throttling or a server-side failure may pass; anything else will not. */
function isTransient({ status }: DownloadError): boolean {
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new CancelledError());
      },
      { once: true },
    );
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sum(numbers: number[]): number {
  return numbers.reduce((total, n) => total + n, 0);
}
