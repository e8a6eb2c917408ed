import { describe, expect, it } from 'vitest';
import { InvalidSettingError } from './errors.ts';
import { validateSettings, type GenerationSettings } from './settings.ts';

const SIZES = { min: 64, max: 512, multiple: 64 };
const valid: GenerationSettings = {
  prompt: '',
  negativePrompt: '',
  seed: 0,
  steps: 4,
  width: 256,
  height: 128,
  guidance: 0,
  scheduler: 'euler-a',
  batchCount: 1,
};

function fieldOf(change: Partial<GenerationSettings>): string | undefined {
  try {
    validateSettings({ ...valid, ...change }, SIZES);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSettingError);
    return (error as InvalidSettingError).field;
  }
}

describe('validateSettings', () => {
  it('accepts an empty prompt (unconditional generation)', () => expect(fieldOf({})).toBeUndefined());
  it.each([
    [{ steps: 0 }, 'steps'],
    [{ steps: 2.5 }, 'steps'],
    [{ steps: 101 }, 'steps'],
    [{ guidance: -1 }, 'guidance'],
    [{ guidance: Number.NaN }, 'guidance'],
    [{ width: 100 }, 'width'],
    [{ height: 1024 }, 'height'],
    [{ seed: -1 }, 'seed'],
    [{ batchCount: 0 }, 'batchCount'],
    [{ scheduler: 'heun' as never }, 'scheduler'],
  ])('refuses %o naming %s', (change, field) => expect(fieldOf(change)).toBe(field));
  it('says what is allowed', () => {
    expect(() => validateSettings({ ...valid, width: 100 }, SIZES)).toThrow('Width must be a multiple of 64.');
  });
});
