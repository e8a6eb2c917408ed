import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { createStore, del, keys, set } from 'idb-keyval';
import { describe, expect, it, vi } from 'vitest';
import { IntegrityError } from '../../src/shared/errors.ts';
import { openModelStore, type ModelStore } from './model-store.ts';

const CHUNK = 1024;
let databases = 0;

function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255);
}

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A fresh store, plus its chunk database as the store lays it out. */
function fresh(name = `store-test-${databases++}`) {
  return { name, store: openModelStore({ name, chunkSize: CHUNK }), chunks: createStore(`${name}-chunks`, 'chunks') };
}

/** Writes `data` through a writer, stopping after `upTo` chunks when given. */
async function write(store: ModelStore, modelId: string, path: string, data: Uint8Array<ArrayBuffer>, known = true, upTo = Infinity) {
  const writer = await store.beginFile(modelId, known ? { path, size: data.length, sha256: sha(data) } : { path });
  for (let index = writer.offset / CHUNK; index * CHUNK < data.length && index < upTo; index++) {
    await writer.write(data.subarray(index * CHUNK, (index + 1) * CHUNK));
  }
  // Stopping short, as a cancelled download does, waits for the chunk still being stored.
  await (upTo === Infinity ? writer.finish() : writer.rewind());
  return writer;
}

describe('model store', () => {
  it('makes a file visible only once every chunk is in and its hash matched', async () => {
    const { store } = fresh();
    const data = bytes(3500);
    await write(store, 'm', 'unet/weights.bin', data, true, 2);
    await expect(store.readFileBlob('m', 'unet/weights.bin')).rejects.toMatchObject({ code: 'model-file' });

    await write(store, 'm', 'unet/weights.bin', data);
    expect(await store.readFileBytes('m', 'unet/weights.bin')).toEqual(data);
    expect((await store.readFileBlob('m', 'unet/weights.bin')).size).toBe(3500);
    expect(await store.listFiles('m')).toEqual([
      expect.objectContaining({ path: 'unet/weights.bin', size: 3500, sha256: sha(data), chunks: 4, complete: true }),
    ]);
  });

  it('names the stored file, its size and the chunk when the browser cannot read a chunk back', async () => {
    const { store } = fresh();
    await write(store, 'm', 'unet/model.onnx_data', bytes(3500));
    const unreadable = new ReadableStream({ type: 'bytes', pull: (stream) => stream.error(new DOMException('The requested file could not be read', 'NotReadableError')) });
    const read = vi.spyOn(Blob.prototype, 'stream').mockReturnValueOnce(unreadable);
    try {
      await expect(store.readFileBytes('m', 'unet/model.onnx_data')).rejects.toMatchObject({
        code: 'stored-file-read',
        file: 'unet/model.onnx_data',
        bytes: 3500,
        reason: 'chunk 1 of 4 could not be read (NotReadableError: The requested file could not be read)',
      });
    } finally {
      read.mockRestore();
    }
  });

  it('checks every chunk of a file handed out as a Blob, naming the one the browser lost', async () => {
    const { store } = fresh();
    const data = bytes(3500);
    await write(store, 'm', 'unet/model.onnx_data', data);
    const original = Blob.prototype.arrayBuffer;
    let reads = 0;
    const read = vi.spyOn(Blob.prototype, 'arrayBuffer').mockImplementation(function (this: Blob) {
      return ++reads === 3 ? Promise.reject(new DOMException('A requested file or directory could not be found', 'NotFoundError')) : original.call(this);
    });
    try {
      await expect(store.readFileBlob('m', 'unet/model.onnx_data')).rejects.toMatchObject({
        code: 'stored-file-read',
        file: 'unet/model.onnx_data',
        reason: 'chunk 3 of 4 could not be read (NotFoundError: A requested file or directory could not be found)',
      });
    } finally {
      read.mockRestore();
    }
    expect(new Uint8Array(await (await store.readFileBlob('m', 'unet/model.onnx_data')).arrayBuffer())).toEqual(data);
  });

  it("streams a slice of a file handed out as a Blob across its chunks' edges, as ORT's JSPI build reads a weight", async () => {
    const { store } = fresh();
    const data = bytes(3500);
    await write(store, 'm', 'unet/model.onnx_data', data);
    const blob = await store.readFileBlob('m', 'unet/model.onnx_data');
    const reader = blob.slice(900, 2100).stream().getReader({ mode: 'byob' });
    // Each read hands the buffer back transferred, as ORT's loop expects.
    let buffer = new ArrayBuffer(1200);
    for (let at = 0; at < buffer.byteLength; ) {
      const { value } = await reader.read(new Uint8Array(buffer, at));
      buffer = value!.buffer;
      at += value!.byteLength;
    }
    expect(new Uint8Array(buffer)).toEqual(data.subarray(900, 2100));
  });

  it('reads a file back whole where Blob streams cannot read into a given buffer', async () => {
    const { store } = fresh();
    const data = bytes(3500);
    await write(store, 'm', 'unet/model.onnx_data', data);
    const stream = vi.spyOn(Blob.prototype, 'stream').mockImplementation(() => new ReadableStream());
    try {
      expect(await store.readFileBytes('m', 'unet/model.onnx_data')).toEqual(data);
      expect(stream).toHaveBeenCalledTimes(4);
    } finally {
      stream.mockRestore();
    }
  });

  it('resumes a partial file in a new store over the same databases from the hash state saved with it, reading no chunk back', async () => {
    const { name, store } = fresh();
    const data = bytes(5000);
    await write(store, 'm', 'vae.bin', data, true, 3);

    const reopened = openModelStore({ name, chunkSize: CHUNK });
    const read = vi.spyOn(Blob.prototype, 'arrayBuffer');
    const writer = await reopened.beginFile('m', { path: 'vae.bin', size: data.length, sha256: sha(data) });
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
    expect(writer.offset).toBe(3 * CHUNK);
    await writer.write(data.subarray(writer.offset));
    await writer.finish();
    expect(await reopened.readFileBytes('m', 'vae.bin')).toEqual(data);
  });

  it('resumes a partial file without a usable hash state (an older version wrote it, or another hash-wasm build) by re-hashing what is stored', async () => {
    const data = bytes(5000);
    for (const hashState of [undefined, new Uint8Array(40)]) {
      const { name, store } = fresh();
      await write(store, 'm', 'vae.bin', data, true, 3);
      const meta = createStore(`${name}-meta`, 'files');
      const [record] = await store.listFiles('m');
      await set(['m', 'vae.bin'], { ...record, hashState }, meta);

      const writer = await write(openModelStore({ name, chunkSize: CHUNK }), 'm', 'vae.bin', data);
      expect(writer.offset).toBe(5000);
      expect(await store.readFileBytes('m', 'vae.bin')).toEqual(data);
    }
  });

  it('stores a chunk while the next fills; a refused store fails a later call, and after rewind the file goes on from the last stored chunk', async () => {
    const { store } = fresh();
    const data = bytes(5000);
    const put = IDBObjectStore.prototype.put;
    let chunkPuts = 0;
    const refusing = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      if (value instanceof Blob && ++chunkPuts === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    });
    const writer = await store.beginFile('m', { path: 'a.bin', size: data.length, sha256: sha(data) });
    // Byte pieces that straddle chunks, as a network delivers them.
    const error = await (async () => {
      for (let at = 0; at < data.length; at += 300) await writer.write(data.subarray(at, at + 300));
      await writer.finish();
    })().catch((e: unknown) => e);
    refusing.mockRestore();
    expect(error).toMatchObject({ name: 'QuotaExceededError' });

    await writer.rewind();
    expect([writer.offset, writer.received]).toEqual([CHUNK, CHUNK]);
    await writer.write(data.subarray(writer.offset));
    await writer.finish();
    expect(await store.readFileBytes('m', 'a.bin')).toEqual(data);
    expect(await store.listFiles('m')).toEqual([expect.objectContaining({ chunks: 5, complete: true, hashState: undefined })]);
  });

  it('starts over when the partial file is of another version', async () => {
    const { store } = fresh();
    await write(store, 'm', 'vae.bin', bytes(3000, 1), true, 2);
    const writer = await store.beginFile('m', { path: 'vae.bin', size: 3000, sha256: sha(bytes(3000, 2)) });
    expect(writer.offset).toBe(0);
  });

  it('deletes the data of a file whose hash does not match', async () => {
    const { store, chunks } = fresh();
    const data = bytes(3000);
    const writer = await store.beginFile('m', { path: 'a.bin', size: 3000, sha256: sha(bytes(3000, 9)) });
    await writer.write(data);
    const error = await writer.finish().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ file: 'a.bin', expected: `sha256 ${sha(bytes(3000, 9))}`, actual: `sha256 ${sha(data)}` });
    expect(await store.listFiles('m')).toEqual([]);
    expect(await keys(chunks)).toEqual([]);
  });

  it('deleteModel frees the space of that model only', async () => {
    const { store, chunks } = fresh();
    await write(store, 'a', 'x.bin', bytes(2500));
    await write(store, 'b', 'x.bin', bytes(1500), true, 1);
    expect(await store.usage()).toEqual(new Map([['a', 2500], ['b', 1024]]));

    await store.deleteModel('a');
    expect(await store.usage()).toEqual(new Map([['b', 1024]]));
    await store.deleteModel('b');
    expect(await store.usage()).toEqual(new Map());
    expect(await keys(chunks)).toEqual([]);
  });

  it('cleanUp removes what cannot resume and keeps what can', async () => {
    const { store, chunks } = fresh();
    await write(store, 'm', 'done.bin', bytes(2000));
    await write(store, 'm', 'resumable.bin', bytes(3000), true, 2);
    await write(store, 'm', 'unknown.bin', bytes(3000), false, 2);
    // A crash after a chunk was stored but before its record counted it, and after a record was deleted.
    await set(['m', 'resumable.bin', 2], new Blob([bytes(CHUNK)]), chunks);
    await set(['m', 'gone.bin', 0], new Blob([bytes(CHUNK)]), chunks);

    await store.cleanUp();
    expect((await store.listFiles('m')).map((file) => file.path)).toEqual(['done.bin', 'resumable.bin']);
    expect(await keys(chunks)).toEqual([
      ['m', 'done.bin', 0],
      ['m', 'done.bin', 1],
      ['m', 'resumable.bin', 0],
      ['m', 'resumable.bin', 1],
    ]);
    expect(await store.readFileBytes('m', 'done.bin')).toEqual(bytes(2000));
  });

  it('checkPresent reports a file whose chunks the browser evicted, and forgets it', async () => {
    const { store, chunks } = fresh();
    const [kept, lost, never] = [bytes(2000, 1), bytes(2000, 2), bytes(10, 3)];
    const files = [kept, lost, never].map((data, i) => ({ path: `f${i}.bin`, size: data.length, sha256: sha(data) }));
    await write(store, 'm', 'f0.bin', kept);
    await write(store, 'm', 'f1.bin', lost);
    await del(['m', 'f1.bin', 1], chunks);
    await expect(store.readFileBlob('m', 'f1.bin')).rejects.toBeInstanceOf(IntegrityError);

    const { missing, evicted } = await store.checkPresent('m', files);
    expect(evicted).toEqual(['f1.bin']);
    expect(missing.map((file) => file.path)).toEqual(['f1.bin', 'f2.bin']);
    expect(await store.usage()).toEqual(new Map([['m', 2000]]));
  });

  it('verify finds a chunk changed on disk and deletes the file', async () => {
    const { store, chunks } = fresh();
    await write(store, 'm', 'a.bin', bytes(3000));
    await store.verify('m', 'a.bin');

    await set(['m', 'a.bin', 1], new Blob([bytes(CHUNK, 5)]), chunks);
    await expect(store.verify('m', 'a.bin')).rejects.toMatchObject({ code: 'integrity', file: 'a.bin' });
    expect(await store.listFiles('m')).toEqual([]);
  });
});
