/** What the gallery derives from one image: its parameters text, download name and reusable settings. Pure. */
import { formatParameters } from '../shared/png-parameters.ts';
import type { GenerationSettings } from '../shared/settings.ts';
import type { GalleryItem } from './records.ts';

/** Longest prompt slug in a download name, in characters. */
const SLUG_CHARS = 40;

/** The A1111 `parameters` text of an image, the same text its PNG carries. */
export function parametersText(item: GalleryItem): string {
  return formatParameters(item.settings, { model: item.modelId, width: item.width, height: item.height });
}

/** The form values that make the image again: all but the batch count. */
export function reusableSettings(item: GalleryItem): Omit<GenerationSettings, 'batchCount'> {
  const { prompt, negativePrompt, steps, guidance, scheduler } = item.settings;
  return { prompt, negativePrompt, seed: item.seed, steps, width: item.width, height: item.height, guidance, scheduler };
}

/**
 * `hearth-<seed>-<short prompt>.png`. The slug keeps letters, marks and digits of
 * any script and turns everything else into dashes, so no path separator,
 * reserved character or control code reaches the file system.
 */
export function downloadName(item: Pick<GalleryItem, 'seed' | 'settings'>): string {
  const words = item.settings.prompt.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{M}\p{N}]+/gu, '-');
  // Array.from splits by code point, so the cut never halves a surrogate pair.
  const slug = Array.from(words.replace(/^-+/, '')).slice(0, SLUG_CHARS).join('').replace(/-+$/, '');
  return slug ? `hearth-${item.seed}-${slug}.png` : `hearth-${item.seed}.png`;
}
