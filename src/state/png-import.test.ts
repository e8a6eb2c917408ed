import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pngChunk } from '../shared/png-chunks.ts';
import { withParameters } from '../shared/png-parameters.ts';
import { importPngSettings, MAX_PNG_BYTES } from './png-import.ts';

const SIZES = { min: 64, max: 512, multiple: 64 };

/** A valid 1x1 RGBA PNG without text chunks. */
function plainPng(): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const idat = deflateSync(Buffer.from([0, 255, 128, 0, 255]));
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]));
}

const file = (bytes: Uint8Array) => new Blob([bytes.slice()]);
const read = (bytes: Uint8Array, modelId = 'tiny-test') => importPngSettings(file(bytes), SIZES, modelId);

describe('importPngSettings', () => {
  it('restores the settings a Hearth PNG carries', async () => {
    const text = 'a cat\nNegative prompt: dog\nSteps: 2, Sampler: Euler a, CFG scale: 2.5, Seed: 1234, Size: 128x192, Model: tiny-test';
    expect(await read(withParameters(plainPng(), text))).toEqual({
      ok: true,
      settings: { prompt: 'a cat', negativePrompt: 'dog', steps: 2, scheduler: 'euler-a', guidance: 2.5, seed: 1234, width: 128, height: 192 },
      message: 'Settings restored from the PNG.',
    });
  });

  it('clamps hostile numbers, keeps markup as plain text and lists a few short ignored entries', async () => {
    const pairs = Array.from({ length: 8 }, (_, i) => `Extra ${i}: ${'x'.repeat(200)}`).join(', ');
    const text = `<img src=x onerror=alert(1)>\nSteps: 99999, CFG scale: 500, Size: 100000x100000, <b>bold</b>, Model: other, ${pairs}`;
    const result = await read(withParameters(plainPng(), text));
    if (!result.ok) throw new Error(result.message);
    expect(result.settings).toMatchObject({ prompt: '<img src=x onerror=alert(1)>', steps: 100, guidance: 30, width: 512, height: 512 });
    expect(result.message).toContain('It was made with the model "other"; the loaded model stays.');
    expect(result.message).toContain('Not applied: <b>bold</b>; Extra 0: xxx');
    expect(result.message).toContain('… (and 4 more).');
    expect(result.message.length).toBeLessThan(600);
  });

  it('says when a prompt was cut to its first 10,000 characters', async () => {
    const text = `${'a'.repeat(12_000)}\nNegative prompt: dog\nSteps: 2, CFG scale: 2.5, Seed: 1`;
    const result = await read(withParameters(plainPng(), text));
    if (!result.ok) throw new Error(result.message);
    expect(result.settings.prompt).toHaveLength(10_000);
    expect(result.message).toBe('Settings restored from the PNG. The prompt ran past 10,000 characters: only the first 10,000 were taken.');
  });

  it('changes nothing for a PNG without parameters, a non-PNG, a damaged PNG or a huge file', async () => {
    expect(await read(plainPng())).toEqual({ ok: false, message: 'This PNG carries no generation parameters.', picture: true });
    expect(await read(new TextEncoder().encode('GIF89a not a png'))).toEqual({ ok: false, message: 'This file is not a PNG.' });
    expect(await read(new Uint8Array())).toEqual({ ok: false, message: 'This file is not a PNG.' });
    const photo = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    expect(await importPngSettings(photo, SIZES, 'tiny-test'), 'a photo is offered as the input image').toEqual({ ok: false, message: 'This file is not a PNG.', picture: true });
    const renamed = new Blob([new TextEncoder().encode('Steps: 50')], { type: 'image/png' });
    expect(await importPngSettings(renamed, SIZES, 'tiny-test'), 'a text file named .png is no picture').toEqual({ ok: false, message: 'This file is not a PNG.' });
    const damaged = plainPng().slice(0, 40);
    expect(await read(damaged)).toMatchObject({ ok: false, message: expect.stringMatching(/^This PNG is damaged \(.+\); nothing was changed\.$/) });
    const huge = { size: MAX_PNG_BYTES + 1, arrayBuffer: () => Promise.reject(new Error('must not be read')) } as unknown as Blob;
    expect(await importPngSettings(huge, SIZES, 'tiny-test')).toEqual({ ok: false, message: 'This file is over 64 MB, too large to read settings from.' });
  });
});
