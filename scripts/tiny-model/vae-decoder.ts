import { VAE_SCALING_FACTOR } from './configs.ts';
import { DType, GraphBuilder } from './onnx-graph.ts';
import { conv, groupNorm, silu, upsample2x } from './layers.ts';
import type { Rng } from './random.ts';
import { LATENT_CHANNELS } from './unet.ts';

const CHANNELS = [32, 16, 16, 8];
const GROUPS = 4;

/** The decoder's layers from latents (already divided by the scaling factor) to RGB in [-1, 1]. */
function decoderLayers(g: GraphBuilder, latents: string): string {
  let x = silu(g, groupNorm(g, conv(g, latents, 'conv_in', LATENT_CHANNELS, CHANNELS[0]), 'norm_in', CHANNELS[0], GROUPS));
  for (let i = 1; i < CHANNELS.length; i++) {
    x = silu(g, conv(g, upsample2x(g, x), `up${i}.conv`, CHANNELS[i - 1], CHANNELS[i], { gain: 1.5, smooth: true }));
  }
  const last = CHANNELS[CHANNELS.length - 1];
  const rgb = conv(g, silu(g, groupNorm(g, x, 'norm_out', last, GROUPS)), 'conv_out', last, 3, { gain: 1.2, smooth: true });
  return g.node('Tanh', [rgb]);
}

function decoderGraph(rng: Rng, name: string, prepare: (g: GraphBuilder, latents: string) => string): Uint8Array {
  const g = new GraphBuilder(rng);
  const latents = g.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  g.output(decoderLayers(g, prepare(g, latents)), 'sample', DType.float, ['batch', 3, 'image_height', 'image_width']);
  return g.encode(name);
}

/**
 * Tiny VAE decoder, latents -> 8x image in [-1, 1]. GroupNorms at both ends make the picture independent of
 * the latent scale, so raw noise and latents divided by the scaling factor both give full-range colour.
 */
export const buildVaeDecoder = (rng: Rng): Uint8Array => decoderGraph(rng, 'vae_decoder', (_g, latents) => latents);

/**
 * A tiny preview decoder for the tiny model (from the same seed as its VAE), shaped like TAESD where the pipeline can tell: it takes the latents as the
 * scheduler left them (TAESD's latent scale is 1) through TAESD's soft clamp `tanh(x / 3) * 3`, and gives RGB
 * in [-1, 1] as diffusers' `AutoencoderTiny.decode` does. Behind the clamp it divides by the scaling factor and
 * runs the VAE decoder's own layers; built from the VAE's random stream it has the VAE's weights, so its last
 * preview matches the final image up to the clamp. It costs what the VAE costs, which on SwiftShader is seconds
 * per preview, so the built-in model does not ship it (docs/previews.md); the pipeline tests use it. Latents divided by the scaling factor before it (the VAE's
 * convention, wrong for TAESD) would saturate the clamp and give a visibly different picture.
 */
export const buildPreviewDecoder = (rng: Rng): Uint8Array =>
  decoderGraph(rng, 'preview_decoder', (g, latents) => {
    const three = g.initializer('clamp.three', [], [3]);
    const clamped = g.node('Mul', [g.node('Tanh', [g.node('Div', [latents, three])]), three]);
    return g.node('Mul', [clamped, g.initializer('latent_scale', [], [1 / VAE_SCALING_FACTOR])]);
  });
