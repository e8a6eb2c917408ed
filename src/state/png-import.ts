/**
 * Settings from a dropped or opened PNG. The file is untrusted: numbers come back
 * clamped by `parseParameters`, and the message quotes at most a few short
 * ignored entries, as text for the page to show (never as HTML). Pure.
 */
import { PngParametersError } from '../shared/errors.ts';
import { MAX_PROMPT_CHARS, parseParameters, readParameters, type InputParameters } from '../shared/png-parameters.ts';
import type { GenerationSettings, SizeRange } from '../shared/settings.ts';

/** Files larger than this are refused unread; a PNG of SD's largest sizes is a few MB. */
export const MAX_PNG_BYTES = 64 * 1024 * 1024;
const SHOWN_IGNORED = 5;
const SHOWN_CHARS = 80;
// https://www.w3.org/TR/png-3/#5PNG-file-signature
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * Settings to apply with a message saying what was (not) taken, or only a message saying why nothing was;
 * `picture` marks an image without settings, which the page offers as the input image instead.
 */
export type PngImport =
  | { ok: true; settings: Partial<GenerationSettings>; input?: Partial<InputParameters>; message: string }
  | { ok: false; message: string; picture?: true };

/** Reads `file`'s `parameters` text into settings fitted to `sizes`; `modelId` is the loaded model, for the message. */
export async function importPngSettings(file: Blob, sizes: SizeRange | undefined, modelId: string | undefined): Promise<PngImport> {
  if (file.size > MAX_PNG_BYTES) return { ok: false, message: `This file is over ${MAX_PNG_BYTES >> 20} MB, too large to read settings from.` };
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length < SIGNATURE.length || SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    // A JPEG or WebP photo has no settings to read, but it is a picture to start from.
    const message = 'This file is not a PNG.';
    return file.type.startsWith('image/') && file.type !== 'image/png' ? { ok: false, message, picture: true } : { ok: false, message };
  }
  let text: string | undefined;
  try {
    text = await readParameters(bytes);
  } catch (error) {
    if (error instanceof PngParametersError) return { ok: false, message: `This PNG is damaged (${error.reason}); nothing was changed.` };
    throw error;
  }
  if (text === undefined) return { ok: false, message: 'This PNG carries no generation parameters.', picture: true };
  const parsed = parseParameters(text, sizes);
  const notes = ['Settings restored from the PNG.'];
  if (parsed.model && modelId && parsed.model !== modelId) notes.push(`It was made with the model "${shorten(parsed.model)}"; the loaded model stays.`);
  if (parsed.cut.length > 0) {
    const limit = MAX_PROMPT_CHARS.toLocaleString('en');
    notes.push(`The ${parsed.cut.join(' and the ')} ran past ${limit} characters: only the first ${limit} were taken.`);
  }
  // The picture is not in the PNG: the strength and blur go to the form, whose own picture (if any) stays.
  if (parsed.input) notes.push('It was made from a picture, which the PNG does not hold: the input image in the form stays as it is.');
  if (parsed.ignored.length > 0) notes.push(`Not applied: ${listIgnored(parsed.ignored)}.`);
  return { ok: true, settings: parsed.settings, input: parsed.input, message: notes.join(' ') };
}

function listIgnored(ignored: string[]): string {
  const shown = ignored.slice(0, SHOWN_IGNORED).map(shorten).join('; ');
  const more = ignored.length - SHOWN_IGNORED;
  return more > 0 ? `${shown} (and ${more} more)` : shown;
}

function shorten(text: string): string {
  const chars = Array.from(text);
  return chars.length > SHOWN_CHARS ? `${chars.slice(0, SHOWN_CHARS - 1).join('')}…` : text;
}
