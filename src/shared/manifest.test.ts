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
