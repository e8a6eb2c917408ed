/**
 * Writes Hearth's app icons (a flame over a hearth log, flat colours) as PNGs
 * into public/icons/, for the web app manifest and the page's links.
 * Usage: tsx scripts/make-icons.ts [--out public/icons]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';
import { pngChunk } from '../src/shared/png-chunks.ts';

type Rgb = readonly [number, number, number];

const BACKGROUND: Rgb = [0x16, 0x18, 0x1d];
const LOG: Rgb = [0x8a, 0x4b, 0x2a];
const FLAME: Rgb = [0xf0, 0x8a, 0x4b];
const CORE: Rgb = [0xe0, 0xc3, 0x5c];
/** Samples per pixel side: 4 x 4 samples smooth the edges. */
const SUPERSAMPLE = 4;

/** How an icon is framed: `rounded` has transparent corners, `full` fills the square (maskable, Apple). */
export interface IconStyle {
  frame: 'rounded' | 'full';
  /** Share of the side the motif spans; maskable icons keep it inside the 80 % safe circle. */
  scale: number;
}

/** The icons the manifest and index.html name, by file name. */
export const ICONS: Record<string, { size: number; style: IconStyle }> = {
  'icon-192.png': { size: 192, style: { frame: 'rounded', scale: 1 } },
  'icon-512.png': { size: 512, style: { frame: 'rounded', scale: 1 } },
  'maskable-512.png': { size: 512, style: { frame: 'full', scale: 0.7 } },
  'apple-touch-icon.png': { size: 180, style: { frame: 'full', scale: 0.85 } },
  'favicon-32.png': { size: 32, style: { frame: 'rounded', scale: 1 } },
};

/** A teardrop flame: pointed at `top`, round at `bottom`, at most `width` wide. */
function inFlame(x: number, y: number, top: number, bottom: number, width: number): boolean {
  const t = (y - top) / (bottom - top);
  if (t <= 0 || t >= 1) return false;
  // t^1.2 * sqrt(1 - t) peaks at about 0.357 (t = 0.71): a narrow tip and a round base.
  return Math.abs(x - 0.5) <= ((width / 2) * t ** 1.2 * Math.sqrt(1 - t)) / 0.357;
}

function inRoundedSquare(x: number, y: number, radius: number): boolean {
  const dx = Math.max(radius - x, x - (1 - radius), 0);
  const dy = Math.max(radius - y, y - (1 - radius), 0);
  return dx * dx + dy * dy <= radius * radius;
}

/** The colour at a point of the unit square, or undefined where the icon is transparent. */
function colourAt(x: number, y: number, style: IconStyle): Rgb | undefined {
  if (style.frame === 'rounded' && !inRoundedSquare(x, y, 0.22)) return undefined;
  // Map into the motif's own unit square, centred.
  const u = (x - 0.5) / style.scale + 0.5;
  const v = (y - 0.5) / style.scale + 0.5;
  if (inFlame(u, v, 0.45, 0.8, 0.18)) return CORE;
  if (inFlame(u, v, 0.14, 0.8, 0.42)) return FLAME;
  if (v >= 0.79 && v <= 0.87 && Math.abs(u - 0.5) <= 0.28) return LOG;
  return BACKGROUND;
}

/** Draws one icon as RGBA bytes, antialiased by supersampling. */
export function drawIcon(size: number, style: IconStyle): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const samples = SUPERSAMPLE * SUPERSAMPLE;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const colour = colourAt((px + (sx + 0.5) / SUPERSAMPLE) / size, (py + (sy + 0.5) / SUPERSAMPLE) / size, style);
          if (!colour) continue;
          for (let c = 0; c < 3; c++) sum[c] += colour[c];
          sum[3]++;
        }
      }
      const at = (py * size + px) * 4;
      // Colour averaged over covered samples only (straight alpha, as PNG stores it).
      for (let c = 0; c < 3; c++) rgba[at + c] = sum[3] ? Math.round(sum[c] / sum[3]) : 0;
      rgba[at + 3] = Math.round((sum[3] / samples) * 255);
    }
  }
  return rgba;
}

/** Encodes 8-bit RGBA pixels as a PNG (https://www.w3.org/TR/png-3/), unfiltered rows, zlib-deflated. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, no filter, no interlace
  const rows = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Writes every icon in `ICONS` into `dir`. */
export function writeIcons(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, { size, style }] of Object.entries(ICONS)) writeFileSync(join(dir, name), encodePng(size, size, drawIcon(size, style)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'public/icons' } } });
  writeIcons(values.out);
  console.log(`Icons written to ${values.out}/`);
}
