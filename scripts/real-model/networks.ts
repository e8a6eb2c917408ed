import type { RequiredNetwork } from '../../src/shared/networks.ts';
import type { Architecture } from './architectures.ts';
import { RealGraphBuilder, type Precision } from './graph.ts';
import { buildTextEncoder } from './text-encoder.ts';
import { buildUnet } from './unet.ts';
import { buildVaeDecoder } from './vae-decoder.ts';

/** How each network every model needs (`src/shared/networks.ts`) is built from its part of the architecture. */
const BUILDERS: { [N in RequiredNetwork]: (g: RealGraphBuilder, arch: Architecture) => RealGraphBuilder } = {
  textEncoder: (g, arch) => buildTextEncoder(g, arch.textEncoder),
  unet: (g, arch) => buildUnet(g, arch.unet),
  vaeDecoder: (g, arch) => buildVaeDecoder(g, arch.vaeDecoder),
};

/**
 * The graph of one network. Without a seed it can only be described (shapes,
 * ops, parameter counts); with one, its weights can be drawn and written.
 */
export function buildNetwork(name: RequiredNetwork, arch: Architecture, precision: Precision, seed?: number): RealGraphBuilder {
  return BUILDERS[name](new RealGraphBuilder(precision, seed), arch);
}
