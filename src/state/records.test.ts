import { describe, expect, it } from 'vitest';
import { CURRENT_BUILD, MT_WORDS } from '../shared/checkpoint.ts';
import { DEFAULT_SETTINGS } from '../shared/settings.ts';
import { readGalleryItem, readJob, readSettings, SCHEMA_VERSION, wrap, readMemoryOptions } from './records.ts';

const defaults = DEFAULT_SETTINGS;

describe('saved records', () => {
  it('read current settings as they were saved', () => {
    const saved = { ...defaults, prompt: 'a cat', steps: 8 };
    expect(readSettings(wrap(saved), defaults)).toEqual({ ok: true, value: saved });
  });

  it('migrate v1 settings (bare, without batchCount) and fill what v1 lacked', () => {
    const v1 = { prompt: 'old', negativePrompt: '', seed: 1, steps: 2, width: 64, height: 64, guidance: 1, scheduler: 'ddim' };
    expect(readSettings(v1, defaults)).toEqual({ ok: true, value: { ...v1, batchCount: 1 }, migratedFrom: 1 });
  });

  it('drop garbage with a reason', () => {
    expect(readSettings('garbage', defaults)).toEqual({ ok: false, reason: 'it is not a settings object' });
    expect(readSettings(wrap({ steps: 'many' }), defaults)).toEqual({ ok: false, reason: '"steps" is not a number' });
    expect(readSettings({ schema: SCHEMA_VERSION + 1, value: defaults }, defaults).ok).toBe(false);
  });

  it('keep an unknown sampler out', () => {
    const result = readSettings(wrap({ ...defaults, scheduler: 'toString' }), defaults);
    expect(result.ok && result.value.scheduler).toBe('euler');
  });

  it('read a job and keep a checkpoint that fits it', () => {
    const job = { id: 'j', modelId: 'tiny-test', settings: { ...defaults, steps: 4, width: 64, height: 64 }, createdAt: 5 };
    const checkpoint = {
      build: CURRENT_BUILD,
      jobId: 'j',
      imageIndex: 0,
      step: 2,
      latents: new Float32Array(4 * 8 * 8),
      scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: 4, stepIndex: 2, beginIndex: null },
      generator: { mt: new Uint32Array(MT_WORDS), index: 3, nextNormal: null },
    };
    expect(readJob(wrap({ ...job, checkpoint }))).toEqual({ ok: true, value: { ...job, checkpoint } });
  });

  it('keep a job whose checkpoint does not fit, without the checkpoint, saying why', () => {
    const job = { id: 'j', modelId: 'tiny-test', settings: { ...defaults, steps: 4, width: 64, height: 64 }, createdAt: 5 };
    const checkpoint = { build: CURRENT_BUILD, jobId: 'j', imageIndex: 0, step: 2, latents: new Float32Array(4 * 8 * 8), scheduler: {}, generator: {} };
    expect(readJob(wrap({ ...job, checkpoint }))).toEqual({ ok: true, value: job, checkpointDropped: 'its scheduler "undefined" is unknown' });
    expect(readJob(wrap({ ...job, checkpoint: { step: 'x' } }))).toMatchObject({ ok: true, value: job, checkpointDropped: expect.any(String) });
    expect(readJob(wrap({ id: 'j' })).ok).toBe(false);
  });

  it('read a job with its picture and mask, and its checkpoint only from the step its strength enters at', () => {
    const input = {
      image: { width: 64, height: 64, rgba: new Uint8ClampedArray(64 * 64 * 4).fill(9) },
      mask: { width: 64, height: 64, data: new Uint8Array(64 * 64).fill(255) },
      strength: 0.5,
      maskBlur: 4,
    };
    const job = { id: 'j', modelId: 'tiny-test', settings: { ...defaults, steps: 4, width: 64, height: 64 }, input, createdAt: 5 };
    const checkpoint = (step: number) => ({
      build: CURRENT_BUILD,
      jobId: 'j',
      imageIndex: 0,
      step,
      latents: new Float32Array(4 * 8 * 8),
      scheduler: { className: 'EulerDiscreteScheduler', numInferenceSteps: 4, stepIndex: step, beginIndex: 2 },
      generator: { mt: new Uint32Array(MT_WORDS), index: 3, nextNormal: null },
    });
    expect(readJob(wrap({ ...job, checkpoint: checkpoint(3) }))).toEqual({ ok: true, value: { ...job, checkpoint: checkpoint(3) } });
    expect(readJob(wrap({ ...job, checkpoint: checkpoint(2) }))).toEqual({ ok: true, value: job, checkpointDropped: 'its step 2 is not between 3 and 4' });
    expect(readJob(wrap({ ...job, input: { ...input, mask: { ...input.mask, data: new Uint8Array(10) } } }))).toEqual({ ok: false, reason: 'its input image or mask is damaged' });
    expect(readJob(wrap({ ...job, input: { ...input, strength: 0 } })).ok).toBe(false);
  });

  it('keep the error of a job that failed, so it waits for Retry', () => {
    const job = { id: 'j', modelId: 'tiny-test', settings: defaults, createdAt: 5, error: 'Model file unet/model.onnx: is broken' };
    expect(readJob(wrap(job))).toEqual({ ok: true, value: job });
  });

  it('read an image only with its PNG blob', () => {
    const item = { id: 'i', jobId: 'j', modelId: 'm', settings: defaults, seed: 1, width: 64, height: 64, createdAt: 1, png: new Blob(['x']) };
    expect(readGalleryItem(wrap(item)).ok).toBe(true);
    expect(readGalleryItem(wrap({ ...item, png: 'not a blob' }))).toEqual({ ok: false, reason: 'it is not an image record' });
  });

  it('keep a thumbnail blob, and read an image whose thumbnail is missing or broken without one', () => {
    const item = { id: 'i', jobId: 'j', modelId: 'm', settings: defaults, seed: 1, width: 64, height: 64, createdAt: 1, png: new Blob(['x']) };
    const thumb = new Blob(['t']);
    expect(readGalleryItem(wrap({ ...item, thumb }))).toEqual({ ok: true, value: { ...item, thumb } });
    expect(readGalleryItem(wrap(item))).toEqual({ ok: true, value: item });
    expect(readGalleryItem(wrap({ ...item, thumb: 'not a blob' }))).toEqual({ ok: true, value: item });
  });

  it('read memory options field by field, defaulting what does not fit', () => {
    expect(readMemoryOptions(wrap({ lowMemory: true, residentModels: 3 }))).toEqual({ lowMemory: true, residentModels: 3 });
    expect(readMemoryOptions(wrap({ lowMemory: 'yes', residentModels: 3 }))).toEqual({ lowMemory: false, residentModels: 3 });
    expect(readMemoryOptions(wrap({ lowMemory: true, residentModels: 99 }))).toEqual({ lowMemory: true, residentModels: 1 });
    expect(readMemoryOptions(wrap({ lowMemory: true, residentModels: 1.5 }))).toEqual({ lowMemory: true, residentModels: 1 });
    expect(readMemoryOptions(undefined)).toEqual({ lowMemory: false, residentModels: 1 });
    expect(readMemoryOptions({ schema: 99, value: { lowMemory: true } })).toEqual({ lowMemory: false, residentModels: 1 });
  });
});
