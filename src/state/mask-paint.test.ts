import { describe, expect, it } from 'vitest';
import { MaskCanvas } from './mask-paint.ts';

const count = (mask: MaskCanvas) => mask.data.filter((value) => value === 255).length;

describe('the mask painter', () => {
  it('paints a stroke of the brush, erases, clears, inverts and undoes the last of them', () => {
    const mask = new MaskCanvas(32, 32);
    mask.begin({ x: 4, y: 16 }, 3, false);
    mask.extend({ x: 28, y: 16 }, 3, false);
    mask.end();
    const stroke = count(mask);
    expect(stroke).toBeGreaterThan(24 * 5);
    expect(stroke).toBeLessThan(32 * 8);
    expect(mask.data[16 * 32 + 16]).toBe(255);
    expect(mask.data[2 * 32 + 16]).toBe(0);

    mask.begin({ x: 16, y: 16 }, 2, true);
    mask.end();
    expect(mask.data[16 * 32 + 16]).toBe(0);
    mask.undo();
    expect(count(mask)).toBe(stroke);

    mask.invert();
    expect(count(mask)).toBe(32 * 32 - stroke);
    mask.clear();
    expect(mask.painted).toBe(false);
    mask.undo();
    mask.undo();
    expect(count(mask)).toBe(stroke);
  });
});
