/**
 * AutoencoderKL's decode path as diffusers' ONNX exports give it:
 * post_quant_conv, conv_in, a mid block (resnet, attention, resnet), UpDecoderBlock2D
 * x4 with nearest 2x upsampling after all but the last, GroupNorm, SiLU, conv_out.
 */
import { DType } from '../tiny-model/onnx-graph.ts';
import { conv, groupNorm, silu } from '../tiny-model/layers.ts';
import { LATENT_CHANNELS, type VaeDecoderConfig } from './architectures.ts';
import { resnet, upsample, vaeAttention } from './blocks.ts';
import type { RealGraphBuilder } from './graph.ts';

const EPSILON = 1e-6;

/** The VAE decoder graph; weights are drawn only when written. */
export function buildVaeDecoder(g: RealGraphBuilder, config: VaeDecoderConfig): RealGraphBuilder {
  const { groups } = config;
  const options = { groups, epsilon: EPSILON };
  const channels = [...config.blockChannels].reverse();
  const latents = g.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'latent_height', 'latent_width']);

  const quantized = conv(g, g.toCompute(latents), 'post_quant_conv', LATENT_CHANNELS, LATENT_CHANNELS, { kernel: 1 });
  let x = conv(g, quantized, 'decoder.conv_in', LATENT_CHANNELS, channels[0]);
  x = resnet(g, x, 'decoder.mid_block.resnets.0', channels[0], channels[0], options);
  x = vaeAttention(g, x, 'decoder.mid_block.attentions.0', channels[0], groups);
  x = resnet(g, x, 'decoder.mid_block.resnets.1', channels[0], channels[0], options);

  let width = channels[0];
  channels.forEach((out, block) => {
    for (let i = 0; i <= config.layersPerBlock; i++) {
      x = resnet(g, x, `decoder.up_blocks.${block}.resnets.${i}`, width, out, options);
      width = out;
    }
    if (block < channels.length - 1) x = upsample(g, x, `decoder.up_blocks.${block}.upsamplers.0`, out);
  });

  const image = conv(g, silu(g, groupNorm(g, x, 'decoder.conv_norm_out', width, groups, EPSILON)), 'decoder.conv_out', width, 3);
  g.output(g.toFloat32(image), 'sample', DType.float, ['batch', 3, 'height', 'width']);
  return g;
}
