import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { parseManifest, REQUIRED_FILES, requireModelFiles } from './manifest.ts';

const good = {
  id: 'tiny-test',
  name: 'Tiny test model',
  description: 'abstract images',
  precision: 'fp32',
  files: [{ path: 'unet/model.onnx', size: 1234, sha256: 'a'.repeat(64) }],
  vaeScalingFactor: 0.18215,
  defaults: { width: 256, height: 256, steps: 4, guidance: 3, scheduler: 'euler' },
  sizes: { min: 64, max: 512, multiple: 64 },
};

function errorFor(json: unknown): ConfigError {
  try {
    parseManifest(json);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseManifest accepted a bad manifest');
}

describe('parseManifest', () => {
  it('accepts a complete manifest', () => expect(parseManifest(good)).toEqual(good));
  it('names a missing field', () => expect(errorFor({ ...good, vaeScalingFactor: undefined }).field).toBe('vaeScalingFactor'));
  it('names a bad file entry', () => {
    const error = errorFor({ ...good, files: [{ path: 'x.onnx', size: 1, sha256: 'nope' }] });
    expect(error.source).toBe('hearth-model.json files[0]');
    expect(error.field).toBe('sha256');
  });
  it('refuses an unknown sampler in defaults', () =>
    expect(errorFor({ ...good, defaults: { ...good.defaults, scheduler: 'heun' } }).field).toBe('scheduler'));
  it('refuses something that is not an object', () => expect(errorFor('[]').field).toBe('(file)'));
  it("keeps an inpainting UNet's 9 input channels, and refuses a count no Stable Diffusion UNet has", () => {
    expect(parseManifest({ ...good, unetInChannels: 9 }).unetInChannels).toBe(9);
    expect(parseManifest(good)).not.toHaveProperty('unetInChannels');
    expect(errorFor({ ...good, unetInChannels: 5 }).field).toBe('unetInChannels');
  });
  it('keeps the external-data marker only where it is true', () => {
    const data = { path: 'unet/model.onnx_data', size: 99, sha256: 'b'.repeat(64) };
    const files = parseManifest({ ...good, files: [...good.files, { ...data, externalData: true }, { ...data, path: 'x.bin', externalData: false }] }).files;
    expect(files[1]).toEqual({ ...data, externalData: true });
    expect(files[2]).not.toHaveProperty('externalData');
  });
  it('refuses a path that leaves the model folder, and a path listed twice', () => {
    expect(errorFor({ ...good, files: [{ ...good.files[0], path: '../secret' }] }).field).toBe('path');
    expect(errorFor({ ...good, files: [good.files[0], good.files[0]] }).source).toBe('hearth-model.json file "unet/model.onnx"');
  });
});

describe('requireModelFiles', () => {
  it('names every required file a manifest lacks', () => {
    expect(() => requireModelFiles(parseManifest(good), 'm.json')).toThrow(
      'm.json: "files" is invalid; allowed: a list that includes text_encoder/model.onnx, vae_decoder/model.onnx, tokenizer/vocab.json, tokenizer/merges.txt, scheduler/scheduler_config.json',
    );
    const complete = { ...good, files: REQUIRED_FILES.map((path) => ({ path, size: 1, sha256: 'c'.repeat(64) })) };
    expect(() => requireModelFiles(parseManifest(complete))).not.toThrow();
  });
});

describe('parseManifest over hostile manifests', () => {
  const huge = 'x'.repeat(1_000_000);
  const file = good.files[0];
  const withFile = (change: Record<string, unknown>) => ({ ...good, files: [{ ...file, ...change }] });
  it.each<[string, unknown, string]>([
    ['the id "__proto__", which a plain object takes for its prototype', { ...good, id: '__proto__' }, 'id'],
    ['an id of a million characters', { ...good, id: huge }, 'id'],
    ['an id that is a number', { ...good, id: 5 }, 'id'],
    ['an id that is a list', { ...good, id: ['tiny'] }, 'id'],
    ['an id with a slash', { ...good, id: 'a/b' }, 'id'],
    ['an empty id', { ...good, id: '' }, 'id'],
    ['a name that is an object', { ...good, name: { toString: 'x' } }, 'name'],
    ['a name of a million characters', { ...good, name: huge }, 'name'],
    ['a description of a million characters', { ...good, description: huge }, 'description'],
    ['a description that is a number', { ...good, description: 7 }, 'description'],
    ['files that are an object with a length', { ...good, files: { 0: file, length: 1 } }, 'files'],
    ['a hundred thousand files', { ...good, files: Array.from({ length: 100_000 }, (_, i) => ({ ...file, path: `f${i}` })) }, 'files'],
    ['a path that climbs out of the model folder', withFile({ path: '../../secret' }), 'path'],
    ['a path that climbs out from inside', withFile({ path: 'unet/../../secret' }), 'path'],
    ['an absolute path', withFile({ path: '/etc/passwd' }), 'path'],
    ['an absolute URL as a path', withFile({ path: 'https://evil.test/model.onnx' }), 'path'],
    ['a protocol-relative URL as a path', withFile({ path: '//evil.test/model.onnx' }), 'path'],
    ['a backslash path', withFile({ path: 'unet\\..\\..\\secret' }), 'path'],
    ['a path of a million characters', withFile({ path: huge }), 'path'],
    ['a path that is a number', withFile({ path: 1 }), 'path'],
    ['a size given as text', withFile({ size: '1234' }), 'size'],
    ['a fractional size', withFile({ size: 1.5 }), 'size'],
    ['a size past what a file can hold', withFile({ size: 1e300 }), 'size'],
    ['a negative size', withFile({ size: -1 }), 'size'],
    ['a file entry that is null', { ...good, files: [null] }, '(entry)'],
    ['defaults that are null', { ...good, defaults: null }, 'defaults'],
    ['a list instead of an object', [good], '(file)'],
    ['null', null, '(file)'],
  ])('refuses %s, naming the field', (_, json, field) => expect(errorFor(json).field).toBe(field));

  it('takes nothing from a "__proto__" key, which JSON makes an own property', () => {
    expect(errorFor(JSON.parse(`{"__proto__": ${JSON.stringify(good)}}`)).field).toBe('files');
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('accepts the id "%s": every id-keyed collection is a Map', (id) => {
    expect(parseManifest({ ...good, id }).id).toBe(id);
  });
});
