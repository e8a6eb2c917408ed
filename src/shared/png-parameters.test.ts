import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PngParametersError } from './errors.ts';
import { crc32 } from './png-chunks.ts';
import {
  formatParameters,
  MAX_PROMPT_CHARS,
  parseParameters,
  readParameters,
  withParameters,
  type ParameterSettings,
} from './png-parameters.ts';
import { LIMITS, SCHEDULERS, type SchedulerChoice } from './settings.ts';

const SIZES = { min: 64, max: 512, multiple: 64 };
const IMAGE = { model: 'sd-turbo', width: 512, height: 512 };
const settings: ParameterSettings = {
  prompt: 'a photo of a cat',
  negativePrompt: 'blurry',
  steps: 4,
  guidance: 1,
  scheduler: 'euler-a',
  seed: 42,
};

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A chunk built with node:zlib's CRC, independent of the module's. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlibCrc32(Buffer.concat([head.subarray(4), data])));
  return concat([head, data, crc]);
}

/** A valid 1x1 RGBA PNG with `extra` chunks between IHDR and IDAT. */
function tinyPng(...extra: Uint8Array[]): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, adaptive filtering, no interlace
  const pixels = deflateSync(Buffer.from([0, 255, 128, 0, 255])); // filter byte, then one pixel
  return concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', pixels),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Each chunk's type, with its stored CRC checked against node:zlib's and ours. */
function chunkTypes(png: Uint8Array): string[] {
  const bytes = Buffer.from(png);
  const types: string[] = [];
  for (let at = 8; at < bytes.length; ) {
    const end = at + 12 + bytes.readUInt32BE(at);
    const covered = bytes.subarray(at + 4, end - 4);
    expect(bytes.readUInt32BE(end - 4)).toBe(zlibCrc32(covered));
    expect(crc32(covered)).toBe(zlibCrc32(covered));
    types.push(bytes.toString('latin1', at + 4, at + 8));
    at = end;
  }
  return types;
}

async function errorOf(promise: Promise<unknown>): Promise<PngParametersError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PngParametersError);
  return error as PngParametersError;
}

describe('formatParameters', () => {
  it('writes the A1111 infotext', () => {
    expect(formatParameters(settings, IMAGE)).toBe(
      'a photo of a cat\nNegative prompt: blurry\nSteps: 4, Sampler: Euler a, CFG scale: 1, Seed: 42, Size: 512x512, Model: sd-turbo',
    );
  });

  it('omits an empty negative prompt, as A1111 does', () => {
    expect(formatParameters({ ...settings, negativePrompt: '' }, IMAGE)).toBe(
      'a photo of a cat\nSteps: 4, Sampler: Euler a, CFG scale: 1, Seed: 42, Size: 512x512, Model: sd-turbo',
    );
  });

  it('quotes a model name holding a separator', () => {
    expect(formatParameters(settings, { ...IMAGE, model: 'my, model' })).toMatch(/Model: "my, model"$/);
  });

  it('adds Denoising strength for an image made from a picture, and Mask blur when inpainting, and reads them back', () => {
    const inpainted = formatParameters(settings, IMAGE, { strength: 0.75, maskBlur: 4 });
    expect(inpainted).toMatch(/Model: sd-turbo, Denoising strength: 0\.75, Mask blur: 4$/);
    expect(formatParameters(settings, IMAGE, { strength: 0.5 })).toMatch(/Model: sd-turbo, Denoising strength: 0\.5$/);
    expect(parseParameters(inpainted).input).toEqual({ strength: 0.75, maskBlur: 4 });
    expect(parseParameters(formatParameters(settings, IMAGE)).input).toBeUndefined();
    expect(parseParameters(`${formatParameters(settings, IMAGE)}, Denoising strength: 7, Mask blur: 999`).input).toEqual({ strength: 1, maskBlur: 64 });
  });
});

describe('parseParameters', () => {
  it.each(Object.keys(SCHEDULERS) as SchedulerChoice[])('round-trips every setting with sampler %s', (scheduler) => {
    const written = { ...settings, scheduler, guidance: 7.5, seed: LIMITS.seed.max };
    const parsed = parseParameters(formatParameters(written, { model: 'sd-turbo', width: 384, height: 128 }), SIZES);
    expect(parsed).toEqual({
      settings: { ...written, width: 384, height: 128 },
      model: 'sd-turbo',
      ignored: [],
      cut: [],
    });
  });

  it('round-trips prompts over several lines, an empty prompt and a quoted model', () => {
    const written = { ...settings, prompt: 'line one,\nline two: colon', negativePrompt: 'bad\nworse' };
    const parsed = parseParameters(formatParameters(written, { ...IMAGE, model: 'a, "b": c' }), SIZES);
    expect(parsed.settings).toMatchObject({ prompt: written.prompt, negativePrompt: written.negativePrompt });
    expect(parsed.model).toBe('a, "b": c');
    expect(parseParameters(formatParameters({ ...settings, prompt: '', negativePrompt: '' }, IMAGE)).settings).toMatchObject({
      prompt: '',
      negativePrompt: '',
      steps: 4,
    });
  });

  it('round-trips emphasis, escapes and BREAK as written', () => {
    const written = { ...settings, prompt: '(red hat:1.3), [background], ((masterpiece)) BREAK\n\\(literal\\) (a:1e9) [unclosed', negativePrompt: '(blurry:1.2) BREAK lowres' };
    const parsed = parseParameters(formatParameters(written, IMAGE), SIZES);
    expect(parsed.settings).toMatchObject({ prompt: written.prompt, negativePrompt: written.negativePrompt });
  });

  it('reads a real A1111 1.9 infotext', () => {
    const text =
      'masterpiece, best quality\nNegative prompt: lowres, bad anatomy\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234567890, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.9.4';
    expect(parseParameters(text, { min: 64, max: 1024, multiple: 8 })).toEqual({
      settings: {
        prompt: 'masterpiece, best quality',
        negativePrompt: 'lowres, bad anatomy',
        steps: 20,
        scheduler: 'dpmpp-2m-karras',
        guidance: 7,
        seed: 1234567890,
        width: 512,
        height: 768,
      },
      model: 'v1-5-pruned-emaonly',
      ignored: ['Model hash: 6ce0161689', 'Version: v1.9.4'],
      cut: [],
    });
  });

  it.each([
    ['Sampler: DPM++ 2M Karras', 'dpmpp-2m-karras', []],
    ['Sampler: DPM++ 2M, Schedule type: Karras', 'dpmpp-2m-karras', []],
    ['Sampler: DPM++ 2M, Schedule type: Automatic', 'dpmpp-2m-karras', []],
    ['Sampler: DPM++ 2M', 'dpmpp-2m', []],
    ['Sampler: DPM++ 2M, Schedule type: Uniform', 'dpmpp-2m', ['Schedule type: Uniform']],
    ['Sampler: Euler a, Schedule type: Automatic', 'euler-a', []],
    ['Sampler: euler, Schedule type: Karras', 'euler', ['Schedule type: Karras']],
    ['Sampler: DPM++ SDE, Schedule type: Karras', undefined, ['Sampler: DPM++ SDE', 'Schedule type: Karras']],
    ['Schedule type: Karras', undefined, ['Schedule type: Karras']],
  ])('maps "%s" to %s', (pairs, scheduler, ignored) => {
    const parsed = parseParameters(`cat\nSteps: 20, ${pairs}, Seed: 1, CFG scale: 7`);
    expect(parsed.settings.scheduler).toBe(scheduler);
    expect(parsed.ignored).toEqual(ignored);
  });

  it('never applies a hostile text blindly', () => {
    const text =
      '<script>alert(1)</script> <img src=x onerror=alert(2)>\n' +
      'Negative prompt: </textarea><b>bold</b>\n' +
      'Steps: 99999, Sampler: Euler, CFG scale: -5, Seed: 99999999999999, Size: 100000x3, ' +
      '__proto__: polluted, Lora hashes: "a: 1, b: 2", Steps2: "unterminated, Tiling, Model: "evil, \\"quoted\\" model"';
    const parsed = parseParameters(text, SIZES);
    expect(parsed.settings).toEqual({
      prompt: '<script>alert(1)</script> <img src=x onerror=alert(2)>',
      negativePrompt: '</textarea><b>bold</b>',
      steps: LIMITS.steps.max,
      scheduler: 'euler',
      guidance: LIMITS.guidance.min,
      seed: LIMITS.seed.max,
      width: SIZES.max,
      height: SIZES.min,
    });
    expect(parsed.model).toBe('evil, "quoted" model');
    expect(parsed.ignored).toEqual(['Tiling', '__proto__: polluted', 'Lora hashes: a: 1, b: 2', 'Steps2: "unterminated']);
  });

  it('snaps sizes to the multiple and ignores values that are not numbers', () => {
    const parsed = parseParameters('Steps: four, Seed: 0x10, CFG scale: 1e3, Size: 300x97', SIZES);
    expect(parsed.settings).toEqual({ prompt: '', negativePrompt: '', width: 320, height: 128 });
    expect(parsed.ignored).toEqual(['Steps: four', 'Seed: 0x10', 'CFG scale: 1e3']);
  });

  it('takes a last line with fewer than 3 pairs as prompt, like A1111', () => {
    expect(parseParameters('a cat, style: anime\nlighting: soft, mood: calm')).toEqual({
      settings: { prompt: 'a cat, style: anime\nlighting: soft, mood: calm', negativePrompt: '' },
      ignored: [],
      cut: [],
    });
  });

  it('caps prompts without splitting a surrogate pair, and says which it cut', () => {
    const prompt = 'a'.repeat(MAX_PROMPT_CHARS - 1) + '😀 tail';
    const parsed = parseParameters(`${prompt}\nNegative prompt: ${'b'.repeat(50_000)}\nSteps: 1, Seed: 2, CFG scale: 3`);
    expect(parsed.settings.prompt).toBe('a'.repeat(MAX_PROMPT_CHARS - 1));
    expect(parsed.settings.negativePrompt).toHaveLength(MAX_PROMPT_CHARS);
    expect(parsed.cut).toEqual(['prompt', 'negative prompt']);
    expect(parseParameters(`${'a'.repeat(MAX_PROMPT_CHARS)}\nSteps: 1, Seed: 2, CFG scale: 3`).cut).toEqual([]);
  });

  it('parses a hostile 1 MB settings line in linear time', () => {
    const line = 'a'.repeat(500_000) + ' '.repeat(500_000) + ', Steps: 4, Seed: 1, CFG scale: 2';
    const started = performance.now();
    expect(parseParameters(`cat\n${line}`).settings.steps).toBe(4);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('PNG parameters chunk', () => {
  const text = formatParameters(settings, IMAGE);

  it('writes a Latin-1 text as tEXt before IDAT, with valid CRCs, and reads it back', async () => {
    const written = withParameters(tinyPng(), `${text} café ©`);
    expect(chunkTypes(written)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(await readParameters(written)).toBe(`${text} café ©`);
  });

  it.each([
    ['emoji', 'a cat 🐈 wearing a 🎩'],
    ['CJK', '富士山の夕焼け、浮世絵'],
  ])('writes a %s prompt as UTF-8 iTXt and reads it back', async (_, prompt) => {
    const withPrompt = formatParameters({ ...settings, prompt }, IMAGE);
    const written = withParameters(tinyPng(), withPrompt);
    expect(chunkTypes(written)).toEqual(['IHDR', 'iTXt', 'IDAT', 'IEND']);
    expect(await readParameters(written)).toBe(withPrompt);
    expect(parseParameters((await readParameters(written))!).settings.prompt).toBe(prompt);
  });

  it('replaces an existing parameters chunk and keeps other text chunks', async () => {
    const software = chunk('tEXt', latin1('Software\0Hearth'));
    const old = chunk('iTXt', utf8('parameters\0\0\0\0\0old 🐈'));
    const written = withParameters(withParameters(tinyPng(software, old), 'first'), 'second');
    expect(chunkTypes(written)).toEqual(['IHDR', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    expect(await readParameters(written)).toBe('second');
    expect(Buffer.from(written).includes('Software\0Hearth')).toBe(true);
  });

  it('drops NUL characters, which no PNG text may contain', async () => {
    expect(await readParameters(withParameters(tinyPng(), 'a\0b'))).toBe('ab');
  });

  it('returns undefined for a PNG without parameters', async () => {
    expect(await readParameters(tinyPng(chunk('tEXt', latin1('Comment\0hello'))))).toBeUndefined();
  });

  it('reads compressed zTXt and iTXt, and iTXt with a language tag', async () => {
    const zTXt = chunk('zTXt', concat([latin1('parameters\0\0'), deflateSync(latin1('zipped ©'))]));
    expect(await readParameters(tinyPng(zTXt))).toBe('zipped ©');
    const iTXt = chunk('iTXt', concat([utf8('parameters\0\x01\0'), utf8('ja\0パラメータ\0'), deflateSync(utf8('猫 🐈'))]));
    expect(await readParameters(tinyPng(iTXt))).toBe('猫 🐈');
    const tagged = chunk('iTXt', utf8('parameters\0\0\0en\0parameters\0plain'));
    expect(await readParameters(tinyPng(tagged))).toBe('plain');
  });

  it('refuses a zlib bomb and corrupt compressed text', async () => {
    const bomb = chunk('zTXt', concat([latin1('parameters\0\0'), deflateSync(new Uint8Array(2 << 20).fill(65))]));
    expect((await errorOf(readParameters(tinyPng(bomb)))).reason).toMatch(/inflates past/);
    const corrupt = chunk('zTXt', concat([latin1('parameters\0\0'), latin1('not zlib at all')]));
    expect((await errorOf(readParameters(tinyPng(corrupt)))).reason).toMatch(/corrupt/);
  });

  it('throws the named error for a non-PNG', async () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]);
    expect((await errorOf(readParameters(jpeg))).code).toBe('png-parameters');
    expect(() => withParameters(jpeg, text)).toThrow(PngParametersError);
  });

  it('throws the named error for a truncated PNG or a CRC mismatch', async () => {
    const png = withParameters(tinyPng(), text);
    for (const length of [png.length - 1, png.length - 12, 20, 8]) {
      await errorOf(readParameters(png.subarray(0, length)));
      expect(() => withParameters(png.subarray(0, length), text)).toThrow(PngParametersError);
    }
    const flipped = png.slice();
    flipped[40] ^= 1; // inside the tEXt chunk
    expect((await errorOf(readParameters(flipped))).reason).toMatch(/CRC/);
  });
});
