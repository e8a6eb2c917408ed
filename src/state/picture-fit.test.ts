import { describe, expect, it } from 'vitest';
import { flattenOnWhite, maskFromRgba, rescaleMask, sourceRect } from './picture-fit.ts';

describe('fitting a picture to the job', () => {
  it('crops the centre of a picture of another shape, or stretches it whole', () => {
    expect(sourceRect({ width: 8000, height: 4000 }, { width: 512, height: 512 }, 'crop')).toEqual({ x: 2000, y: 0, width: 4000, height: 4000 });
    expect(sourceRect({ width: 100, height: 300 }, { width: 64, height: 128 }, 'crop')).toEqual({ x: 0, y: 50, width: 100, height: 200 });
    expect(sourceRect({ width: 8000, height: 4000 }, { width: 512, height: 512 }, 'resize')).toEqual({ x: 0, y: 0, width: 8000, height: 4000 });
  });

  it('flattens transparency onto white and says so', () => {
    expect(flattenOnWhite(Uint8ClampedArray.from([0, 0, 0, 0, 0, 0, 0, 255, 100, 0, 200, 128]))).toEqual({
      rgba: Uint8ClampedArray.from([255, 255, 255, 255, 0, 0, 0, 255, 177, 127, 227, 255]),
      hadAlpha: true,
    });
    expect(flattenOnWhite(Uint8ClampedArray.from([1, 2, 3, 255])).hadAlpha).toBe(false);
  });

  it('reads a mask image by luminance, and moves a mask to another size by nearest pixel', () => {
    expect([...maskFromRgba(Uint8ClampedArray.from([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 0]))]).toEqual([255, 0, 0]);
    expect([...rescaleMask(Uint8Array.from([0, 255, 0, 255]), { width: 2, height: 2 }, { width: 4, height: 2 })]).toEqual([0, 0, 255, 255, 0, 0, 255, 255]);
  });
});
