/**
 * UNet2DConditionModel as diffusers' ONNX exports give it: sinusoidal timestep
 * embedding, CrossAttnDownBlock2D x3 + DownBlock2D, the cross-attention mid
 * block, UpBlock2D + CrossAttnUpBlock2D x3 fed by the skip connections.
 */
import { DType } from '../tiny-model/onnx-graph.ts';
import { conv, groupNorm, linear, silu } from '../tiny-model/layers.ts';
import { LATENT_CHANNELS, type UnetConfig } from './architectures.ts';
import { downsample, resnet, transformer2d, upsample, type ResnetOptions, type TransformerOptions } from './blocks.ts';
import type { RealGraphBuilder } from './graph.ts';
import { projection } from './layers.ts';

/**
 * diffusers' Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0) in float32, then TimestepEmbedding:
 * [cos, sin] of t * exp(-ln(10000) i / half), (+ cond_proj(timestep_cond)), Linear, SiLU, Linear.
 */
function timeEmbedding(g: RealGraphBuilder, timestep: string, sample: string, config: UnetConfig, condition?: string): string {
  const channels = config.blockChannels[0];
  const half = channels / 2;
  // timesteps.expand(sample.shape[0]): a single timestep serves the whole batch.
  const batch = g.node('Slice', [g.node('Shape', [sample]), g.int64s('batch.start', [0]), g.int64s('batch.end', [1])]);
  const t = g.node('Unsqueeze', [g.node('Cast', [g.node('Expand', [timestep, batch])], { to: DType.float }), g.int64s('time.axis', [1])]);
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const phase = g.node('Mul', [t, g.initializer('time_proj.frequencies', [1, half], frequencies, DType.float)]);
  let sinusoid = g.toCompute(g.node('Concat', [g.node('Cos', [phase]), g.node('Sin', [phase])], { axis: 1 }));
  if (condition) sinusoid = g.node('Add', [sinusoid, projection(g, condition, 'time_embedding.cond_proj', config.timeCondDim!, channels)]);
  const hidden = silu(g, linear(g, sinusoid, 'time_embedding.linear_1', channels, 4 * channels));
  return linear(g, hidden, 'time_embedding.linear_2', 4 * channels, 4 * channels);
}

/** The UNet graph; weights are drawn only when written. */
export function buildUnet(g: RealGraphBuilder, config: UnetConfig): RealGraphBuilder {
  const { blockChannels, heads, layersPerBlock, groups } = config;
  const sample = g.input('sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  const timestep = g.input('timestep', DType.int64, ['batch']);
  const text = g.input('encoder_hidden_states', DType.float, ['batch', 'sequence', config.crossAttentionDim]);
  const condition = config.timeCondDim ? g.input('timestep_cond', DType.float, ['batch', config.timeCondDim]) : undefined;

  const temb = timeEmbedding(g, timestep, sample, config, condition && g.toCompute(condition));
  const resnetOptions: ResnetOptions = { groups, epsilon: 1e-5, temb: { tensor: temb, channels: 4 * blockChannels[0] } };
  const context = g.toCompute(text);
  const transformerOptions = (block: number): TransformerOptions => ({
    heads: heads[block],
    groups,
    context,
    contextDim: config.crossAttentionDim,
    linearProjection: config.linearProjection,
  });
  const last = blockChannels.length - 1;

  let x = conv(g, g.toCompute(sample), 'conv_in', LATENT_CHANNELS, blockChannels[0]);
  const skips: { tensor: string; channels: number }[] = [{ tensor: x, channels: blockChannels[0] }];
  let channels = blockChannels[0];
  blockChannels.forEach((out, block) => {
    for (let i = 0; i < layersPerBlock; i++) {
      x = resnet(g, x, `down_blocks.${block}.resnets.${i}`, channels, out, resnetOptions);
      channels = out;
      if (block < last) x = transformer2d(g, x, `down_blocks.${block}.attentions.${i}`, out, transformerOptions(block));
      skips.push({ tensor: x, channels });
    }
    if (block < last) {
      x = downsample(g, x, `down_blocks.${block}.downsamplers.0`, out);
      skips.push({ tensor: x, channels });
    }
  });

  x = resnet(g, x, 'mid_block.resnets.0', channels, channels, resnetOptions);
  x = transformer2d(g, x, 'mid_block.attentions.0', channels, transformerOptions(last));
  x = resnet(g, x, 'mid_block.resnets.1', channels, channels, resnetOptions);

  [...blockChannels].reverse().forEach((out, up) => {
    const block = last - up;
    for (let i = 0; i <= layersPerBlock; i++) {
      const skip = skips.pop()!;
      x = resnet(g, g.node('Concat', [x, skip.tensor], { axis: 1 }), `up_blocks.${up}.resnets.${i}`, channels + skip.channels, out, resnetOptions);
      channels = out;
      if (up > 0) x = transformer2d(g, x, `up_blocks.${up}.attentions.${i}`, out, transformerOptions(block));
    }
    if (up < last) x = upsample(g, x, `up_blocks.${up}.upsamplers.0`, out);
  });

  const out = conv(g, silu(g, groupNorm(g, x, 'conv_norm_out', channels, groups)), 'conv_out', channels, LATENT_CHANNELS);
  g.output(g.toFloat32(out), 'out_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  return g;
}
