import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../shared/catalog.ts';
import type { AdapterSummary, EngineInfo } from '../shared/backend.ts';
import type { ModelManifest } from '../shared/model.ts';
import type { StoredModel } from '../shared/store-protocol.ts';
import { writeTinyModel } from '../../scripts/make-tiny-model.ts';
import { modelRows } from './model-rows.ts';

const catalog = parseCatalog(JSON.parse(readFileSync('public/catalog.json', 'utf8')));
// Written afresh: unit tests run before the build that writes public/models/tiny.
const tinyDir = mkdtempSync(join(tmpdir(), 'hearth-tiny-'));
const builtIn: ModelManifest = writeTinyModel(tinyDir);
rmSync(tinyDir, { recursive: true, force: true });
const adapter = (features: string[]): AdapterSummary => ({ vendor: 'v', architecture: 'a', description: '', isFallbackAdapter: false, features, maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 30 });
const gpu = (features: string[]): EngineInfo => ({ backend: 'webgpu', adapter: adapter(features), ortVersion: '1', ortBuild: 'asyncify', crossOriginIsolated: true, threads: 1 });
const wasm: EngineInfo = { backend: 'wasm', ortVersion: '1', ortBuild: 'asyncify', crossOriginIsolated: true, threads: 1 };

function stored(manifest: ModelManifest, origin: StoredModel['origin'], storedBytes: number): StoredModel {
  const totalBytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  return { manifest, origin, files: [], totalBytes, storedBytes, cached: storedBytes === totalBytes, addedAt: 1 };
}

describe('modelRows', () => {
  it('lists the built-in model, the catalog with approximate sizes and licences, then added models', () => {
    const added = stored({ ...builtIn, id: 'tiny-test-2', name: 'Tiny 2' }, { kind: 'url', manifestUrl: 'http://x/' }, 1000);
    const rows = modelRows({ builtIn, catalog, stored: [added], engine: gpu(['shader-f16']) });
    expect(rows.map((row) => [row.id, row.origin, row.state])).toEqual([
      ['tiny-test', 'built-in', 'built-in'],
      ['sd-turbo', 'catalog', 'absent'],
      ['lcm-dreamshaper-v7', 'catalog', 'absent'],
      ['sd15', 'catalog', 'absent'],
      ['sd15-inpainting', 'catalog', 'absent'],
      ['tiny-test-2', 'url', 'partial'],
    ]);
    expect(rows[1]).toMatchObject({ verified: false, size: { bytes: 2_578_500_000, exact: false }, fromPicture: true, variant: { id: 'fp16' }, licence: { commercialUse: false } });
  });

  it('says before any download why the device cannot run a model, and waits for the engine to know', () => {
    const [, turboOnCpu] = modelRows({ builtIn, catalog, stored: [], engine: wasm });
    expect(turboOnCpu.unsupported).toMatch(/needs WebGPU/);
    const [, turboNoF16, lcm] = modelRows({ builtIn, catalog, stored: [], engine: gpu([]) });
    expect(turboNoF16.unsupported).toContain('shader-f16');
    expect(lcm).toMatchObject({ unsupported: undefined, variant: { id: 'fp32', precision: 'fp32' } });
    expect(modelRows({ builtIn, catalog, stored: [], engine: undefined })[1]).toMatchObject({ unsupported: undefined, variant: undefined });
  });

  it('says the same for a model added by URL: fp16 without shader-f16, a UNet over the wasm heap', () => {
    const fp16 = stored({ ...builtIn, id: 'half', precision: 'fp16' }, { kind: 'url', manifestUrl: 'http://x/' }, 0);
    const huge = stored({ ...builtIn, id: 'huge', files: [{ path: 'unet/model.onnx_data', size: 4e9, sha256: '0'.repeat(64), externalData: true }] }, { kind: 'url', manifestUrl: 'http://y/' }, 0);
    const onGpu = modelRows({ builtIn: undefined, catalog: undefined, stored: [fp16, huge], engine: gpu([]) });
    expect(onGpu.map((row) => row.unsupported)).toEqual(['its fp16 weights need the WebGPU feature "shader-f16", which this GPU lacks', undefined]);
    const onCpu = modelRows({ builtIn: undefined, catalog: undefined, stored: [fp16, huge], engine: wasm });
    expect(onCpu.map((row) => row.unsupported)).toEqual([undefined, expect.stringContaining('its UNet alone needs 4.00 GB for its weights')]);
  });

  it('says which models can start from a picture: those whose export, as this device gets it, has a VAE encoder', () => {
    const withF16 = modelRows({ builtIn, catalog, stored: [], engine: gpu(['shader-f16']) });
    expect(withF16.map((row) => [row.id, row.fromPicture, row.inpainting])).toEqual([
      ['tiny-test', true, false],
      ['sd-turbo', true, false],
      ['lcm-dreamshaper-v7', false, false],
      ['sd15', true, false],
      ['sd15-inpainting', true, true],
    ]);
    // Without shader-f16, LCM's fp32 export is the one offered, and it has an encoder.
    const lcm = modelRows({ builtIn, catalog, stored: [], engine: gpu([]) })[2];
    expect(lcm).toMatchObject({ variant: { id: 'fp32' }, fromPicture: true });
    const noEncoder = stored({ ...builtIn, id: 'plain', files: builtIn.files.filter((file) => !file.path.startsWith('vae_encoder/')) }, { kind: 'url', manifestUrl: 'http://x/' }, 0);
    expect(modelRows({ builtIn: undefined, catalog: undefined, stored: [noEncoder], engine: wasm })[0].fromPicture).toBe(false);
  });

  it('merges a catalog download into its entry, with exact sizes', () => {
    const turbo = stored({ ...builtIn, id: 'sd-turbo' }, { kind: 'catalog', entryId: 'sd-turbo', variantId: 'fp16', repo: 'r/r', revision: 'x' }, 0);
    turbo.cached = true;
    const rows = modelRows({ builtIn, catalog, stored: [turbo], engine: gpu(['shader-f16']) });
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatchObject({ id: 'sd-turbo', name: 'SD-Turbo', state: 'cached', size: { exact: true }, licence: { name: expect.any(String) } });
  });

  it('suggests low-memory mode before any download where the whole pipeline will not fit, never for the tiny model', () => {
    const roomy = modelRows({ builtIn, catalog, stored: [], engine: gpu(['shader-f16']), deviceMemoryGiB: 8 });
    expect(roomy.map((row) => row.lowMemoryAdvice)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    const small = modelRows({ builtIn, catalog, stored: [], engine: gpu(['shader-f16']), deviceMemoryGiB: 2 });
    expect(small[0].lowMemoryAdvice).toBeUndefined();
    expect(small.find((row) => row.id === 'sd-turbo')?.lowMemoryAdvice).toMatch(/^This model needs about 3\.0 GiB of GPU memory with all its networks loaded, more than the 1\.0 GiB .*half of the 2 GB this device reports/);
  });
});
