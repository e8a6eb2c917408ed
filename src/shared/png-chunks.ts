/**
 * PNG chunks: reading them with every length and CRC checked, and reading or
 * replacing a text chunk (tEXt, zTXt, iTXt) by its keyword. Pure bytes, so it
 * runs in the page, in workers and in Node alike.
 *
 * PNG: https://www.w3.org/TR/png-3/
 */
import { PngParametersError } from './errors.ts';
import { concatBytes } from './concat-bytes.ts';

/**
 * The text of the first text chunk (tEXt, zTXt or iTXt, compressed or not)
 * under `keyword`, or undefined when there is none. Async only to inflate
 * compressed text with `DecompressionStream`. Rejects with `PngParametersError`
 * for a non-PNG, a broken chunk structure (truncation, CRC mismatch) or broken
 * compressed text.
 */
export async function readTextChunk(png: Uint8Array, keyword: string): Promise<string | undefined> {
  const chunk = readChunks(png).find((each) => keywordOf(each) === keyword);
  return chunk && textOf(chunk);
}

/**
 * `png` with `text` as its only chunk under `keyword`, placed before the first
 * IDAT as Pillow's `PngInfo.add_text` does: tEXt when the text is Latin-1, else
 * uncompressed UTF-8 iTXt. Throws `PngParametersError` for a non-PNG or broken chunks.
 */
export function withTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array<ArrayBuffer> {
  const kept = readChunks(png).filter((chunk) => keywordOf(chunk) !== keyword);
  const at = kept.findIndex((chunk) => chunk.type === 'IDAT' || chunk.type === 'IEND');
  const bytes = (chunk: Chunk) => png.subarray(chunk.start, chunk.end);
  return concatBytes([
    png.subarray(0, SIGNATURE.length),
    ...kept.slice(0, at).map(bytes),
    textChunk(keyword, text),
    ...kept.slice(at).map(bytes),
  ]);
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  for (let k = 0; k < 8; k++) n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
  return n;
});

/** CRC-32 over a chunk's type and data (https://www.w3.org/TR/png-3/#5CRC-algorithm). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// https://www.w3.org/TR/png-3/#5PNG-file-signature
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

interface Chunk {
  type: string;
  /** Offsets of the length field and just past the CRC. */
  start: number;
  end: number;
  data: Uint8Array;
}

/** Every chunk from IHDR through IEND, each length and CRC checked (https://www.w3.org/TR/png-3/#5Chunk-layout). */
function readChunks(png: Uint8Array): Chunk[] {
  if (png.length < SIGNATURE.length || SIGNATURE.some((byte, i) => png[i] !== byte)) {
    throw new PngParametersError('not a PNG file (bad signature)');
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  for (let start = SIGNATURE.length; ; ) {
    if (start + 12 > png.length) throw new PngParametersError(`file ends at byte ${png.length}, before IEND`);
    const length = view.getUint32(start);
    const end = start + 12 + length;
    if (length > 0x7fffffff || end > png.length) throw new PngParametersError(`chunk at byte ${start} runs past the end`);
    const type = latin1(png.subarray(start + 4, start + 8));
    if (crc32(png.subarray(start + 4, end - 4)) !== view.getUint32(end - 4)) {
      throw new PngParametersError(`${type} chunk at byte ${start} fails its CRC`);
    }
    if (chunks.length === 0 && type !== 'IHDR') throw new PngParametersError(`first chunk is ${type}, not IHDR`);
    chunks.push({ type, start, end, data: png.subarray(start + 8, end - 4) });
    if (type === 'IEND') return chunks;
    start = end;
  }
}

/** The keyword of a tEXt, zTXt or iTXt chunk: Latin-1 up to the first NUL. */
function keywordOf(chunk: Chunk): string | undefined {
  if (chunk.type !== 'tEXt' && chunk.type !== 'zTXt' && chunk.type !== 'iTXt') return undefined;
  const nul = chunk.data.indexOf(0);
  return nul < 0 ? undefined : latin1(chunk.data.subarray(0, nul));
}

/** A text chunk's text after its keyword (https://www.w3.org/TR/png-3/#11textinfo). */
async function textOf(chunk: Chunk): Promise<string> {
  const data = chunk.data.subarray(chunk.data.indexOf(0) + 1);
  if (chunk.type === 'tEXt') return latin1(data);
  if (chunk.type === 'zTXt') return latin1(await inflate(data.subarray(1), data[0]));
  // iTXt: compression flag, method, language tag NUL, translated keyword NUL, UTF-8 text.
  const language = data.indexOf(0, 2);
  const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
  if (translated < 0) throw new PngParametersError('iTXt chunk is malformed');
  const text = data.subarray(translated + 1);
  return new TextDecoder().decode(data[0] === 0 ? text : await inflate(text, data[1]));
}

/** tEXt (https://www.w3.org/TR/png-3/#11tEXt) when Latin-1 holds the text, else uncompressed iTXt. */
function textChunk(keyword: string, text: string): Uint8Array {
  // No text chunk may contain NUL: it would end the text early for other readers.
  const clean = text.replaceAll('\0', '');
  if (!/[^\x00-\xff]/.test(clean)) return pngChunk('tEXt', concatBytes([latin1Bytes(keyword), [0], latin1Bytes(clean)]));
  // Flag 0 (uncompressed), method 0, empty language tag, empty translated keyword.
  return pngChunk('iTXt', concatBytes([latin1Bytes(keyword), [0, 0, 0, 0, 0], new TextEncoder().encode(clean)]));
}

/** One PNG chunk: length, type, data and the CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = concatBytes([[0, 0, 0, 0], latin1Bytes(type), data, [0, 0, 0, 0]]);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Bound on an inflated text chunk, so a tiny zlib bomb cannot fill memory. */
const MAX_INFLATED_BYTES = 1 << 20;

/** zlib-inflates (PNG compression method 0, the only one defined) up to `MAX_INFLATED_BYTES`. */
async function inflate(data: Uint8Array, method: number | undefined): Promise<Uint8Array> {
  if (method !== 0) throw new PngParametersError(`unknown compression method ${method}`);
  const reader = new Blob([data.slice()]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      size += part.value.length;
      if (size > MAX_INFLATED_BYTES) {
        await reader.cancel();
        throw new PngParametersError(`compressed text inflates past ${MAX_INFLATED_BYTES} bytes`);
      }
      parts.push(part.value);
    }
  } catch (error) {
    throw error instanceof PngParametersError ? error : new PngParametersError('compressed text is corrupt');
  }
  return concatBytes(parts);
}

/** Chunk-wise so a long text does not overflow the argument list. */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return text;
}

function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
}
