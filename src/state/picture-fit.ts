/**
 * How a picture becomes the job's input at the job's size: the geometry of
 * "crop to fit" and "resize", AUTOMATIC1111's flattening of transparency onto
 * white, and a mask taken from an image. Pure: the canvas work is in
 * `input-image.svelte.ts`.
 */

/** "crop": scaled to cover the job's size, centred, the overflow cut (A1111 "Crop and resize"); "resize": stretched (A1111 "Just resize"). */
export type PictureFit = 'crop' | 'resize';

/** The part of the source `drawImage` takes, in source pixels; it always fills the whole target. */
export interface SourceRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function sourceRect(source: { width: number; height: number }, target: { width: number; height: number }, fit: PictureFit): SourceRect {
  if (fit === 'resize') return { x: 0, y: 0, width: source.width, height: source.height };
  const scale = Math.max(target.width / source.width, target.height / source.height);
  const width = target.width / scale;
  const height = target.height / scale;
  return { x: (source.width - width) / 2, y: (source.height - height) / 2, width, height };
}

/**
 * Composites RGBA onto white, as A1111 flattens an input with transparency
 * (its default background), and says whether there was any; the result is opaque.
 */
export function flattenOnWhite(rgba: Uint8ClampedArray<ArrayBuffer>): { rgba: Uint8ClampedArray<ArrayBuffer>; hadAlpha: boolean } {
  const out = new Uint8ClampedArray(rgba.length);
  let hadAlpha = false;
  for (let i = 0; i < rgba.length; i += 4) {
    const alpha = rgba[i + 3];
    if (alpha < 255) hadAlpha = true;
    for (let c = 0; c < 3; c++) out[i + c] = Math.round((rgba[i + c] * alpha + 255 * (255 - alpha)) / 255);
    out[i + 3] = 255;
  }
  return { rgba: out, hadAlpha };
}

/** A mask from an image: its luminance, as PIL's convert('L') (white repaints); transparent pixels keep. */
export function maskFromRgba(rgba: Uint8ClampedArray): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) {
    const [r, g, b, a] = [rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2], rgba[i * 4 + 3]];
    out[i] = Math.round(((r * 299 + g * 587 + b * 114) / 1000) * (a / 255));
  }
  return out;
}

/** A mask moved to another size by nearest pixel, so a painted mask follows the job's size. */
export function rescaleMask(data: Uint8Array, from: { width: number; height: number }, to: { width: number; height: number }): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(to.width * to.height);
  for (let y = 0; y < to.height; y++) {
    const sy = Math.min(from.height - 1, Math.floor(((y + 0.5) * from.height) / to.height));
    for (let x = 0; x < to.width; x++) out[y * to.width + x] = data[sy * from.width + Math.min(from.width - 1, Math.floor(((x + 0.5) * from.width) / to.width))];
  }
  return out;
}
