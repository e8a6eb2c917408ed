/** PNGs built in Node for the input-image tests: any size in a few milliseconds, since every row is the same. */
import { deflateSync } from 'node:zlib';
import { pngChunk } from '../src/shared/png-chunks.ts';

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * A `width`×`height` RGBA PNG whose every row is `pixel(x)`: rows after the first use the
 * Up filter, so even 8000×8000 deflates from zeros to a few hundred KB.
 */
export function rowPng(width: number, height: number, pixel: (x: number) => [number, number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const stride = 1 + width * 4;
  const raw = Buffer.alloc(stride * height);
  for (let x = 0; x < width; x++) raw.set(pixel(x), 1 + x * 4);
  for (let y = 1; y < height; y++) raw[y * stride] = 2;
  return Buffer.concat([Buffer.from(SIGNATURE), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw, { level: 1 })), pngChunk('IEND', new Uint8Array())]);
}

/** Blue to yellow from left to right, opaque, or transparent on the left quarter. */
export function gradientPng(width: number, height: number, { alpha = false } = {}): Buffer {
  return rowPng(width, height, (x) => {
    const t = x / Math.max(1, width - 1);
    return [Math.round(32 + 208 * t), Math.round(64 + 128 * t), Math.round(128 - 96 * t), alpha && x < width / 4 ? 0 : 255];
  });
}
