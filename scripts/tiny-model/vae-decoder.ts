import { DType, GraphBuilder } from './onnx-graph.ts';
import { conv, groupNorm, silu, upsample2x } from './layers.ts';
import type { Rng } from './random.ts';
import { LATENT_CHANNELS } from './unet.ts';

const CHANNELS = [32, 16, 16, 8];
const GROUPS = 4;

/**
 * The decoder's layers from latents (already divided by the scaling factor) to RGB in [-1, 1]; `stages`
 * names each resolution's activations, which the preview decoder is fitted to.
 */
function decoderLayers(g: GraphBuilder, latents: string): { rgb: string; stages: string[] } {
  let x = silu(g, groupNorm(g, conv(g, latents, 'conv_in', LATENT_CHANNELS, CHANNELS[0]), 'norm_in', CHANNELS[0], GROUPS));
  const stages = [x];
  for (let i = 1; i < CHANNELS.length; i++) {
    x = silu(g, conv(g, upsample2x(g, x), `up${i}.conv`, CHANNELS[i - 1], CHANNELS[i], { gain: 1.5, smooth: true }));
    stages.push(x);
  }
  const last = CHANNELS[CHANNELS.length - 1];
  const rgb = conv(g, silu(g, groupNorm(g, x, 'norm_out', last, GROUPS)), 'conv_out', last, 3, { gain: 1.2, smooth: true });
  return { rgb: g.node('Tanh', [rgb]), stages };
}

/** The tiny VAE decoder's graph and the names of its per-resolution activations. */
export interface VaeDecoderGraph {
  graph: GraphBuilder;
  stages: string[];
}

/**
 * Tiny VAE decoder, latents -> 8x image in [-1, 1]. GroupNorms at both ends make the picture independent of
 * the latent scale, so raw noise and latents divided by the scaling factor both give full-range colour.
 */
export function vaeDecoderGraph(rng: Rng): VaeDecoderGraph {
  const graph = new GraphBuilder(rng);
  const latents = graph.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  const { rgb, stages } = decoderLayers(graph, latents);
  graph.output(rgb, 'sample', DType.float, ['batch', 3, 'image_height', 'image_width']);
  return { graph, stages };
}

export const buildVaeDecoder = (rng: Rng): Uint8Array => vaeDecoderGraph(rng).graph.encode('vae_decoder');
