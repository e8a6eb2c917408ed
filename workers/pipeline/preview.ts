import type { Preview } from '../../src/shared/progress.ts';
import type { Shape4 } from './components.ts';
import { decodedToRgba, latentPreview } from './image.ts';

/**
 * A small network that turns latents into a full-size image for previews
 * (TAESD for Stable Diffusion 1.x/2.x). It takes the latents as the scheduler
 * left them, not divided by the VAE's scaling factor: TAESD's own scale is 1
 * (diffusers' `AutoencoderTiny`, `scaling_factor: 1.0`), and gives RGB in [-1, 1].
 */
export interface PreviewDecoder {
  decode(latents: Float32Array, shape: Shape4): Promise<{ sample: Float32Array; width: number; height: number }>;
}

/** A step's preview: the preview decoder's image when the model has one, else the latent approximation at latent size. */
export async function renderPreview(latents: Float32Array, shape: Shape4, decoder: PreviewDecoder | undefined): Promise<Preview> {
  const [, , height, width] = shape;
  if (!decoder) return { width, height, rgba: latentPreview(latents, width, height) };
  const decoded = await decoder.decode(latents, shape);
  return { width: decoded.width, height: decoded.height, rgba: decodedToRgba(decoded.sample, decoded.width, decoded.height) };
}
