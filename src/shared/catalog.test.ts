import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { approxVariantBytes, parseCatalog, variantFiles, type Catalog, type CatalogEntry } from './catalog.ts';
import { ConfigError } from './errors.ts';
import { memoryNeeds } from './memory-needs.ts';
import { SCHEDULERS } from './settings.ts';

const shippedText = readFileSync(new URL('../../public/catalog.json', import.meta.url), 'utf8');
const shipped = (): Record<string, any> => JSON.parse(shippedText);
const catalog: Catalog = parseCatalog(shipped());
const entry = (id: string): CatalogEntry => catalog.models.find((model) => model.id === id)!;

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
  it('lists the VAE encoder of every export that was seen to have one, and none for the LCM fp16 export, whose listing was not found', () => {
    const withEncoder = catalog.models.flatMap((model) => model.variants.filter((v) => v.files.vaeEncoder).map((v) => `${model.id}/${v.id}`));
    expect(withEncoder).toEqual(['sd-turbo/fp16', 'lcm-dreamshaper-v7/fp32', 'sd15/fp16', 'sd15/fp32', 'sd15-inpainting/fp32']);
    for (const model of catalog.models) for (const variant of model.variants) if (variant.files.vaeEncoder) expect(variant.files.vaeEncoder.path).toBe('vae_encoder/model.onnx');
  });
  it('counts the VAE encoder in a variant\'s download size and in the memory it needs with every network loaded', () => {
    const turbo = entry('sd-turbo').variants[0];
    const { vaeEncoder, ...withoutEncoder } = turbo.files;
    const plain = { ...turbo, files: withoutEncoder };
    expect(approxVariantBytes(turbo) - approxVariantBytes(plain)).toBe(vaeEncoder!.approxBytes);
    expect(variantFiles(turbo)).toContainEqual({ path: 'vae_encoder/model.onnx', bytes: 68_400_000 });
    expect(memoryNeeds(variantFiles(turbo))!.allBytes).toBeGreaterThan(memoryNeeds(variantFiles(plain))!.allBytes);
    // Low-memory mode holds one network at a time, and the encoder is smaller than the UNet.
    expect(memoryNeeds(variantFiles(turbo))!.largest).toBe('UNet');
  });
  it('offers an SD 1.5 inpainting export: 9 UNet channels, a VAE encoder, the branch it follows said in its note', () => {
    const inpainting = entry('sd15-inpainting');
    expect(inpainting).toMatchObject({ family: 'sd15', unetInChannels: 9, verified: false });
    const [variant] = inpainting.variants;
    expect(variant).toMatchObject({ repo: 'botp/stable-diffusion-v1-5-inpainting', revision: 'onnx', files: { vaeEncoder: { path: 'vae_encoder/model.onnx' } } });
    expect(variant.note).toMatch(/^Follows the onnx branch/);
    expect(variant.tokenizer.revision).toMatch(/^[0-9a-f]{40}$/);
    for (const model of catalog.models.filter((other) => other.id !== 'sd15-inpainting')) expect(model).not.toHaveProperty('unetInChannels');
  });
  it('offers TAESD as its own download for SD 1.x/2.x latents: MIT, pinned to a commit, unverified', () => {
    const [taesd] = catalog.previewDecoders;
    expect(taesd).toMatchObject({ id: 'taesd', vaeScalingFactor: 0.18215, verified: false, licence: { name: 'MIT', commercialUse: true } });
    expect(taesd.revision).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('parseCatalog refuses', () => {
  it('something that is not an object', () => expect(errorFor(() => '[]').field).toBe('(file)'));
  it('another version', () => expect(errorFor((json) => void (json.version = 2)).field).toBe('version'));
  it('an empty model list', () => expect(errorFor((json) => void (json.models = [])).field).toBe('models'));
  it('a default that names no model', () => expect(errorFor((json) => void (json.default = 'sdxl')).field).toBe('default'));
  it('a preview decoder with a model\'s id, since licences are accepted per id', () => {
    const error = errorFor((json) => void (json.previewDecoders[0].id = 'sd15'));
    expect([error.source, error.field]).toEqual(['catalog.json "sd15"', 'id']);
  });
  it('a preview decoder without its file', () => {
    const error = errorFor((json) => void delete json.previewDecoders[0].file);
    expect([error.source, error.field]).toEqual(['catalog.json preview decoder "taesd" file', '(file)']);
  });

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

  it('UNet channels no Stable Diffusion UNet has', () => {
    expect(errorFor((json) => void (json.models[0].unetInChannels = 8)).field).toBe('unetInChannels');
  });
  it('a VAE encoder without a path, naming the network', () => {
    const error = errorFor((json) => void (json.models[0].variants[0].files.vaeEncoder = { approxBytes: 1 }));
    expect(error.message).toContain('vaeEncoder');
    expect(error.field).toBe('path');
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
