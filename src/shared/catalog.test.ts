import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hfFileUrl, hfPointerUrl, parseCatalog, pickVariant, type Catalog, type CatalogEntry } from './catalog.ts';
import { ConfigError } from './errors.ts';
import type { AdapterSummary } from './backend.ts';
import { SCHEDULERS } from './settings.ts';

const shippedText = readFileSync(new URL('../../public/catalog.json', import.meta.url), 'utf8');
const shipped = (): Record<string, any> => JSON.parse(shippedText);
const catalog: Catalog = parseCatalog(shipped());
const entry = (id: string): CatalogEntry => catalog.models.find((model) => model.id === id)!;

const MiB = 2 ** 20;
const gpu = (change: Partial<AdapterSummary> = {}): AdapterSummary => ({
  vendor: 'test',
  architecture: '',
  description: '',
  features: ['shader-f16'],
  maxBufferSize: 2048 * MiB,
  maxStorageBufferBindingSize: 2048 * MiB,
  ...change,
});

function errorFor(edit: (json: Record<string, any>) => unknown): ConfigError {
  const json = shipped();
  const replaced = edit(json);
  try {
    parseCatalog(replaced === undefined ? json : replaced);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseCatalog accepted a bad catalog');
}

describe('the shipped catalog', () => {
  it('parses, and keeps every field', () => expect(catalog).toEqual(shipped()));
  it('offers SD-Turbo first', () => {
    expect(catalog.default).toBe('sd-turbo');
    expect(catalog.models[0].id).toBe('sd-turbo');
  });
  it('needs shader-f16 for every SD-Turbo export', () => {
    for (const variant of entry('sd-turbo').variants) expect(variant.requirements.features).toContain('shader-f16');
  });
  it('names a known sampler as every default', () => {
    for (const model of catalog.models) expect(Object.keys(SCHEDULERS)).toContain(model.defaults.scheduler);
  });
  it('marks every real model unverified until seen working', () => {
    for (const model of catalog.models) expect(model.verified).toBe(false);
  });
  it('states the VAE scale of SD 1.x/2.x for every model', () => {
    for (const model of catalog.models) expect(model.vaeScalingFactor).toBe(0.18215);
  });
});

describe('pickVariant', () => {
  it('picks the fp16 export on a GPU with shader-f16', () => {
    expect(pickVariant(entry('sd-turbo'), gpu())).toEqual({ variant: entry('sd-turbo').variants[0], backend: 'webgpu' });
  });

  it('refuses SD-Turbo on a GPU without shader-f16, naming the feature', () => {
    const choice = pickVariant(entry('sd-turbo'), gpu({ features: [] }));
    expect(choice).toEqual({ reason: 'needs the WebGPU feature shader-f16, which this GPU lacks' });
  });

  it('falls back to the fp32 export on a GPU without shader-f16', () => {
    const choice = pickVariant(entry('lcm-dreamshaper-v7'), gpu({ features: [] }));
    expect('variant' in choice && choice.variant.id).toBe('fp32');
  });

  it('refuses with the numbers when a buffer limit is too small', () => {
    const choice = pickVariant(entry('sd-turbo'), gpu({ maxBufferSize: 64 * MiB }));
    expect(choice).toEqual({
      reason: 'needs a maxBufferSize of at least 101,187,584 bytes (97 MiB), but this GPU allows 67,108,864 bytes (64 MiB)',
    });
  });

  it('says why each export fails when none fits', () => {
    const choice = pickVariant(entry('sd15'), gpu({ features: [], maxStorageBufferBindingSize: 128 * MiB }));
    expect(choice).toEqual({
      reason:
        'fp16: needs the WebGPU feature shader-f16, which this GPU lacks; ' +
        'fp32: needs a maxStorageBufferBindingSize of at least 151,781,376 bytes (145 MiB), but this GPU allows 134,217,728 bytes (128 MiB)',
    });
  });

  it('refuses real models on the CPU backend as too big', () => {
    expect(pickVariant(entry('sd-turbo'), undefined)).toEqual({
      reason: 'its fp16 weights (about 2.5 GB) are too big for the CPU (wasm) backend; it needs WebGPU',
    });
  });

  it('runs a variant on wasm when it says it can', () => {
    const turbo = entry('sd-turbo');
    const variant = { ...turbo.variants[0], requirements: { ...turbo.variants[0].requirements, backends: ['webgpu' as const, 'wasm' as const] } };
    expect(pickVariant({ ...turbo, variants: [variant] }, undefined)).toEqual({ variant, backend: 'wasm' });
  });

  it('refuses a wasm variant whose UNet alone is over the wasm heap, with the numbers', () => {
    const lcm = entry('lcm-dreamshaper-v7');
    const fp32 = lcm.variants.find((v) => v.precision === 'fp32')!;
    const unet = { ...fp32.files.unet, externalData: [{ path: 'unet/model.onnx_data', approxBytes: 4e9 }] };
    const variant = { ...fp32, files: { ...fp32.files, unet }, requirements: { ...fp32.requirements, backends: ['wasm' as const] } };
    expect(pickVariant({ ...lcm, variants: [variant] }, undefined)).toEqual({
      reason: 'its UNet alone needs 4.00 GB for its weights, more than the 3.76 GB the CPU (wasm) backend can hold; it needs WebGPU',
    });
  });
});

describe('parseCatalog refuses', () => {
  it('something that is not an object', () => expect(errorFor(() => '[]').field).toBe('(file)'));
  it('another version', () => expect(errorFor((json) => void (json.version = 2)).field).toBe('version'));
  it('an empty model list', () => expect(errorFor((json) => void (json.models = [])).field).toBe('models'));
  it('a default that names no model', () => expect(errorFor((json) => void (json.default = 'sdxl')).field).toBe('default'));

  it('an unknown sampler, naming the model and listing the samplers', () => {
    const error = errorFor((json) => void (json.models[0].defaults.scheduler = 'heun'));
    expect(error.source).toBe('catalog.json model "sd-turbo" defaults');
    expect(error.field).toBe('scheduler');
    expect(error.allowed).toBe(Object.keys(SCHEDULERS).join(', '));
  });

  it('a missing UNet', () => {
    const error = errorFor((json) => void delete json.models[0].variants[0].files.unet);
    expect(error.source).toBe('catalog.json model "sd-turbo" variant "fp16" files');
    expect(error.field).toBe('unet');
  });

  it('a missing file path', () => {
    const error = errorFor((json) => void delete json.models[0].variants[0].files.unet.path);
    expect(error.source).toBe('catalog.json model "sd-turbo" variant "fp16" files.unet');
    expect(error.field).toBe('path');
  });

  it('a path that climbs out of the repo', () => {
    const error = errorFor((json) => void (json.models[2].variants[0].files.unet.externalData[0].path = '../weights.pb'));
    expect(error.source).toBe('catalog.json model "sd15" variant "fp16" files.unet.externalData[0]');
    expect(error.field).toBe('path');
  });

  it('a licence link that is not https', () => {
    const error = errorFor((json) => void (json.models[1].licence.url = 'http://example.com'));
    expect(error.source).toBe('catalog.json model "lcm-dreamshaper-v7" licence');
    expect(error.field).toBe('url');
  });

  it('a licence without commercialUse', () => {
    expect(errorFor((json) => void delete json.models[0].licence.commercialUse).field).toBe('commercialUse');
  });

  it('sizes whose max is below min', () => {
    const error = errorFor((json) => void (json.models[0].sizes = { min: 512, max: 256, multiple: 64 }));
    expect(error.source).toBe('catalog.json model "sd-turbo" sizes');
    expect(error.field).toBe('max');
  });

  it('a default width outside the sizes', () => {
    expect(errorFor((json) => void (json.models[0].defaults.width = 500)).field).toBe('width');
  });

  it('a misspelt key instead of ignoring it', () => {
    const error = errorFor((json) => {
      const variant = json.models[0].variants[0];
      variant.schedular = variant.scheduler;
      delete variant.scheduler;
    });
    expect(error.field).toBe('schedular');
    expect(error.source).toBe('catalog.json model "sd-turbo" variant "fp16"');
  });

  it('an unknown backend', () => {
    expect(errorFor((json) => void (json.models[0].variants[0].requirements.backends = ['webgl'])).field).toBe('backends');
  });

  it('two models with one id', () => {
    const error = errorFor((json) => void (json.models[1].id = 'sd-turbo'));
    expect(error.field).toBe('id');
    expect(error.source).toContain('"sd-turbo"');
  });

  it('a model that is not an object, by its index', () => {
    const error = errorFor((json) => void (json.models[1] = 'lcm'));
    expect(error.source).toBe('catalog.json models[1]');
  });
});

describe('Hugging Face URLs', () => {
  it('resolve a file at a revision', () =>
    expect(hfFileUrl('schmuell/sd-turbo-ort-web', 'main', 'unet/model.onnx')).toBe(
      'https://huggingface.co/schmuell/sd-turbo-ort-web/resolve/main/unet/model.onnx',
    ));
  it('serve the raw pointer at a revision', () =>
    expect(hfPointerUrl('nmkd/stable-diffusion-1.5-onnx-fp16', 'refs/pr/1', 'unet/weights.pb')).toBe(
      'https://huggingface.co/nmkd/stable-diffusion-1.5-onnx-fp16/raw/refs%2Fpr%2F1/unet/weights.pb',
    ));
});
