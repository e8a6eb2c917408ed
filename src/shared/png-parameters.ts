/**
 * Generation parameters inside PNGs, in the text format AUTOMATIC1111 writes and
 * reads ("infotext"; Civitai, InvokeAI and others read it too). Pure bytes and
 * strings, so it runs in the page and in workers alike.
 *
 * Format: https://github.com/AUTOMATIC1111/stable-diffusion-webui/blob/master/modules/infotext_utils.py
 * PNG:    https://www.w3.org/TR/png-3/
 */
import { PngParametersError } from './errors.ts';
import { LIMITS, SCHEDULERS, type GenerationSettings, type SchedulerChoice, type SizeRange } from './settings.ts';

/** The settings `formatParameters` writes; `seed` is the image's own seed. */
export type ParameterSettings = Pick<
  GenerationSettings,
  'prompt' | 'negativePrompt' | 'steps' | 'guidance' | 'scheduler' | 'seed'
>;

/** What `parseParameters` found, every number already in range. */
export interface ParsedParameters {
  settings: Partial<GenerationSettings>;
  model?: string;
  /** `Key: value` entries (and stray text) of the settings line that were not applied. */
  ignored: string[];
}

/** Longest prompt (and negative prompt) taken from a text; the rest is dropped. */
export const MAX_PROMPT_CHARS = 10_000;
const MAX_MODEL_CHARS = 256;
/** Bound on an inflated `parameters` chunk, so a tiny zlib bomb cannot fill memory. */
const MAX_INFLATED_BYTES = 1 << 20;
/** A1111's own width/height slider bounds, for texts read without a model's sizes. */
const A1111_SIZES: SizeRange = { min: 64, max: 2048, multiple: 8 };
const KEYWORD = 'parameters';

/**
 * The A1111 infotext: prompt, a `Negative prompt:` line only when there is one,
 * then `Key: value` pairs in A1111's order (`create_infotext` in modules/processing.py).
 * Karras is written the pre-1.9 way, inside the sampler name ("DPM++ 2M Karras").
 */
export function formatParameters(settings: ParameterSettings, image: { model: string; width: number; height: number }): string {
  const pairs = [
    `Steps: ${settings.steps}`,
    `Sampler: ${SCHEDULERS[settings.scheduler]}`,
    `CFG scale: ${settings.guidance}`,
    `Seed: ${settings.seed}`,
    `Size: ${image.width}x${image.height}`,
    `Model: ${quote(image.model)}`,
  ];
  const negative = settings.negativePrompt && `Negative prompt: ${settings.negativePrompt}`;
  return [settings.prompt, negative, pairs.join(', ')].filter(Boolean).join('\n');
}

/**
 * Reads an A1111 infotext the way A1111 does (`parse_generation_parameters`), but
 * never trusts it: numbers are clamped to `LIMITS`, sizes snapped into `sizes`,
 * prompts stay plain text capped at `MAX_PROMPT_CHARS`, and whatever is not
 * applied is listed in `ignored`.
 */
export function parseParameters(text: string, sizes: SizeRange = A1111_SIZES): ParsedParameters {
  const lines = text.trim().split(/\r?\n/);
  let split = splitPairs(lines[lines.length - 1]);
  // Like A1111: a last line with fewer than 3 pairs is more prompt, not settings.
  if (split.pairs.length < 3) split = { pairs: [], stray: [] };
  else lines.pop();

  const prompt: string[] = [];
  let negative: string[] | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (!negative && line.startsWith('Negative prompt:')) negative = [line.slice('Negative prompt:'.length).trim()];
    else (negative ?? prompt).push(line);
  }
  const settings: Partial<GenerationSettings> = {
    prompt: clip(prompt.join('\n'), MAX_PROMPT_CHARS),
    negativePrompt: clip(negative?.join('\n') ?? '', MAX_PROMPT_CHARS),
  };
  const result: ParsedParameters = { settings, ignored: split.stray };
  let sampler: string | undefined;
  let scheduleType: string | undefined;
  for (const [key, value] of split.pairs) {
    const number = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
    const size = /^(\d+)x(\d+)$/.exec(value);
    if (key === 'Steps' && number !== undefined) settings.steps = clamp(Math.round(number), LIMITS.steps);
    else if (key === 'CFG scale' && number !== undefined) settings.guidance = clamp(number, LIMITS.guidance);
    else if (key === 'Seed' && number !== undefined) settings.seed = clamp(Math.round(number), LIMITS.seed);
    else if (key === 'Size' && size) [settings.width, settings.height] = [snap(+size[1], sizes), snap(+size[2], sizes)];
    else if (key === 'Model') result.model = clip(value, MAX_MODEL_CHARS);
    else if (key === 'Sampler') sampler = value;
    else if (key === 'Schedule type') scheduleType = value;
    else result.ignored.push(`${key}: ${value}`);
  }
  if (sampler !== undefined) {
    const scheduler = toScheduler(sampler, scheduleType, result.ignored);
    if (scheduler) settings.scheduler = scheduler;
  } else if (scheduleType !== undefined) result.ignored.push(`Schedule type: ${scheduleType}`);
  return result;
}

/**
 * The text of the first `parameters` chunk (tEXt, zTXt or iTXt, compressed or
 * not), or undefined when there is none. Async only to inflate compressed text
 * with `DecompressionStream`. Rejects with `PngParametersError` for a non-PNG, a
 * broken chunk structure (truncation, CRC mismatch) or broken compressed text.
 */
export async function readParameters(png: Uint8Array): Promise<string | undefined> {
  const chunk = readChunks(png).find((each) => keywordOf(each) === KEYWORD);
  return chunk && textOf(chunk);
}

/**
 * `png` with `text` as its only `parameters` chunk, placed before the first IDAT
 * as A1111 (through Pillow's `PngInfo.add_text`) does: tEXt when the text is
 * Latin-1, else uncompressed UTF-8 iTXt. Throws `PngParametersError` for a non-PNG or broken chunks.
 */
export function withParameters(png: Uint8Array, text: string): Uint8Array<ArrayBuffer> {
  const kept = readChunks(png).filter((chunk) => keywordOf(chunk) !== KEYWORD);
  const at = kept.findIndex((chunk) => chunk.type === 'IDAT' || chunk.type === 'IEND');
  const bytes = (chunk: Chunk) => png.subarray(chunk.start, chunk.end);
  return concat([
    png.subarray(0, SIGNATURE.length),
    ...kept.slice(0, at).map(bytes),
    parametersChunk(text),
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
function parametersChunk(text: string): Uint8Array {
  // No text chunk may contain NUL: it would end the text early for other readers.
  const clean = text.replaceAll('\0', '');
  if (!/[^\x00-\xff]/.test(clean)) return pngChunk('tEXt', concat([latin1Bytes(KEYWORD), [0], latin1Bytes(clean)]));
  // Flag 0 (uncompressed), method 0, empty language tag, empty translated keyword.
  return pngChunk('iTXt', concat([latin1Bytes(KEYWORD), [0, 0, 0, 0, 0], new TextEncoder().encode(clean)]));
}

/** One PNG chunk: length, type, data and the CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = concat([[0, 0, 0, 0], latin1Bytes(type), data, [0, 0, 0, 0]]);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

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
        throw new PngParametersError(`compressed parameters inflate past ${MAX_INFLATED_BYTES} bytes`);
      }
      parts.push(part.value);
    }
  } catch (error) {
    throw error instanceof PngParametersError ? error : new PngParametersError('compressed parameters are corrupt');
  }
  return concat(parts);
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

function concat(parts: ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// A1111's `re_param`, `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`, in sticky
// parts: `splitPairs` restarts after the next comma when no key matches instead of
// at the next character, so a hostile line costs linear time, not quadratic.
const KEY = /\s*(\w[\w \-/]+):\s*/y;
const QUOTED = /"(?:\\.|[^\\"])+"(?=,|$)/y;

/** The `Key: value` pairs of A1111's settings line; text between commas that is no pair goes to `stray`. */
function splitPairs(line: string): { pairs: [string, string][]; stray: string[] } {
  const pairs: [string, string][] = [];
  const stray: string[] = [];
  const nextComma = (from: number) => {
    const comma = line.indexOf(',', from);
    return comma < 0 ? line.length : comma;
  };
  for (let at = 0; at < line.length; ) {
    KEY.lastIndex = at;
    const key = KEY.exec(line);
    if (!key) {
      const end = nextComma(at);
      if (line.slice(at, end).trim()) stray.push(line.slice(at, end).trim());
      at = end + 1;
      continue;
    }
    const start = KEY.lastIndex;
    QUOTED.lastIndex = start;
    const quoted = QUOTED.exec(line)?.[0];
    const raw = quoted ?? line.slice(start, nextComma(start));
    pairs.push([key[1], quoted ? unquote(quoted) : raw.trim()]);
    at = start + raw.length + 1;
  }
  return { pairs, stray };
}

/** A1111 quotes values holding its separators as JSON strings (`quote` in infotext_utils.py). */
function quote(value: string): string {
  return /[,:\n"]/.test(value) ? JSON.stringify(value) : value;
}

function unquote(value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

const BY_LABEL = new Map(
  Object.entries(SCHEDULERS).map(([choice, label]) => [label.toLowerCase(), choice as SchedulerChoice]),
);

/**
 * Our scheduler for an A1111 sampler. A1111 1.9+ writes Karras as a separate
 * "Schedule type", and its "Automatic" means Karras for DPM++ 2M (the sampler's
 * default in modules/sd_samplers_kdiffusion.py). A schedule type we cannot honour
 * leaves the plain sampler and lands in `ignored`.
 */
function toScheduler(sampler: string, scheduleType: string | undefined, ignored: string[]): SchedulerChoice | undefined {
  const type = scheduleType?.toLowerCase();
  const plain = BY_LABEL.get(sampler.toLowerCase());
  const karras = type === 'karras' || (type === 'automatic' && plain === 'dpmpp-2m');
  const choice = (karras ? BY_LABEL.get(`${sampler} karras`.toLowerCase()) : undefined) ?? plain;
  if (!choice) ignored.push(`Sampler: ${sampler}`);
  if (scheduleType !== undefined && type !== 'automatic' && !choice?.endsWith('-karras')) {
    ignored.push(`Schedule type: ${scheduleType}`);
  }
  return choice;
}

function clamp(value: number, range: { readonly min: number; readonly max: number }): number {
  return Math.min(range.max, Math.max(range.min, value));
}

/** The nearest multiple of `sizes.multiple` inside `sizes`. */
function snap(value: number, sizes: SizeRange): number {
  const { min, max, multiple } = sizes;
  const range = { min: Math.ceil(min / multiple) * multiple, max: Math.floor(max / multiple) * multiple };
  return clamp(Math.round(value / multiple) * multiple, range);
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max);
}
