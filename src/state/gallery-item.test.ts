import { describe, expect, it } from 'vitest';
import { parseParameters } from '../shared/png-parameters.ts';
import { downloadName, parametersText, reusableSettings } from './gallery-item.ts';
import type { GalleryItem } from './records.ts';

const item: GalleryItem = {
  id: 'j-0',
  jobId: 'j',
  modelId: 'sd-turbo',
  settings: { prompt: 'a photo of a cat', negativePrompt: 'blurry', seed: 42, steps: 4, width: 512, height: 512, guidance: 1, scheduler: 'euler-a', batchCount: 3 },
  seed: 42,
  width: 512,
  height: 512,
  png: new Blob(),
  createdAt: 1,
};

describe('gallery item', () => {
  it('writes the A1111 text its PNG carries', () => {
    expect(parametersText(item)).toBe('a photo of a cat\nNegative prompt: blurry\nSteps: 4, Sampler: Euler a, CFG scale: 1, Seed: 42, Size: 512x512, Model: sd-turbo');
  });

  it('reuses every setting but the batch count, with the image’s own seed', () => {
    const second = { ...item, seed: 43, settings: { ...item.settings, seed: 43 } };
    expect(reusableSettings(second)).toEqual({ prompt: 'a photo of a cat', negativePrompt: 'blurry', seed: 43, steps: 4, width: 512, height: 512, guidance: 1, scheduler: 'euler-a' });
  });

  it('round-trips through parseParameters to the same settings', () => {
    const { settings, model, ignored } = parseParameters(parametersText(item), { min: 64, max: 512, multiple: 64 });
    const { batchCount: _, ...rest } = item.settings;
    expect(settings).toEqual(rest);
    expect(model).toBe('sd-turbo');
    expect(ignored).toEqual([]);
  });

  it('names downloads after the seed and a short, safe prompt slug', () => {
    const named = (prompt: string) => downloadName({ seed: 7, settings: { ...item.settings, prompt } });
    expect(named('A Photo of a Cat!')).toBe('hearth-7-a-photo-of-a-cat.png');
    expect(named('')).toBe('hearth-7.png');
    expect(named('../../etc/passwd')).toBe('hearth-7-etc-passwd.png');
    expect(named('<img src=x onerror=alert(1)>')).toBe('hearth-7-img-src-x-onerror-alert-1.png');
    expect(named('con: a\u0000b\\c/d"e*f?g|h')).toBe('hearth-7-con-a-b-c-d-e-f-g-h.png');
    expect(named('草原の猫、夕暮れ')).toBe('hearth-7-草原の猫-夕暮れ.png');
    expect(named('!!!')).toBe('hearth-7.png');
  });

  it('cuts long prompts at 40 characters without halving a character or ending on a dash', () => {
    expect(downloadName({ seed: 1, settings: { ...item.settings, prompt: 'word '.repeat(30) } })).toBe('hearth-1-word-word-word-word-word-word-word-word.png');
    const astral = '𠀀'.repeat(50);
    expect(downloadName({ seed: 1, settings: { ...item.settings, prompt: astral } })).toBe(`hearth-1-${'𠀀'.repeat(40)}.png`);
  });
});
