import { conv, groupNorm, silu } from './layers.ts';
import { DType, GraphBuilder } from './onnx-graph.ts';
import type { Rng } from './random.ts';
import { LATENT_CHANNELS } from './unet.ts';

const CHANNELS = [8, 16, 16, 32];
const GROUPS = 4;
/** The real SD VAE's latents are about 1/0.18215 times the UNet's scale; the tiny one's means are scaled to match. */
const MEAN_SCALE = 5.5;
/** Log-variances near the real VAE's (about -6 to -12), so a sample stays close to its mean. */
const LOGVAR_SHIFT = -6;

/**
 * Tiny VAE encoder with optimum's I/O: an image in [-1, 1] -> `latent_parameters`, the latent
 * distribution's mean and log-variance (2 x 4 channels) at 1/8 of the image's size.
 */
export function buildVaeEncoder(rng: Rng): Uint8Array {
  const g = new GraphBuilder(rng);
  const image = g.input('sample', DType.float, ['batch', 3, 'height', 'width']);
  let x = conv(g, image, 'conv_in', 3, CHANNELS[0]);
  for (let i = 1; i < CHANNELS.length; i++) {
    x = silu(g, conv(g, x, `down${i}.conv`, CHANNELS[i - 1], CHANNELS[i], { gain: 1.5, stride: 2 }));
  }
  const last = CHANNELS[CHANNELS.length - 1];
  const moments = conv(g, silu(g, groupNorm(g, x, 'norm_out', last, GROUPS)), 'conv_out', last, 2 * LATENT_CHANNELS);
  const affine = (name: string, values: number[]) => g.initializer(name, [1, 2 * LATENT_CHANNELS, 1, 1], values);
  const scale = affine('moments.scale', [...Array<number>(LATENT_CHANNELS).fill(MEAN_SCALE), ...Array<number>(LATENT_CHANNELS).fill(1)]);
  const shift = affine('moments.shift', [...Array<number>(LATENT_CHANNELS).fill(0), ...Array<number>(LATENT_CHANNELS).fill(LOGVAR_SHIFT)]);
  const parameters = g.node('Add', [g.node('Mul', [moments, scale]), shift]);
  g.output(parameters, 'latent_parameters', DType.float, ['batch', 2 * LATENT_CHANNELS, 'latent_height', 'latent_width']);
  return g.encode('vae_encoder');
}
