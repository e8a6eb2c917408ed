import { describe, expect, it } from 'vitest';
import { binaryMask, blurMask, compositeOriginal, latentMask, maskedImage } from './mask.ts';

const square = (size: number, from: number, to: number) => {
  const data = new Uint8Array(size * size);
  for (let y = from; y < to; y++) data.fill(255, y * size + from, y * size + to);
  return { width: size, height: size, data };
};

describe('inpainting masks', () => {
  it('binarizes at half white and greys out the region to repaint', () => {
    const binary = binaryMask({ width: 4, height: 1, data: Uint8Array.from([0, 127, 128, 255]) });
    expect([...binary]).toEqual([0, 0, 1, 1]);
    expect([...maskedImage(Float32Array.from([0.5, -0.5, 0.25, 1, 0.5, -0.5, 0.25, 1]), Float32Array.from([0, 1, 0, 1]))]).toEqual([0.5, 0, 0.25, 0, 0.5, 0, 0.25, 0]);
  });

  it('samples the mask down to the latents by nearest pixel, as F.interpolate does', () => {
    const binary = binaryMask(square(16, 8, 16));
    expect([...latentMask(binary, 16, 16, 8)]).toEqual([0, 0, 0, 1]);
  });

  it("blurs like AUTOMATIC1111's 4 px mask blur: symmetric, within int(2.5 * 4 + 0.5) = 10 px, nothing far outside", () => {
    const mask = square(64, 16, 48);
    const blurred = blurMask(mask, 4);
    const at = (x: number, y: number) => blurred[y * 64 + x];
    expect(at(32, 32)).toBe(255);
    expect(at(16, 32)).toBeGreaterThan(128);
    expect(at(15, 32)).toBeLessThan(128);
    expect(at(15, 32)).toBeGreaterThan(0);
    expect(at(15, 32)).toBe(at(48, 32));
    expect(at(5, 32)).toBe(0);
    expect(blurMask(mask, 0)).toEqual(mask.data);
  });

  it('puts the original back exactly where the blurred mask is 0 and keeps the result where it is 255', () => {
    const original = Uint8ClampedArray.from([10, 20, 30, 255, 10, 20, 30, 255, 10, 20, 30, 255]);
    const result = Uint8ClampedArray.from([200, 100, 0, 255, 200, 100, 0, 255, 200, 100, 0, 255]);
    expect([...compositeOriginal(result, original, Uint8Array.from([0, 255, 128]))]).toEqual([10, 20, 30, 255, 200, 100, 0, 255, 105, 60, 15, 255]);
  });
});
