/**
 * Model files in IndexedDB, split in chunks of at most 64 MiB: a single 512 MiB
 * Blob failed to store in Chromium (docs/browser.md, "IndexedDB: files in
 * chunks"). idb-keyval cannot add a store to an existing
 * database, so there are two: `<name>-meta` holds one `FileRecord` per file keyed
 * `[modelId, path]`, `<name>-chunks` the Blobs keyed `[modelId, path, index]`.
 *
 * The databases share no transaction, so writes are ordered instead: a chunk is
 * stored before the record that counts it, and a record shrinks before its chunks
 * are deleted. A crash leaves at most chunks that no record counts (`cleanUp`
 * removes them), and a file is visible (`complete`) only once every chunk is in
 * and its SHA-256 matched.
 *
 * SHA-256 is hash-wasm's WebAssembly one: twice noble's JavaScript one, and its
 * state can be saved with each chunk's record, so a resume after a reload need
 * not read the stored chunks back (docs/storage.md, "Downloads").
 */
import { createSHA256, type IHasher } from 'hash-wasm';
import { createStore, del, delMany, get, keys, promisifyRequest, set, values, type UseStore } from 'idb-keyval';
import { IntegrityError, ModelFileError, StoredFileReadError } from '../../src/shared/errors.ts';
import type { ModelFile } from '../../src/shared/model.ts';

export const DEFAULT_CHUNK_SIZE = 64 * 2 ** 20;

/** A file to store. Manifest files know their size and hash; only those can resume. */
export interface FileSpec {
  path: string;
  size?: number;
  sha256?: string;
}

/** What the store knows of one file. */
export interface FileRecord {
  modelId: string;
  path: string;
  /** Expected size and lowercase hex SHA-256 when known; the actual ones once complete. */
  size?: number;
  sha256?: string;
  chunkSize: number;
  /** Chunks stored so far; all but the last hold exactly `chunkSize` bytes. */
  chunks: number;
  bytesWritten: number;
  complete: boolean;
  /** A partial file's SHA-256 state after its stored chunks (hash-wasm's `save()`), to resume the hash from. */
  hashState?: Uint8Array;
}

/** Stores one file chunk by chunk; made by `ModelStore.beginFile`. */
export interface FileWriter {
  readonly chunkSize: number;
  /** Bytes stored, a whole number of chunks: where a download goes on. */
  readonly offset: number;
  /** Bytes taken by `write` and `wrote` so far, stored or not yet. */
  readonly received: number;
  /**
   * Takes the file's next bytes: copies them into the chunk being filled and
   * hashes them at once, and stores each whole chunk while the caller fills
   * the next, so fetching, hashing and IndexedDB's writing overlap. Resolves
   * when it can take more: at most one chunk is being stored and one filling.
   * A store that failed rejects the next call that waits for it (`write` or
   * `wrote` at a chunk's end, `rewind`, `finish`).
   */
  write(bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  /**
   * Where the next bytes go, for a BYOB reader to read into: a view of the
   * chunk being filled, so no byte needs a buffer of its own. The read
   * transfers it; hand what it returns to `wrote`, even an empty view.
   */
  space(): Uint8Array<ArrayBuffer>;
  /** Takes the bytes a read put into `space()`, as `write` takes bytes. */
  wrote(view: Uint8Array<ArrayBuffer>): Promise<void>;
  /** Waits for the chunk being stored, then drops the bytes taken after `offset`, so the file goes on from there. */
  rewind(): Promise<void>;
  /** Drops what was stored and starts the file over at offset 0. */
  restart(): Promise<void>;
  /** Checks size and SHA-256, then makes the file visible; on mismatch deletes it and throws `IntegrityError`. */
  finish(): Promise<void>;
}

export interface ModelStore {
  /** Records of a model's files, complete or partial. */
  listFiles(modelId: string): Promise<FileRecord[]>;
  /** A complete file as one Blob of its chunk Blobs, each checked readable: to read parts of it (a graph's header), and ORT's JSPI build's form of external data. */
  readFileBlob(modelId: string, path: string): Promise<Blob>;
  /** A complete file as bytes in one buffer, the form ORT loads graphs (and, in its asyncify build, external data) from. */
  readFileBytes(modelId: string, path: string): Promise<Uint8Array<ArrayBuffer>>;
  /** Resumes the partial download of the same file (same size and hash), or starts it over. */
  beginFile(modelId: string, file: FileSpec): Promise<FileWriter>;
  /** Re-hashes a stored file; on mismatch deletes it and throws `IntegrityError`. */
  verify(modelId: string, path: string): Promise<void>;
  /** Which manifest files are not stored, and which of them the browser evicted (their remains are deleted). */
  checkPresent(modelId: string, files: readonly ModelFile[]): Promise<{ missing: ModelFile[]; evicted: string[] }>;
  /** Deletes one file of a model, partial or complete. */
  deleteFile(modelId: string, path: string): Promise<void>;
  /** Deletes every file of a model, partial ones included. */
  deleteModel(modelId: string): Promise<void>;
  /** Bytes stored per model id. */
  usage(): Promise<Map<string, number>>;
  /** Run at start: deletes chunks no record counts and partial files that cannot resume. */
  cleanUp(): Promise<void>;
}

type ChunkKey = [modelId: string, path: string, index: number];

/** Opens the model store; tests pass their own database name and a small chunk size. */
export function openModelStore({ name = 'hearth-models', chunkSize = DEFAULT_CHUNK_SIZE } = {}): ModelStore {
  const meta = createStore(`${name}-meta`, 'files');
  const chunks = createStore(`${name}-chunks`, 'chunks');
  const record = (modelId: string, path: string) => get<FileRecord>([modelId, path], meta);

  async function discard(modelId: string, path: string): Promise<void> {
    await del([modelId, path], meta);
    await deleteRange(chunks, fileRange(modelId, path));
  }

  /** A complete file's chunk Blobs, checked against its record. */
  async function chunkBlobs(modelId: string, path: string): Promise<{ file: FileRecord & { size: number }; blobs: Blob[] }> {
    const file = await record(modelId, path);
    if (!file?.complete || file.size === undefined) throw new ModelFileError(path, 'is not downloaded');
    const blobs = await getAll<Blob>(chunks, fileRange(modelId, path));
    const size = blobs.reduce((sum, blob) => sum + blob.size, 0);
    if (blobs.length !== file.chunks || size !== file.size) {
      throw new IntegrityError(path, `${file.size} bytes in ${file.chunks} chunks`, `${size} bytes in ${blobs.length}`);
    }
    return { file: { ...file, size: file.size }, blobs };
  }

  /**
   * One Blob of the file's chunks, each read a byte of first: ORT's JSPI
   * build reads external data from it during a create, and a chunk the
   * browser lost would then fail the create and, with it, every later one
   * in the worker (docs/ort-web.md, "One queue for every call").
   */
  async function readFileBlob(modelId: string, path: string): Promise<Blob> {
    const { file, blobs } = await chunkBlobs(modelId, path);
    for (const [index, blob] of blobs.entries()) {
      try {
        await blob.slice(0, 1).arrayBuffer();
      } catch (error) {
        throw new StoredFileReadError(path, file.size, `chunk ${index + 1} of ${blobs.length} could not be read (${describe(error)})`);
      }
    }
    return new Blob(blobs);
  }

  /**
   * Fills one buffer chunk by chunk: Chromium refuses to read a Blob over
   * 2 GiB whole (NotReadableError). Each chunk streams straight into the
   * buffer, so no chunk-sized copy waits for the collector
   * (docs/browser.md, "IndexedDB: files in chunks").
   */
  async function readFileBytes(modelId: string, path: string): Promise<Uint8Array<ArrayBuffer>> {
    const { file, blobs } = await chunkBlobs(modelId, path);
    let buffer: ArrayBuffer;
    try {
      buffer = new ArrayBuffer(file.size);
    } catch (error) {
      throw new StoredFileReadError(path, file.size, `the browser refused a buffer that large (${describe(error)})`);
    }
    let offset = 0;
    for (const [index, blob] of blobs.entries()) {
      try {
        buffer = await streamInto(blob, buffer, offset);
      } catch (error) {
        throw new StoredFileReadError(path, file.size, `chunk ${index + 1} of ${blobs.length} could not be read (${describe(error)})`);
      }
      offset += blob.size;
    }
    return new Uint8Array(buffer);
  }

  /** Hashes the stored chunks again, one at a time; `undefined` when one is gone. */
  async function rehash(file: FileRecord): Promise<IHasher | undefined> {
    const hash = await createSHA256();
    for (let index = 0; index < file.chunks; index++) {
      const blob = await get<Blob>([file.modelId, file.path, index], chunks);
      if (!blob) return undefined;
      hash.update(new Uint8Array(await blob.arrayBuffer()));
    }
    return hash;
  }

  /** The hash of a partial file's stored chunks: its saved state, or, from a record without one that loads, the chunks read back. */
  async function resumedHash(file: FileRecord): Promise<IHasher | undefined> {
    if (file.hashState) {
      const hash = await createSHA256();
      try {
        return hash.load(file.hashState);
      } catch {
        // Saved by another build of hash-wasm, which load() refuses.
      }
    }
    return rehash(file);
  }

  function writer(file: FileRecord, hash: IHasher): FileWriter {
    const key = [file.modelId, file.path];
    // The hash state after the stored chunks: where `rewind` goes back to.
    let storedState = hash.save();
    // Two chunk buffers in turn, made once per file: one fills while the other's Blob is made and stored. A
    // fresh buffer for every piece cost the store worker more CPU than hashing (docs/storage.md, "Reading the
    // body into the chunk").
    const buffers: (ArrayBuffer | undefined)[] = [];
    let slot = 0;
    let filled = 0;
    let received = file.bytesWritten;
    let storing: Promise<void> = Promise.resolve();
    /** Waits for the chunk being stored; its failure is thrown once, here. */
    const settle = () => {
      const pending = storing;
      storing = Promise.resolve();
      return pending;
    };
    const fail = async (expected: string, actual: string) => {
      await settle().catch(() => undefined);
      await discard(file.modelId, file.path);
      return new IntegrityError(file.path, expected, actual);
    };

    /** The chunk before is stored first: chunks are stored in order, each before the record that counts it. */
    async function store(chunk: Promise<Blob>, length: number, state: Uint8Array): Promise<void> {
      const blob = await chunk.catch((error: unknown) => {
        throw new ChunkRefusedError(file.path, describe(error));
      });
      await set([...key, file.chunks], blob, chunks);
      file = { ...file, chunks: file.chunks + 1, bytesWritten: file.bytesWritten + length, hashState: state };
      await set(key, file, meta);
      storedState = state;
    }

    /** Bytes of the chunk being filled: a whole chunk, or the rest of a file of known size. */
    function chunkLength(): number {
      const start = received - filled;
      return file.size === undefined ? file.chunkSize : Math.min(file.chunkSize, file.size - start);
    }

    /** The buffer being filled, made at its first use. */
    const buffer = () => (buffers[slot] ??= new ArrayBuffer(file.size === undefined ? file.chunkSize : Math.min(file.chunkSize, Math.max(file.size, 1))));

    /** Drops the bytes taken since the last whole chunk; a read that failed kept the buffer it was given, so that is made again. */
    function dropFilled(): void {
      filled = 0;
      if (buffers[slot]?.byteLength === 0) buffers[slot] = undefined;
    }

    async function took(bytes: Uint8Array<ArrayBuffer>): Promise<void> {
      hash.update(bytes);
      filled += bytes.length;
      received += bytes.length;
      if (filled === chunkLength()) await storeFilled();
    }

    const tooLong = (length: number) => file.size !== undefined && received + length > file.size;

    /**
     * Starts storing the filled chunk once the one before is in; its failure
     * waits in `storing`. The one before is the other buffer's, so once it is
     * stored that buffer is free to fill.
     */
    async function storeFilled(): Promise<void> {
      const chunk = chunkBlob(new Uint8Array(buffers[slot]!, 0, filled));
      // A refused Blob fails the store that awaits it; this only keeps it from counting as unhandled meanwhile.
      chunk.catch(() => undefined);
      const length = filled;
      const state = hash.save();
      slot = 1 - slot;
      filled = 0;
      await settle();
      storing = store(chunk, length, state);
      // Handled where it is awaited; this only keeps it from counting as unhandled meanwhile.
      storing.catch(() => undefined);
    }

    return {
      chunkSize: file.chunkSize,
      get offset() {
        return file.bytesWritten;
      },
      get received() {
        return received;
      },
      async write(bytes) {
        if (tooLong(bytes.length)) throw await fail(`${file.size} bytes`, `at least ${received + bytes.length} bytes`);
        for (let piece = bytes; piece.length > 0; ) {
          const part = piece.subarray(0, chunkLength() - filled);
          const target = new Uint8Array(buffer(), filled, part.length);
          target.set(part);
          piece = piece.subarray(part.length);
          await took(target);
        }
      },
      space() {
        // A file of known size that is all here still gets a byte of room, so a longer body shows.
        return new Uint8Array(buffer(), filled, Math.max(chunkLength() - filled, 1));
      },
      async wrote(view) {
        buffers[slot] = view.buffer;
        if (tooLong(view.length)) throw await fail(`${file.size} bytes`, `at least ${received + view.length} bytes`);
        if (view.length > 0) await took(view);
      },
      async rewind() {
        dropFilled();
        try {
          await settle();
        } finally {
          received = file.bytesWritten;
          hash.load(storedState);
        }
      },
      async restart() {
        await settle().catch(() => undefined);
        dropFilled();
        received = 0;
        file = { ...file, chunks: 0, bytesWritten: 0, complete: false, hashState: undefined };
        storedState = hash.init().save();
        await set(key, file, meta);
        await deleteRange(chunks, fileRange(file.modelId, file.path));
      },
      async finish() {
        if (filled > 0) await storeFilled();
        await settle();
        const actual = hash.digest('hex');
        if (file.size !== undefined && file.bytesWritten !== file.size) {
          throw await fail(`${file.size} bytes`, `${file.bytesWritten} bytes`);
        }
        if (file.sha256 !== undefined && actual !== file.sha256) throw await fail(`sha256 ${file.sha256}`, `sha256 ${actual}`);
        file = { ...file, size: file.bytesWritten, sha256: actual, complete: true, hashState: undefined };
        await set(key, file, meta);
      },
    };
  }

  return {
    listFiles: (modelId) => getAll<FileRecord>(meta, modelRange(modelId)),


    readFileBlob,

    readFileBytes,

    async beginFile(modelId, spec) {
      const wanted: FileRecord = {
        modelId,
        path: spec.path,
        size: spec.size,
        sha256: spec.sha256?.toLowerCase(),
        chunkSize,
        chunks: 0,
        bytesWritten: 0,
        complete: false,
      };
      const old = await record(modelId, spec.path);
      const same = old && canResume(old) && old.size === wanted.size && old.sha256 === wanted.sha256;
      const hash = same ? await resumedHash(old) : undefined;
      if (old && hash) return writer(old, hash);
      const fresh = writer(wanted, await createSHA256());
      await fresh.restart();
      return fresh;
    },

    async verify(modelId, path) {
      const file = await record(modelId, path);
      if (!file?.complete) throw new ModelFileError(path, 'is not downloaded');
      const hash = await rehash(file);
      const actual = hash?.digest('hex');
      if (actual === file.sha256) return;
      await discard(modelId, path);
      throw new IntegrityError(path, `sha256 ${file.sha256}`, actual ? `sha256 ${actual}` : 'missing chunks');
    },

    async checkPresent(modelId, files) {
      const missing: ModelFile[] = [];
      const evicted: string[] = [];
      for (const file of files) {
        const stored = await record(modelId, file.path);
        if (stored?.complete && stored.sha256 === file.sha256.toLowerCase()) {
          // Browsers may evict storage that is not persistent:
          // https://developer.mozilla.org/en-US/docs/Web/API/Storage_API/Storage_quotas_and_eviction_criteria
          if ((await countRange(chunks, fileRange(modelId, file.path))) === stored.chunks) continue;
          evicted.push(file.path);
          await discard(modelId, file.path);
        }
        missing.push(file);
      }
      return { missing, evicted };
    },

    deleteFile: discard,

    async deleteModel(modelId) {
      await deleteRange(meta, modelRange(modelId));
      await deleteRange(chunks, modelRange(modelId));
    },

    async usage() {
      const bytes = new Map<string, number>();
      for (const file of await values<FileRecord>(meta)) bytes.set(file.modelId, (bytes.get(file.modelId) ?? 0) + file.bytesWritten);
      return bytes;
    },

    async cleanUp() {
      const kept = new Map<string, number>();
      for (const file of await values<FileRecord>(meta)) {
        if (file.complete || canResume(file)) kept.set(JSON.stringify([file.modelId, file.path]), file.chunks);
        else await del([file.modelId, file.path], meta);
      }
      const stale = (await keys<ChunkKey>(chunks)).filter(
        ([modelId, path, index]) => index >= (kept.get(JSON.stringify([modelId, path])) ?? 0),
      );
      await delMany(stale, chunks);
    },
  };
}

/**
 * The browser would not make a chunk's Blob from its bytes, as when its Blob
 * storage is full: a refusal to store, like a write refused for quota. The
 * chunks stored before it stay.
 */
export class ChunkRefusedError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`The browser would not hold the next chunk of ${file} (${detail})`);
  }
}

/** A write the browser refused for room: quota, or a chunk it would not hold. */
export const isStorageRefusal = (error: unknown): boolean =>
  (error instanceof DOMException && error.name === 'QuotaExceededError') || error instanceof ChunkRefusedError;

/**
 * A chunk's Blob, made from its filled buffer by `Response.blob()` of a stream
 * of that one view, which the browser reads in pieces between other tasks:
 * `new Blob([bytes])` copied 64 MiB in one 200-350 ms task that stalled the
 * download's reads (docs/storage.md, "Building each chunk's Blob from a
 * stream"). The Blob is whole only once every byte was read, so the buffer is
 * free again when it resolves.
 */
function chunkBlob(bytes: Uint8Array<ArrayBuffer>): Promise<Blob> {
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    }),
  ).blob();
}

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * The readers of the streams being read. Chromium collects a Blob stream that
 * only its pending read refers to, and that read then never settles: an
 * unreferenced read hung a model load (docs/browser.md, "IndexedDB: files in
 * chunks").
 */
const streaming = new Set<ReadableStreamBYOBReader>();

/**
 * Streams a Blob into `buffer` at `offset` and returns the buffer: each read
 * transfers it, leaving the old reference detached. A browser whose Blob
 * streams cannot read into a given buffer gets one chunk-sized copy instead.
 */
async function streamInto(blob: Blob, buffer: ArrayBuffer, offset: number): Promise<ArrayBuffer> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    new Uint8Array(buffer).set(new Uint8Array(await blob.arrayBuffer()), offset);
    return buffer;
  }
  streaming.add(reader);
  try {
    const end = offset + blob.size;
    for (let at = offset; at < end; ) {
      const { value, done } = await reader.read(new Uint8Array(buffer, at, end - at));
      if (done) throw new Error(`it ended after ${at - offset} of ${blob.size} bytes`);
      buffer = value.buffer;
      at += value.byteLength;
    }
    reader.releaseLock();
    return buffer;
  } finally {
    streaming.delete(reader);
  }
}

/** A partial file can go on only when its size and hash are known: the final check then catches a file changed meanwhile. */
function canResume(file: FileRecord): boolean {
  return !file.complete && file.size !== undefined && file.sha256 !== undefined;
}

// Array keys sort element by element, and any array sorts after every string and number.
function modelRange(modelId: string): IDBKeyRange {
  return IDBKeyRange.bound([modelId], [modelId, []]);
}

function fileRange(modelId: string, path: string): IDBKeyRange {
  return IDBKeyRange.bound([modelId, path], [modelId, path, []]);
}

function getAll<T>(store: UseStore, range: IDBKeyRange): Promise<T[]> {
  return store('readonly', (s) => promisifyRequest(s.getAll(range)));
}

function countRange(store: UseStore, range: IDBKeyRange): Promise<number> {
  return store('readonly', (s) => promisifyRequest(s.count(range)));
}

function deleteRange(store: UseStore, range: IDBKeyRange): Promise<void> {
  return store('readwrite', (s) => {
    s.delete(range);
    return promisifyRequest(s.transaction);
  });
}
