import 'fake-indexeddb/auto';
import { createStore, del } from 'idb-keyval';
import { createHash } from 'node:crypto';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { externalize } from '../../e2e/external-data.ts';
import { tinyModelFiles } from '../../scripts/make-tiny-model.ts';
import { manifest as tinyManifest } from '../../scripts/tiny-model/configs.ts';
import { CancelledError, DownloadBusyError, StorageRefusedError } from '../../src/shared/errors.ts';
import type { ModelFile } from '../../src/shared/model.ts';
import type { DownloadProgress } from '../../src/shared/store-protocol.ts';
import { openModelStore } from './model-store.ts';
import { openRegistry } from './registry.ts';
import { createStoreService } from './service.ts';

const CHUNK = 64 * 1024;
let databases = 0;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The variant-2 tiny model with its UNet weights in `unet/model.onnx_data`, as files by path. */
function modelFiles(): Map<string, Uint8Array> {
  const files = tinyModelFiles(2);
  const { graph, data } = externalize(files.get('unet/model.onnx')!, 'model.onnx_data');
  files.set('unet/model.onnx', graph);
  files.set('unet/model.onnx_data', data);
  return files;
}

function manifestOf(id: string, files: Map<string, Uint8Array>, leave: string[] = []) {
  const listed: ModelFile[] = [...files]
    .filter(([path]) => !leave.includes(path))
    .map(([path, bytes]) => ({ path, size: bytes.length, sha256: sha(bytes), ...(path.endsWith('_data') ? { externalData: true as const } : {}) }));
  return tinyManifest(id, id, listed);
}

/** A fake server: `/m/<id>/...` serves `files` under the manifest `manifests[id]`; every request is logged. */
function server(files: Map<string, Uint8Array>, manifests: Record<string, unknown>, overrides: Record<string, Response | ((init?: RequestInit) => Response)> = {}) {
  const requests: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    requests.push(url.pathname);
    const override = overrides[url.pathname];
    if (override) return typeof override === 'function' ? override(init) : override.clone();
    const [, , id, ...rest] = url.pathname.split('/');
    const path = rest.join('/');
    if (path === 'hearth-model.json' && manifests[id]) return Response.json(manifests[id]);
    const data = files.get(path);
    if (!data) return new Response('not found', { status: 404 });
    return new Response(pieces(data, init?.signal ?? undefined));
  };
  return { fetch, requests };
}

/** A body in 16 KiB pieces that fails once `signal` aborts, as a network read does. */
function pieces(data: Uint8Array, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (signal?.aborted) return controller.error(signal.reason);
      if (sent >= data.length) return controller.close();
      controller.enqueue(data.slice(sent, (sent += 16 * 1024)));
    },
  });
}

function service(fetch: typeof globalThis.fetch) {
  const name = `service-test-${databases++}`;
  const deps = {
    fetch,
    estimate: async () => ({ quota: 1e9, usage: 0 }),
    openStore: () => openModelStore({ name, chunkSize: CHUNK }),
    registry: openRegistry(`${name}-registry`),
  };
  return { api: createStoreService(deps), name, deps };
}

const files = modelFiles();
const URL_OF = (id: string) => `https://models.test/m/${id}/hearth-model.json`;

describe('store service: add by URL and download', () => {
  it('downloads a model with external data, verified; progress never decreases and ends at the total', async () => {
    const { api } = service(server(files, { good: manifestOf('good', files) }).fetch);
    await api.open({ reservedIds: ['tiny-test'] });
    const added = await api.addFromUrl(URL_OF('good'));
    expect(added).toMatchObject({ cached: false, storedBytes: 0, origin: { kind: 'url' } });
    const events: DownloadProgress[] = [];
    const done = await api.download('good', (progress) => events.push(progress));
    expect(done.cached).toBe(true);
    expect(done.storedBytes).toBe(done.totalBytes);
    const loaded = events.map((event) => event.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(events.at(-1)?.loaded).toBe(done.totalBytes);
    expect((await api.verify('good')).cached).toBe(true);
  });

  it.each([
    ['a 404', { '/m/gone/hearth-model.json': new Response('', { status: 404 }) }, { code: 'download', file: 'hearth-model.json', status: 404 }],
    ['a manifest that is not JSON', { '/m/gone/hearth-model.json': new Response('<html>') }, { code: 'config', field: '(file)' }],
    ['a manifest without fields', { '/m/gone/hearth-model.json': Response.json({ id: 'x' }) }, { code: 'config', field: 'files' }],
  ])('names the file and the reason for %s', async (_, overrides, expected) => {
    const { api } = service(server(files, {}, overrides).fetch);
    await api.open({});
    await expect(api.addFromUrl(URL_OF('gone'))).rejects.toMatchObject(expected);
    expect(await api.list()).toEqual([]);
  });

  it('refuses the id "__proto__" naming the field, then adds the next model; ids and paths named like Object members download', async () => {
    const odd = new Map(files).set('constructor', new Uint8Array([1, 2, 3])).set('toString', new Uint8Array([4]));
    const { api } = service(server(odd, { ['__proto__']: manifestOf('__proto__', files), constructor: manifestOf('constructor', odd), toString: manifestOf('toString', odd) }).fetch);
    await api.open({});
    await expect(api.addFromUrl(URL_OF('__proto__'))).rejects.toMatchObject({ code: 'config', field: 'id' });
    for (const id of ['constructor', 'toString']) {
      await api.addFromUrl(URL_OF(id));
      expect(await api.download(id, () => {})).toMatchObject({ cached: true, manifest: { id } });
    }
    expect((await api.list()).map((model) => model.manifest.id)).toEqual(['constructor', 'toString']);
  });

  it('refuses a manifest that lacks a required file, and an id already taken', async () => {
    const partial = manifestOf('partial', files, ['tokenizer/merges.txt']);
    const { api } = service(server(files, { partial, 'tiny-test': manifestOf('tiny-test', files) }).fetch);
    await api.open({ reservedIds: ['tiny-test'] });
    await expect(api.addFromUrl(URL_OF('partial'))).rejects.toMatchObject({ code: 'config', field: 'files', allowed: 'a list that includes tokenizer/merges.txt' });
    await expect(api.addFromUrl(URL_OF('tiny-test'))).rejects.toMatchObject({ code: 'config', field: 'id' });
  });

  it('deletes a graph that is not ONNX, naming it; the model is not cached and the rest stays', async () => {
    const broken = new Map(files).set('vae_decoder/model.onnx', new TextEncoder().encode('<html>oops</html>'));
    const { api } = service(server(broken, { bad: manifestOf('bad', broken) }).fetch);
    await api.open({});
    await api.addFromUrl(URL_OF('bad'));
    await expect(api.download('bad', () => {})).rejects.toMatchObject({ code: 'model-file', file: 'vae_decoder/model.onnx' });
    const [model] = await api.list();
    expect(model.cached).toBe(false);
    expect(model.files.filter((file) => !file.complete).map((file) => file.path)).toEqual(['vae_decoder/model.onnx']);
  });

  it('names an external-data file the manifest leaves out', async () => {
    const { api } = service(server(files, { lacking: manifestOf('lacking', files, ['unet/model.onnx_data']) }).fetch);
    await api.open({});
    await api.addFromUrl(URL_OF('lacking'));
    const error = await api.download('lacking', () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'model-file', file: 'unet/model.onnx' });
    expect((error as Error).message).toContain('"model.onnx_data"');
  });

  it('stops on request, keeps whole chunks and goes on from them', async () => {
    const data = files.get('unet/model.onnx_data')!;
    let stalls = 1;
    // The first request sends 100 KB and then nothing until it is aborted.
    const stalling = (init?: RequestInit) =>
      new Response(
        stalls-- > 0
          ? new ReadableStream({
              start(controller) {
                controller.enqueue(data.slice(0, 100_000));
                init?.signal?.addEventListener('abort', () => controller.error(init.signal!.reason));
              },
            })
          : data.slice(CHUNK),
        { status: stalls < 0 ? 206 : 200 },
      );
    const fake = server(files, { slow: manifestOf('slow', files) }, { '/m/slow/unet/model.onnx_data': stalling });
    const { api } = service(fake.fetch);
    await api.open({});
    await api.addFromUrl(URL_OF('slow'));
    const stopped = api.download('slow', () => {});
    await expect.poll(async () => (await api.list())[0].files.find((file) => file.path === 'unet/model.onnx_data')?.stored).toBe(CHUNK);
    await expect(api.download('slow', () => {}), 'a second download of the same model is refused').rejects.toBeInstanceOf(DownloadBusyError);
    api.stop('slow');
    await expect(stopped).rejects.toBeInstanceOf(CancelledError);
    expect((await api.list())[0]).toMatchObject({ cached: false });
    expect((await api.download('slow', () => {})).cached).toBe(true);
    expect(fake.requests.filter((path) => path.endsWith('onnx_data'))).toHaveLength(2);
  });
});

describe('store service: start, eviction, delete', () => {
  it('reports files the browser evicted and forgets leftovers of unknown models', async () => {
    const { api, deps, name } = service(server(files, { m: manifestOf('m', files) }).fetch);
    await api.open({});
    await api.addFromUrl(URL_OF('m'));
    await api.download('m', () => {});
    const store = deps.openStore();
    const orphan = await store.beginFile('orphan', { path: 'x.bin' });
    await orphan.write(new Uint8Array(10));
    await orphan.finish();
    // The browser deleting a chunk behind the app's back, as an eviction does.
    await del(['m', 'unet/model.onnx_data', 1], createStore(`${name}-chunks`, 'chunks'));

    const [model] = await createStoreService(deps).open({});
    expect(model).toMatchObject({ cached: false, evicted: { files: ['unet/model.onnx_data'] } });
    expect([...(await store.usage()).keys()]).toEqual(['m']);
    const [again] = await createStoreService(deps).open({});
    expect(again.evicted?.files, 'the reason stays until the next download').toEqual(['unet/model.onnx_data']);
    expect((await api.download('m', () => {})).evicted).toBeUndefined();
  });

  it('delete frees the files; a downloadable model stays listed as not cached', async () => {
    const { api, deps } = service(server(files, { m: manifestOf('m', files) }).fetch);
    await api.open({});
    await api.addFromUrl(URL_OF('m'));
    await api.download('m', () => {});
    await api.deleteFiles('m');
    expect(await deps.openStore().usage()).toEqual(new Map());
    expect(await api.list()).toMatchObject([{ cached: false, storedBytes: 0 }]);
  });
});

describe('store service: local import', () => {
  const picked = (map: Map<string, Uint8Array>, leave: string[] = []) =>
    [...map].filter(([path]) => !leave.includes(path)).map(([path, bytes]) => ({ path, file: new File([bytes.slice()], path.split('/').at(-1)!) }));
  const offline = (async () => Promise.reject(new TypeError('offline'))) as typeof fetch;

  it('stores a folder without a manifest: external data found in the graph, hashes from storing', async () => {
    const { api } = service(offline);
    await api.open({});
    const model = await api.importFiles('My Tiny Model', picked(files));
    expect(model).toMatchObject({ cached: true, origin: { kind: 'local', folder: 'My Tiny Model' } });
    expect(model.manifest).toMatchObject({ id: 'local-my-tiny-model', name: 'My Tiny Model', precision: 'fp32' });
    expect(model.manifest.files.find((file) => file.path === 'unet/model.onnx_data')).toEqual({
      path: 'unet/model.onnx_data',
      size: files.get('unet/model.onnx_data')!.length,
      sha256: sha(files.get('unet/model.onnx_data')!),
      externalData: true,
    });
    expect(model.manifest.files.map((file) => file.path)).not.toContain('model_index.json');
  });

  it('uses the folder manifest when there is one and checks the files against it', async () => {
    const { api } = service(offline);
    await api.open({});
    const manifest = manifestOf('with-manifest', files);
    const withManifest = new Map(files).set('hearth-model.json', new TextEncoder().encode(JSON.stringify(manifest)));
    expect((await api.importFiles('x', picked(withManifest))).manifest).toEqual(manifest);
    const corrupt = new Map(withManifest).set('tokenizer/merges.txt', new Uint8Array(files.get('tokenizer/merges.txt')!.length));
    await expect(api.importFiles('x', picked(corrupt))).rejects.toMatchObject({ code: 'config', field: 'id' });
    await api.deleteFiles('with-manifest');
    await expect(api.importFiles('x', picked(corrupt))).rejects.toMatchObject({ code: 'integrity', file: 'tokenizer/merges.txt' });
    expect(await api.list()).toEqual([]);
  });

  it.each([
    ['a required file', ['scheduler/scheduler_config.json'], 'scheduler/scheduler_config.json', 'is required but not in the picked folder "f"'],
    ['an external-data file', ['unet/model.onnx_data'], 'unet/model.onnx', 'needs the external-data file "model.onnx_data" beside it, which is not in the picked folder'],
  ])('names %s that is missing and stores nothing', async (_, leave, file, reason) => {
    const { api, deps } = service(offline);
    await api.open({});
    await expect(api.importFiles('f', picked(files, leave))).rejects.toMatchObject({ code: 'model-file', file, reason });
    expect(await deps.openStore().usage()).toEqual(new Map());
  });

  it('a write the browser refuses midway is StorageRefusedError with how far it got, and nothing of it is kept', async () => {
    const { api, deps } = service(offline);
    await api.open({});
    const storedChunks: number[] = [];
    const put = IDBObjectStore.prototype.put;
    const refusing = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value, key) {
      if (value instanceof Blob) {
        if (storedChunks.length === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        storedChunks.push(value.size);
      }
      return put.call(this, value, key);
    });
    onTestFinished(() => refusing.mockRestore());
    const error = await api.importFiles('f', picked(files)).catch((e: unknown) => e);
    refusing.mockRestore();
    expect(await api.list()).toEqual([]);
    expect(await deps.openStore().usage()).toEqual(new Map());
    // With room again, the same folder imports whole.
    const { manifest } = await api.importFiles('f', picked(files));
    const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
    expect(error).toBeInstanceOf(StorageRefusedError);
    expect(error).toMatchObject({ kept: false, modelBytes: total });
    const { storedBytes, neededBytes } = error as StorageRefusedError;
    expect(storedBytes, 'the three chunks stored before the refusal').toBe(storedChunks[0] + storedChunks[1] + storedChunks[2]);
    expect(storedBytes + neededBytes).toBe(total);
    expect((error as Error).message).toMatch(/nothing of it was kept$/);
  });

  it('refuses before writing a byte when the quota is too small', async () => {
    const { api, deps } = service(offline);
    const tight = createStoreService({ ...deps, estimate: async () => ({ quota: 100_000, usage: 0 }) });
    await tight.open({});
    await expect(tight.importFiles('f', picked(files))).rejects.toMatchObject({ code: 'quota', availableBytes: 100_000 });
    expect(await api.list()).toEqual([]);
    expect(await deps.openStore().usage()).toEqual(new Map());
  });
});
