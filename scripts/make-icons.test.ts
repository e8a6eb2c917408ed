import { inflateSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { drawIcon, encodePng, ICONS } from './make-icons.ts';

/** Splits a PNG into its chunks, checking each CRC. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const out = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const body = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(body));
    out.push({ type: body.subarray(0, 4).toString('latin1'), data: body.subarray(4) });
    at += length + 12;
  }
  return out;
}

describe('encodePng', () => {
  it('writes a valid RGBA PNG whose rows inflate back to the pixels', () => {
    const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, index) => index * 10);
    const [header, data, end] = chunks(encodePng(3, 2, rgba));
    expect(header.type).toBe('IHDR');
    expect([header.data.readUInt32BE(0), header.data.readUInt32BE(4), header.data[8], header.data[9]]).toEqual([3, 2, 8, 6]);
    expect(data.type).toBe('IDAT');
    const rows = inflateSync(data.data);
    expect(rows.length).toBe(2 * (3 * 4 + 1));
    expect([rows[0], rows[13]]).toEqual([0, 0]);
    expect([...rows.subarray(1, 13), ...rows.subarray(14)]).toEqual([...rgba]);
    expect(end.type).toBe('IEND');
  });
});

describe('drawIcon', () => {
  const alphaAt = (rgba: Uint8Array, size: number, x: number, y: number) => rgba[(y * size + x) * 4 + 3];

  it('leaves the corners of a rounded icon transparent and fills its middle', () => {
    const { size, style } = ICONS['icon-192.png'];
    const rgba = drawIcon(size, style);
    expect(alphaAt(rgba, size, 0, 0)).toBe(0);
    expect(alphaAt(rgba, size, size / 2, size / 2)).toBe(255);
  });

  it('fills a maskable icon to its edges and keeps the flame inside the safe circle', () => {
    const { size, style } = ICONS['maskable-512.png'];
    const rgba = drawIcon(size, style);
    expect(alphaAt(rgba, size, 0, 0)).toBe(255);
    // Outside the central circle of radius 40 % only the background colour appears.
    for (let y = 0; y < size; y += 4) {
      for (let x = 0; x < size; x += 4) {
        if (Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) <= 0.4 * size) continue;
        expect([...rgba.subarray((y * size + x) * 4, (y * size + x) * 4 + 3)]).toEqual([0x16, 0x18, 0x1d]);
      }
    }
  });
});
