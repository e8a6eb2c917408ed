import type { Architecture } from './architectures.ts';
import { RealGraphBuilder, type Precision } from './graph.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildUnet } from './unet.ts';
import { buildVaeDecoder } from './vae-decoder.ts';

/** The three ONNX networks of a diffusers-layout model, by folder. */
export const NETWORKS = ['text_encoder', 'unet', 'vae_decoder'] as const;
export type NetworkName = (typeof NETWORKS)[number];

/**
 * The graph of one network. Without a seed it can only be described (shapes,
 * ops, parameter counts); with one, its weights can be drawn and written.
 */
export function buildNetwork(name: NetworkName, arch: Architecture, precision: Precision, seed?: number): RealGraphBuilder {
  const g = new RealGraphBuilder(precision, seed);
  if (name === 'text_encoder') return buildTextEncoder(g, arch.textEncoder);
  if (name === 'unet') return buildUnet(g, arch.unet);
  return buildVaeDecoder(g, arch.vaeDecoder);
}
