import { describe, expect, it } from 'vitest';
import { emphasize } from './prompt-weights.ts';

const mean = (values: Float32Array) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('emphasize', () => {
  it('multiplies each token row by its weight, then restores the mean', () => {
    const z = new Float32Array([1, 2, 3, 4, 5, 6]); // 3 tokens of width 2
    emphasize(z, [1, 2, 1]);
    // Weighted: [1, 2, 6, 8, 5, 6], mean 14/3; the original mean is 3.5, so all scale by 3.5 / (14/3) = 0.75.
    expect(Array.from(z)).toEqual([0.75, 1.5, 4.5, 6, 3.75, 4.5]);
    expect(mean(z)).toBeCloseTo(3.5, 6);
  });

  it('changes the weighted token relative to the others, and keeps the mean for any weights', () => {
    const z = Float32Array.from({ length: 77 * 8 }, (_, i) => Math.sin(i) + 0.3);
    const before = z.slice();
    emphasize(z, Array.from({ length: 77 }, (_, t) => (t === 5 ? 1.5 : t === 9 ? 0.5 : 1)));
    expect(mean(z)).toBeCloseTo(mean(before), 5);
    const ratio = z[0] / before[0];
    expect(z[5 * 8 + 3] / before[5 * 8 + 3]).toBeCloseTo(1.5 * ratio, 5);
    expect(z[9 * 8 + 3] / before[9 * 8 + 3]).toBeCloseTo(0.5 * ratio, 5);
  });

  it('leaves embeddings untouched, bit for bit, when every weight is 1', () => {
    const z = Float32Array.from({ length: 77 * 4 }, (_, i) => Math.cos(i) / 3);
    const before = z.slice();
    emphasize(z, Array(77).fill(1));
    expect(z).toEqual(before);
  });

  it('skips the rescale where the weighted mean is 0, instead of filling the chunk with NaN', () => {
    const z = new Float32Array([1, 1, 1, 1]);
    emphasize(z, [1, -1]);
    expect(Array.from(z)).toEqual([1, 1, -1, -1]);
  });
});
