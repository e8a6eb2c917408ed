/**
 * TAESD's decoder (madebyollin/taesd) as diffusers' `AutoencoderTiny` exports
 * it, with random weights: the soft clamp `tanh(x / 3) * 3`, a 3x3 conv to 64
 * channels and ReLU, then three times (three blocks, nearest 2x upsampling, a
 * 3x3 conv without bias), one more block and a 3x3 conv to RGB, mapped from
 * [0, 1] to [-1, 1]. A block is conv, ReLU, conv, ReLU, conv, plus its input,
 * then ReLU. For measuring what a real preview costs (docs/previews.md).
 */
import { DType } from '../tiny-model/onnx-graph.ts';
import { conv, upsample2x } from '../tiny-model/layers.ts';
import { LATENT_CHANNELS } from './architectures.ts';
import type { RealGraphBuilder } from './graph.ts';

const CHANNELS = 64;
const BLOCKS_PER_STAGE = [3, 3, 3, 1];

function block(g: RealGraphBuilder, x: string, name: string): string {
  let y = g.node('Relu', [conv(g, x, `${name}.conv.0`, CHANNELS, CHANNELS)]);
  y = g.node('Relu', [conv(g, y, `${name}.conv.2`, CHANNELS, CHANNELS)]);
  y = conv(g, y, `${name}.conv.4`, CHANNELS, CHANNELS);
  return g.node('Relu', [g.node('Add', [y, x])]);
}

/** The decoder graph, input `latent_sample` (latents as the scheduler leaves them), output `sample` at 8x in [-1, 1]. */
export function buildTaesdDecoder(g: RealGraphBuilder): RealGraphBuilder {
  const latents = g.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'latent_height', 'latent_width']);
  const three = g.initializer('clamp.three', [], [3]);
  const clamped = g.node('Mul', [g.node('Tanh', [g.node('Div', [g.toCompute(latents), three])]), three]);
  let x = g.node('Relu', [conv(g, clamped, 'decoder.layers.0', LATENT_CHANNELS, CHANNELS)]);
  let layer = 2;
  BLOCKS_PER_STAGE.forEach((blocks, stage) => {
    for (let i = 0; i < blocks; i++) x = block(g, x, `decoder.layers.${layer++}`);
    if (stage === BLOCKS_PER_STAGE.length - 1) return;
    x = conv(g, upsample2x(g, x), `decoder.layers.${layer + 1}`, CHANNELS, CHANNELS, { bias: false });
    layer += 2;
  });
  const rgb = conv(g, x, `decoder.layers.${layer}`, CHANNELS, 3);
  const image = g.node('Sub', [g.node('Mul', [rgb, g.initializer('to_signed.two', [], [2])]), g.initializer('to_signed.one', [], [1])]);
  g.output(g.toFloat32(image), 'sample', DType.float, ['batch', 3, 'height', 'width']);
  return g;
}
