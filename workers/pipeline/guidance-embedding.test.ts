import { describe, expect, it } from 'vitest';
import { guidanceScaleEmbedding } from './guidance-embedding.ts';

describe('guidanceScaleEmbedding', () => {
  it('is sin then cos of w*1000 over a geometric frequency ladder', () => {
    const dim = 8;
    const e = guidanceScaleEmbedding(2, dim);
    const step = Math.log(10000) / 3;
    for (let i = 0; i < 4; i++) {
      expect(e[i]).toBeCloseTo(Math.sin(1000 * Math.exp(-i * step)), 4);
      expect(e[4 + i]).toBeCloseTo(Math.cos(1000 * Math.exp(-i * step)), 4);
    }
  });

  it('is all sin 0 / cos 1 at guidance 1 (w = 0), and repeats per batch row', () => {
    const e = guidanceScaleEmbedding(1, 256, 2);
    expect(e.length).toBe(512);
    expect(Array.from(e.subarray(0, 128)).every((v) => v === 0)).toBe(true);
    expect(Array.from(e.subarray(128, 256)).every((v) => v === 1)).toBe(true);
    expect(e.subarray(256)).toEqual(e.subarray(0, 256));
  });
});
