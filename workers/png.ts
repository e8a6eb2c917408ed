import type { ImageInput } from '../src/shared/image-input.ts';
import { formatParameters, withParameters, type ParameterSettings } from '../src/shared/png-parameters.ts';
import { makeThumbnail } from '../src/shared/thumbnail.ts';

/** How an image was made: its settings (with the image's own seed) and the model id. */
export interface PngProvenance {
  settings: ParameterSettings;
  model: string;
  /** The picture it started from, whose strength (and mask blur, when inpainting) the parameters carry. */
  input?: ImageInput;
}

/**
 * Encodes RGBA pixels as a PNG with the browser's own encoder, carrying A1111's
 * `parameters` text so the Blob the gallery keeps (and so every downloaded file)
 * can restore its settings, here or in other Stable Diffusion tools; and the
 * gallery's thumbnail from the same pixels, so the page never decodes the PNG
 * again to make one.
 */
export async function encodeImage(
  rgba: Uint8ClampedArray<ArrayBuffer>,
  width: number,
  height: number,
  provenance: PngProvenance,
): Promise<{ png: Blob; thumb?: Blob }> {
  const pixels = new ImageData(rgba, width, height);
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas 2d context is unavailable');
  context.putImageData(pixels, 0, 0);
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  const { input } = provenance;
  const text = formatParameters(provenance.settings, { model: provenance.model, width, height }, input && { strength: input.strength, maskBlur: input.mask ? input.maskBlur : undefined });
  // A missing thumbnail costs the page one decode, never the image.
  const thumb = await makeThumbnail(pixels, width, height).catch(() => undefined);
  return { png: new Blob([withParameters(png, text)], { type: 'image/png' }), thumb };
}
