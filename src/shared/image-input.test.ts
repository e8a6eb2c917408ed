import { describe, expect, it } from 'vitest';
import { InvalidSettingError } from './errors.ts';
import { denoisingSteps, validateImageInput, type ImageInput } from './image-input.ts';

const image = (width: number, height: number) => ({ width, height, rgba: new Uint8ClampedArray(width * height * 4) });
const input = (overrides: Partial<ImageInput> = {}): ImageInput => ({ image: image(64, 64), strength: 0.5, maskBlur: 4, ...overrides });

describe('image input', () => {
  it("runs diffusers' int(steps * strength) last steps of the schedule", () => {
    expect(denoisingSteps(4, 0.5)).toEqual({ start: 2, run: 2 });
    expect(denoisingSteps(10, 0.75)).toEqual({ start: 3, run: 7 });
    expect(denoisingSteps(100, 0.29)).toEqual({ start: 72, run: 28 });
    expect(denoisingSteps(4, 1)).toEqual({ start: 0, run: 4 });
    expect(denoisingSteps(1, 0.5)).toEqual({ start: 1, run: 0 });
  });

  it('refuses a strength that runs no step, saying what would (SD-Turbo: steps × strength ≥ 1)', () => {
    expect(() => validateImageInput(input({ strength: 0.5 }), 1, 64, 64)).toThrow(
      new InvalidSettingError('strength', 'Strength 0.5 with 1 steps runs int(1 × 0.5) = 0 steps: it needs steps × strength ≥ 1 (strength 1 or more, or more steps).'),
    );
    expect(() => validateImageInput(input({ strength: 0.2 }), 4, 64, 64)).toThrow('strength 0.25 or more');
    expect(() => validateImageInput(input({ strength: 0.25 }), 4, 64, 64)).not.toThrow();
  });

  it('refuses values out of range and a picture or mask of another size', () => {
    expect(() => validateImageInput(input({ strength: 1.5 }), 4, 64, 64)).toThrow('Denoising strength must be a number from 0.01 to 1.');
    expect(() => validateImageInput(input({ maskBlur: 2.5 }), 4, 64, 64)).toThrow('Mask blur must be a whole number');
    expect(() => validateImageInput(input(), 4, 128, 64)).toThrow("The input image is 64×64, not the job's 128×64: add it again.");
    expect(() => validateImageInput(input({ mask: { width: 32, height: 32, data: new Uint8Array(32 * 32) } }), 4, 64, 64)).toThrow('The mask is 32×32');
  });
});
