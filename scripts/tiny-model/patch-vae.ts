import { DType, GraphBuilder } from './onnx-graph.ts';
import { createRng } from './random.ts';
import { LATENT_CHANNELS } from './unet.ts';

const PATCH = 8;
const RGB = 3;
/**
 * Latents = this times the patch coefficients: about ten times SD's latent scale (±10 after the 0.18215
 * scaling factor), so the noise of a low strength (sigma 0.9 at timestep 250) is small against the picture
 * even though nothing removes it, and full strength's (sigma 14.6) still buries it.
 */
const LATENT_SCALE = 7;
/** The encoder's log-variance: a sample is its mean to float precision. */
const LOG_VARIANCE = -30;

/**
 * Four orthonormal 3x8x8 patterns: each colour channel's mean, and a left-to-right ramp of brightness.
 * A picture's 8x8 patch, projected onto them, keeps its colour and horizontal shading.
 */
function patterns(): number[][] {
  const ramp = (x: number) => (x - (PATCH - 1) / 2) / Math.sqrt(RGB * PATCH * ((PATCH * PATCH * PATCH - PATCH) / 12));
  const pattern = (value: (channel: number, x: number) => number) =>
    Array.from({ length: RGB * PATCH * PATCH }, (_, i) => value(Math.floor(i / (PATCH * PATCH)), i % PATCH));
  return [
    ...Array.from({ length: RGB }, (_, k) => pattern((channel) => (channel === k ? 1 / PATCH : 0))),
    pattern((_, x) => ramp(x)),
  ];
}

/**
 * A linear 8x8-patch VAE encoder: each patch's coefficients on `patterns()` are the latent means.
 * With `buildPatchVaeDecoder` it is an autoencoder: decode(encode(picture)) is the picture projected
 * onto those patterns, which the tiny random VAE is not.
 */
export function buildPatchVaeEncoder(): Uint8Array {
  const g = new GraphBuilder(createRng(0));
  const image = g.input('sample', DType.float, ['batch', RGB, 'height', 'width']);
  const weights = [...patterns().flatMap((p) => p.map((w) => LATENT_SCALE * w)), ...Array<number>(LATENT_CHANNELS * RGB * PATCH * PATCH).fill(0)];
  const bias = [...Array<number>(LATENT_CHANNELS).fill(0), ...Array<number>(LATENT_CHANNELS).fill(LOG_VARIANCE)];
  const moments = g.node('Conv', [image, g.initializer('patch.weight', [2 * LATENT_CHANNELS, RGB, PATCH, PATCH], weights), g.initializer('patch.bias', [2 * LATENT_CHANNELS], bias)], {
    kernel_shape: [PATCH, PATCH],
    strides: [PATCH, PATCH],
  });
  g.output(moments, 'latent_parameters', DType.float, ['batch', 2 * LATENT_CHANNELS, 'latent_height', 'latent_width']);
  return g.encode('vae_encoder');
}

/** The patch encoder's inverse on its patterns: latents (already divided by the scaling factor) -> image in [-1, 1]. */
export function buildPatchVaeDecoder(): Uint8Array {
  const g = new GraphBuilder(createRng(0));
  const latents = g.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  const weights = patterns().flatMap((p) => p.map((w) => w / LATENT_SCALE));
  const image = g.node('ConvTranspose', [latents, g.initializer('unpatch.weight', [LATENT_CHANNELS, RGB, PATCH, PATCH], weights)], {
    kernel_shape: [PATCH, PATCH],
    strides: [PATCH, PATCH],
  });
  g.output(image, 'sample', DType.float, ['batch', RGB, 'image_height', 'image_width']);
  return g.encode('vae_decoder');
}
