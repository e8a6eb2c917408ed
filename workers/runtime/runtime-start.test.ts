import { describe, expect, it } from 'vitest';
import { ModelFileError, RuntimeStartError } from '../../src/shared/errors.ts';
import { runtimeStartError } from './runtime-start.ts';

const ORT_FAILURE = new Error(
  'no available backend found. ERR: [webgpu] TypeError: Failed to fetch dynamically imported module: https://example.org/assets/ort-wasm-simd-threaded.asyncify-abc.mjs',
);
const ASSETS = ['https://example.org/assets/ort-wasm-simd-threaded.asyncify-abc.mjs', 'https://example.org/assets/ort-wasm-simd-threaded.asyncify-abc.wasm'];

/** A host that answers each asset with `answers[name]`: a status and a Content-Type. */
function host(answers: Record<string, { status?: number; type?: string }>): typeof fetch {
  return async (input) => {
    const name = String(input).slice(String(input).lastIndexOf('.') + 1);
    const { status = 200, type } = answers[name] ?? {};
    return new Response(null, { status, headers: type ? { 'Content-Type': type } : {} });
  };
}

describe('runtimeStartError', () => {
  it('names a .mjs served as text/plain, and what the host must do', async () => {
    const error = await runtimeStartError(ORT_FAILURE, ASSETS, host({ mjs: { type: 'text/plain' }, wasm: { type: 'application/wasm' } }));
    expect(error).toBeInstanceOf(RuntimeStartError);
    expect(error?.message).toMatch(
      /^The ONNX runtime could not start: the site sends ort-wasm-simd-threaded\.asyncify-abc\.mjs as "text\/plain", and browsers run only JavaScript-typed modules\. The site must serve \.mjs files as text\/javascript/,
    );
  });

  it('names a missing runtime file', async () => {
    const error = await runtimeStartError(ORT_FAILURE, ASSETS, host({ mjs: { type: 'text/javascript' }, wasm: { status: 404 } }));
    expect(error?.reason).toBe('the site answers HTTP 404 for ort-wasm-simd-threaded.asyncify-abc.wasm');
  });

  it("keeps ORT's words when the host looks right or cannot be asked", async () => {
    const right = await runtimeStartError(ORT_FAILURE, ASSETS, host({ mjs: { type: 'text/javascript; charset=utf-8' }, wasm: { type: 'application/wasm' } }));
    expect(right?.reason).toBe(ORT_FAILURE.message);
    const offline = await runtimeStartError(ORT_FAILURE, ASSETS, async () => Promise.reject(new TypeError('Failed to fetch')));
    expect(offline?.reason).toBe(ORT_FAILURE.message);
  });

  it('leaves other errors alone', async () =>
    expect(await runtimeStartError(new ModelFileError('unet/model.onnx', 'x'), ASSETS, host({}))).toBeUndefined());
});
