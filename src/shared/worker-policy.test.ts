import { describe, expect, it } from 'vitest';
import { APP_WORKER_POLICY, isStoreWorkerScript, workerPolicy } from './worker-policy.ts';

const noOrigins = () => Promise.reject(new Error('only the store worker reads the added origins'));

describe('workerPolicy', () => {
  it('gives the store worker the model hosts and the added origins', async () =>
    expect(await workerPolicy('/hearth/assets/store.worker-BIyg6yC4.js', async () => ['http://127.0.0.1:4332'])).toMatch(
      /^default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' https:\/\/huggingface\.co .* http:\/\/127\.0\.0\.1:4332$/,
    ));

  it.each(['/assets/diffusion.worker-B5sF0vbG.js', '/assets/prompt.worker-D2Su5K83.js', '/assets/ort-wasm-simd-threaded.asyncify-x1.mjs', '/assets/store.worker-x.js.map'])(
    'gives %s the app-only policy',
    async (path) => expect(await workerPolicy(path, noOrigins)).toBe(APP_WORKER_POLICY),
  );

  it('tells the store worker by its script name, under any base path', () => {
    expect(isStoreWorkerScript('/hearth/assets/store.worker-BIyg6yC4.js')).toBe(true);
    expect(isStoreWorkerScript('/assets/restore.worker-x.js')).toBe(false);
  });

  it('lets the other workers fetch from the app only, and compile WebAssembly but not eval', () =>
    expect(APP_WORKER_POLICY).toBe("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'"));
});
