import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { addedOrigins, addOrigin, isBuiltInHost, storeWorkerPolicy } from './model-hosts.ts';

describe('model hosts', () => {
  it('allows the app, the catalog and the added origins, nothing else', () =>
    expect(storeWorkerPolicy(['http://127.0.0.1:4332'])).toBe(
      "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co http://127.0.0.1:4332",
    ));

  it.each([
    ['https://app.example/models/x/hearth-model.json', true],
    ['https://huggingface.co/org/repo/resolve/main/unet/model.onnx', true],
    ['https://cdn-lfs.hf.co/repos/ab/cd', true],
    ['http://huggingface.co/org/repo', false],
    ['https://evilhuggingface.co/x', false],
    ['https://models.example.org/tiny/hearth-model.json', false],
  ])('%s needs no added origin: %s', (url, builtIn) => expect(isBuiltInHost(new URL(url), 'https://app.example')).toBe(builtIn));

  it('keeps each added origin once', async () => {
    const store = createStore('model-hosts-test', 'hosts');
    expect(await addOrigin('https://models.example.org', store)).toBe(true);
    expect(await addOrigin('https://models.example.org', store)).toBe(false);
    expect(await addedOrigins(store)).toEqual(['https://models.example.org']);
  });
});
