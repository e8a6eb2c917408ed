/**
 * Generation parameters inside PNGs, in the text format AUTOMATIC1111 writes and
 * reads ("infotext"; Civitai, InvokeAI and others read it too), kept in the
 * PNG's `parameters` text chunk. Pure strings, so it runs in the page and in
 * workers alike.
 *
 * Format: https://github.com/AUTOMATIC1111/stable-diffusion-webui/blob/master/modules/infotext_utils.py
 */
import { IMAGE_INPUT_LIMITS } from './image-input.ts';
import { readTextChunk, withTextChunk } from './png-chunks.ts';
import { LIMITS, SCHEDULERS, type GenerationSettings, type SchedulerChoice, type SizeRange } from './settings.ts';

/** The settings `formatParameters` writes; `seed` is the image's own seed. */
export type ParameterSettings = Pick<
  GenerationSettings,
  'prompt' | 'negativePrompt' | 'steps' | 'guidance' | 'scheduler' | 'seed'
>;

/** How an image made from a picture was made: A1111's `Denoising strength`, and `Mask blur` for inpainting. */
export interface InputParameters {
  strength: number;
  maskBlur?: number;
}

/** What `parseParameters` found, every number already in range. */
export interface ParsedParameters {
  settings: Partial<GenerationSettings>;
  /** Present when the text says the image was made from a picture (the picture itself is not in the PNG). */
  input?: Partial<InputParameters>;
  model?: string;
  /** `Key: value` entries (and stray text) of the settings line that were not applied. */
  ignored: string[];
  /** The prompts that were longer than `MAX_PROMPT_CHARS` and were cut to it. */
  cut: ('prompt' | 'negative prompt')[];
}

/**
 * Longest prompt (and negative prompt) taken from a text; the rest is dropped
 * and the import says so. A PNG may carry megabytes of text, which would
 * otherwise land in the prompt box and be tokenized; real prompts are a few
 * hundred characters, and CLIP reads at most 75 tokens per chunk.
 */
export const MAX_PROMPT_CHARS = 10_000;
const MAX_MODEL_CHARS = 256;
/** A1111's own width/height slider bounds, for texts read without a model's sizes. */
const A1111_SIZES: SizeRange = { min: 64, max: 2048, multiple: 8 };
const KEYWORD = 'parameters';

/**
 * The A1111 infotext: prompt, a `Negative prompt:` line only when there is one,
 * then `Key: value` pairs in A1111's order (`create_infotext` in modules/processing.py).
 * Karras is written the pre-1.9 way, inside the sampler name ("DPM++ 2M Karras").
 */
export function formatParameters(settings: ParameterSettings, image: { model: string; width: number; height: number }, input?: InputParameters): string {
  const pairs = [
    `Steps: ${settings.steps}`,
    `Sampler: ${SCHEDULERS[settings.scheduler]}`,
    `CFG scale: ${settings.guidance}`,
    `Seed: ${settings.seed}`,
    `Size: ${image.width}x${image.height}`,
    `Model: ${quote(image.model)}`,
  ];
  if (input) pairs.push(`Denoising strength: ${input.strength}`);
  if (input?.maskBlur !== undefined) pairs.push(`Mask blur: ${input.maskBlur}`);
  const negative = settings.negativePrompt && `Negative prompt: ${settings.negativePrompt}`;
  return [settings.prompt, negative, pairs.join(', ')].filter(Boolean).join('\n');
}

/**
 * Reads an A1111 infotext the way A1111 does (`parse_generation_parameters`), but
 * never trusts it: numbers are clamped to `LIMITS`, sizes snapped into `sizes`,
 * prompts stay plain text capped at `MAX_PROMPT_CHARS` (the capped ones are
 * listed in `cut`), and whatever is not applied is listed in `ignored`.
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
  const texts = { prompt: prompt.join('\n'), 'negative prompt': negative?.join('\n') ?? '' };
  const settings: Partial<GenerationSettings> = {
    prompt: clip(texts.prompt, MAX_PROMPT_CHARS),
    negativePrompt: clip(texts['negative prompt'], MAX_PROMPT_CHARS),
  };
  const cut = (['prompt', 'negative prompt'] as const).filter((label) => texts[label].length > MAX_PROMPT_CHARS);
  const result: ParsedParameters = { settings, ignored: split.stray, cut };
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
    else if (key === 'Denoising strength' && number !== undefined) result.input = { ...result.input, strength: clamp(number, IMAGE_INPUT_LIMITS.strength) };
    else if (key === 'Mask blur' && number !== undefined) result.input = { ...result.input, maskBlur: clamp(Math.round(number), IMAGE_INPUT_LIMITS.maskBlur) };
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

/** The text of the PNG's `parameters` chunk, or undefined when it has none; see `readTextChunk`. */
export const readParameters = (png: Uint8Array): Promise<string | undefined> => readTextChunk(png, KEYWORD);

/** `png` with `text` as its only `parameters` chunk, before the first IDAT, where A1111 (through Pillow) puts it. */
export const withParameters = (png: Uint8Array, text: string): Uint8Array<ArrayBuffer> => withTextChunk(png, KEYWORD, text);

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
