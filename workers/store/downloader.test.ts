import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { CancelledError, DownloadError, IntegrityError, QuotaError, StorageLostError, StorageRefusedError } from '../../src/shared/errors.ts';
import type { ModelFile } from '../../src/shared/model.ts';
import { downloadFile, downloadModel, type DownloadProgress, type RemoteModel } from './downloader.ts';
import { openModelStore, type ModelStore } from './model-store.ts';

const CHUNK = 1024;
const BASE = 'https://models.test/m/';
let databases = 0;

function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 255);
}

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const fresh = (name = `downloader-test-${databases++}`) => ({ name, store: openModelStore({ name, chunkSize: CHUNK }) });
const fileOf = (path: string, data: Uint8Array): ModelFile => ({ path, size: data.length, sha256: sha(data) });

interface Faults {
  /** Per request in turn: bytes sent before the connection drops. */
  drops?: number[];
  status?: number;
  corrupt?: boolean;
  ignoreRange?: boolean;
}

/**
 * A fake `fetch` serving files from memory in 300-byte pieces, with `Range` and injected faults. Its bodies are
 * byte streams, as Chromium's are, unless `byteStreams` is false (a browser whose bodies have no BYOB reader).
 */
function serve(files: Record<string, Uint8Array>, faults: Record<string, Faults> = {}, { byteStreams = true } = {}) {
  const requests: { path: string; range: string | null }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(input)).pathname.slice('/m/'.length);
    const range = new Headers(init?.headers).get('Range');
    requests.push({ path, range });
    const fault = faults[path] ?? {};
    const data = files[path];
    if (fault.status || !data) return new Response('no', { status: fault.status ?? 404 });
    const served = fault.corrupt ? data.map((byte, i) => (i === 1500 ? byte ^ 1 : byte)) : data;
    const start = range && !fault.ignoreRange ? Number(/^bytes=(\d+)-$/.exec(range)?.[1]) : 0;
    const headers = start ? { 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` } : undefined;
    const body = pieces(served.subarray(start), fault.drops?.shift(), init?.signal ?? undefined, byteStreams);
    return new Response(body, { status: start ? 206 : 200, headers });
  };
  return { fetch, requests };
}

function pieces(data: Uint8Array, dropAfter = Infinity, signal?: AbortSignal, byteStream = true): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    type: byteStream ? 'bytes' : undefined,
    pull(controller: ReadableStreamDefaultController<Uint8Array> | ReadableByteStreamController) {
      if (signal?.aborted) return controller.error(signal.reason);
      if (sent >= dropAfter) return controller.error(new TypeError('network connection lost'));
      if (sent >= data.length) {
        controller.close();
        // A read into a buffer still waits after close until told it got nothing.
        return (controller as ReadableByteStreamController).byobRequest?.respond(0);
      }
      const end = Math.min(sent + 300, data.length, dropAfter);
      controller.enqueue(data.slice(sent, end));
      sent = end;
    },
  });
}

const source = (id: string, files: ModelFile[]): RemoteModel => ({
  urls: Object.fromEntries(files.map((file) => [file.path, `${BASE}${file.path}`])),
  manifest: {
    id,
    name: id,
    description: '',
    precision: 'fp32',
    files,
    vaeScalingFactor: 0.18215,
    defaults: { width: 64, height: 64, steps: 2, guidance: 7, scheduler: 'euler' },
    sizes: { min: 64, max: 64, multiple: 8 },
  },
});
const roomy = async () => ({ quota: 1e9, usage: 0 });

describe('downloadFile', () => {
  it.each([
    ['into the chunk (BYOB)', true],
    ['as it comes, copied (a body with no BYOB reader)', false],
  ])('streams a file of several chunks read %s, verifies it and reads back the same bytes', async (_, byteStreams) => {
    const data = bytes(3500);
    const { store } = fresh();
    const server = serve({ 'unet.bin': data }, {}, { byteStreams });
    const seen: number[] = [];
    await downloadFile(`${BASE}unet.bin`, 'm', fileOf('unet.bin', data), store, {
      fetch: server.fetch,
      onProgress: (loaded) => seen.push(loaded),
    });
    expect(await store.readFileBytes('m', 'unet.bin')).toEqual(data);
    expect((await store.listFiles('m'))[0]).toMatchObject({ chunks: 4, complete: true });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(3500);
    expect(server.requests).toEqual([{ path: 'unet.bin', range: null }]);
  });

  it('goes on with a Range request from the last whole chunk when the connection drops', async () => {
    const data = bytes(5000);
    const { store } = fresh();
    const server = serve({ 'a.bin': data }, { 'a.bin': { drops: [2500, 900] } });
    const seen: number[] = [];
    await downloadFile(`${BASE}a.bin`, 'm', fileOf('a.bin', data), store, {
      fetch: server.fetch,
      retryDelayMs: 0,
      onProgress: (loaded) => seen.push(loaded),
    });
    expect(server.requests.map((request) => request.range)).toEqual([null, 'bytes=2048-', 'bytes=2048-']);
    expect(await store.readFileBytes('m', 'a.bin')).toEqual(data);
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(5000);
  });

  it('goes on after a reload: a new store over the same databases and a new call', async () => {
    const data = bytes(5000);
    const { name, store } = fresh();
    const server = serve({ 'a.bin': data });
    const controller = new AbortController();
    const first = downloadFile(`${BASE}a.bin`, 'm', fileOf('a.bin', data), store, {
      fetch: server.fetch,
      signal: controller.signal,
      onProgress: (loaded) => loaded >= 3300 && controller.abort(),
    });
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    expect(await store.listFiles('m')).toEqual([expect.objectContaining({ chunks: 3, bytesWritten: 3072, complete: false })]);

    const reloaded = openModelStore({ name, chunkSize: CHUNK });
    await reloaded.cleanUp();
    await downloadFile(`${BASE}a.bin`, 'm', fileOf('a.bin', data), reloaded, { fetch: server.fetch });
    expect(server.requests.at(-1)?.range).toBe('bytes=3072-');
    expect(await reloaded.readFileBytes('m', 'a.bin')).toEqual(data);
  });

  it('starts over from 0 when the server ignores Range', async () => {
    const data = bytes(4000);
    const { store } = fresh();
    const server = serve({ 'a.bin': data }, { 'a.bin': { drops: [2100], ignoreRange: true } });
    await downloadFile(`${BASE}a.bin`, 'm', fileOf('a.bin', data), store, { fetch: server.fetch, retryDelayMs: 0 });
    expect(server.requests.map((request) => request.range)).toEqual([null, 'bytes=2048-']);
    expect(await store.readFileBytes('m', 'a.bin')).toEqual(data);
  });

  it('names the file and the status on a 404, without retrying', async () => {
    const { store } = fresh();
    const server = serve({});
    const error = await downloadFile(`${BASE}gone.bin`, 'm', { path: 'gone.bin' }, store, { fetch: server.fetch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ code: 'download', file: 'gone.bin', status: 404 });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 500 with back-off, then gives up with the status', async () => {
    const data = bytes(100);
    const { store } = fresh();
    const server = serve({ 'a.bin': data }, { 'a.bin': { status: 500 } });
    const download = downloadFile(`${BASE}a.bin`, 'm', fileOf('a.bin', data), store, {
      fetch: server.fetch,
      retries: 2,
      retryDelayMs: 1,
    });
    await expect(download).rejects.toMatchObject({ code: 'download', file: 'a.bin', status: 500 });
    expect(server.requests).toHaveLength(3);
  });
});

describe('downloadModel', () => {
  const text = bytes(700, 1);
  const unet = bytes(3500, 2);
  const files = [fileOf('text_encoder/model.onnx', text), fileOf('unet/model.onnx', unet)];
  const served = { 'text_encoder/model.onnx': text, 'unet/model.onnx': unet };

  it('reports model progress that never decreases and ends at the total', async () => {
    const { store } = fresh();
    const server = serve(served, { 'unet/model.onnx': { drops: [1800] } });
    const events: DownloadProgress[] = [];
    await downloadModel(source('sd', files), store, {
      fetch: server.fetch,
      retryDelayMs: 0,
      estimate: roomy,
      onProgress: (progress) => events.push(progress),
    });
    const loaded = events.map((event) => event.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ phase: 'download', modelId: 'sd', file: 'unet/model.onnx', loaded: 4200, total: 4200 });
    expect(events.every((event) => typeof event.at === 'number')).toBe(true);
    expect(await store.checkPresent('sd', files)).toEqual({ missing: [], evicted: [] });

    await downloadModel(source('sd', files), store, { fetch: server.fetch, estimate: roomy });
    expect(server.requests).toHaveLength(3);
  });

  it('throws IntegrityError naming a corrupt file and keeps nothing of it, nor harms other models', async () => {
    const { store } = fresh();
    await downloadModel(source('good', files), store, { fetch: serve(served).fetch, estimate: roomy });
    const server = serve(served, { 'unet/model.onnx': { corrupt: true } });

    const error = await downloadModel(source('bad', files), store, { fetch: server.fetch, estimate: roomy }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ file: 'unet/model.onnx', expected: `sha256 ${files[1].sha256}` });
    expect((await store.listFiles('bad')).map((file) => file.path)).toEqual(['text_encoder/model.onnx']);
    expect(await store.usage()).toEqual(new Map([['good', 4200], ['bad', 700]]));
    expect(await store.readFileBytes('good', 'unet/model.onnx')).toEqual(unet);
  });

  it('refuses with the numbers before writing a byte when the quota is too small', async () => {
    const { store } = fresh();
    const server = serve(served);
    const download = downloadModel(source('sd', files), store, {
      fetch: server.fetch,
      estimate: async () => ({ quota: 5000, usage: 1000 }),
    });
    await expect(download).rejects.toBeInstanceOf(QuotaError);
    await expect(download).rejects.toMatchObject({ neededBytes: 4200, availableBytes: 4000 });
    expect(server.requests).toHaveLength(0);
    expect(await store.usage()).toEqual(new Map());
  });

  // The third chunk (the UNet's second) is refused while the download goes on filling the next.
  const refusals = {
    'a write refused for quota': () => {
      let chunkPuts = 0;
      const put = IDBObjectStore.prototype.put;
      return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
        if (value instanceof Blob && ++chunkPuts === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.call(this, value, key);
      });
    },
    // Each chunk's Blob is `Response.blob()` of the stream its bytes go into.
    'a chunk the browser would not hold': () => {
      let chunkBlobs = 0;
      const blob = Response.prototype.blob;
      return vi.spyOn(Response.prototype, 'blob').mockImplementation(function (this: Response) {
        if (++chunkBlobs === 3) return Promise.reject(new TypeError('Failed to read the response body'));
        return blob.call(this);
      });
    },
  };

  it.each(Object.keys(refusals) as (keyof typeof refusals)[])(
    'turns %s, under an estimate that showed room, into StorageRefusedError with what is stored and still needed, keeping it for a Resume',
    async (refusal) => {
      const { store } = fresh();
      const refusing = refusals[refusal]();
      onTestFinished(() => refusing.mockRestore());
      // Chromium's fixed estimate: usage + 10 GiB, whatever it enforces.
      const estimate = async () => ({ quota: 123 + 10 * 2 ** 30, usage: 123 });
      const download = downloadModel(source('sd', files), store, { fetch: serve(served).fetch, estimate });
      await expect(download).rejects.toBeInstanceOf(StorageRefusedError);
      await expect(download).rejects.toMatchObject({ storedBytes: 700 + 1024, neededBytes: 4200 - 700 - 1024, modelBytes: 4200 });
      expect(await store.usage(), 'the text encoder and the first UNet chunk stay').toEqual(new Map([['sd', 700 + 1024]]));

      refusing.mockRestore();
      const server = serve(served);
      await downloadModel(source('sd', files), store, { fetch: server.fetch, estimate });
      expect(server.requests, 'the Resume fetches the UNet from its first unstored chunk').toEqual([{ path: 'unet/model.onnx', range: 'bytes=1024-' }]);
      expect(await store.readFileBytes('sd', 'unet/model.onnx')).toEqual(unet);
    },
  );

  it('names a file the browser cannot read back (a private window overflowing its in-memory storage) with StorageLostError', async () => {
    const { store } = fresh();
    const server = serve(served, { 'unet/model.onnx': { drops: [2100] } });
    await downloadModel(source('sd', files), store, { fetch: server.fetch, retries: 0, estimate: roomy }).catch(() => undefined);
    // Going on from stored chunks reads them back when their hash state cannot be loaded; that read fails.
    const losing: ModelStore = {
      ...store,
      beginFile: async () => {
        throw new DOMException('The requested file could not be read, typically due to permission problems that have occurred after a reference to a file was acquired.', 'NotReadableError');
      },
    };
    const error = await downloadModel(source('sd', files), losing, { fetch: server.fetch, estimate: roomy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageLostError);
    expect(error).toMatchObject({ file: 'unet/model.onnx' });
  });

  it('counts stored bytes against the quota: a partial file needs only its rest', async () => {
    const { store } = fresh();
    const server = serve(served, { 'unet/model.onnx': { drops: [2100] } });
    await expect(
      downloadModel(source('sd', files), store, { fetch: server.fetch, retries: 0, estimate: roomy }),
    ).rejects.toBeInstanceOf(DownloadError);
    expect(await store.usage()).toEqual(new Map([['sd', 700 + 2048]]));

    await downloadModel(source('sd', files), store, {
      fetch: server.fetch,
      estimate: async () => ({ quota: 2748 + 1452, usage: 2748 }),
    });
    expect(server.requests.at(-1)?.range).toBe('bytes=2048-');
    expect(await store.readFileBytes('sd', 'unet/model.onnx')).toEqual(unet);
  });

  it('deleteModel frees the space; the next download fetches every file again', async () => {
    const { store } = fresh();
    const server = serve(served);
    await downloadModel(source('sd', files), store, { fetch: server.fetch, estimate: roomy });
    await store.deleteModel('sd');
    expect(await store.usage()).toEqual(new Map());
    await downloadModel(source('sd', files), store, { fetch: server.fetch, estimate: roomy });
    expect(server.requests).toHaveLength(4);
    expect(await store.readFileBytes('sd', 'text_encoder/model.onnx')).toEqual(text);
  });
});
