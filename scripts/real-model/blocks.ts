/**
 * diffusers' building blocks shared by the UNet and the VAE decoder:
 * ResnetBlock2D, Transformer2DModel (with BasicTransformerBlock and GEGLU),
 * the VAE's single-head attention, Downsample2D and Upsample2D.
 */
import { conv, groupNorm, layerNorm, linear, silu, upsample2x } from '../tiny-model/layers.ts';
import type { RealGraphBuilder } from './graph.ts';
import { attention, gelu, sliceLast } from './layers.ts';

export interface ResnetOptions {
  groups: number;
  epsilon: number;
  /** The UNet's time embedding [B, temb] and its width; the VAE's resnets have none. */
  temb?: { tensor: string; channels: number };
}

/** GroupNorm, SiLU, Conv (+ projected time embedding), GroupNorm, SiLU, Conv, plus the (1x1-projected) input. */
export function resnet(g: RealGraphBuilder, x: string, name: string, inChannels: number, outChannels: number, options: ResnetOptions): string {
  const { groups, epsilon, temb } = options;
  let h = conv(g, silu(g, groupNorm(g, x, `${name}.norm1`, inChannels, groups, epsilon)), `${name}.conv1`, inChannels, outChannels);
  if (temb) {
    const projected = linear(g, silu(g, temb.tensor), `${name}.time_emb_proj`, temb.channels, outChannels);
    h = g.node('Add', [h, g.node('Unsqueeze', [projected, g.int64s('resnet.spatial_axes', [2, 3])])]);
  }
  h = conv(g, silu(g, groupNorm(g, h, `${name}.norm2`, outChannels, groups, epsilon)), `${name}.conv2`, outChannels, outChannels);
  const shortcut = inChannels === outChannels ? x : conv(g, x, `${name}.conv_shortcut`, inChannels, outChannels, { kernel: 1 });
  return g.node('Add', [shortcut, h]);
}

/** [B, C, H, W] -> [B, H*W, C]. */
const toTokens = (g: RealGraphBuilder, x: string, channels: number) =>
  g.node('Transpose', [g.node('Reshape', [x, g.int64s('tokens.shape', [0, channels, -1])])], { perm: [0, 2, 1] });

/** [B, H*W, C] -> the shape of `like`, [B, C, H, W]. */
const toSpatial = (g: RealGraphBuilder, tokens: string, like: string) =>
  g.node('Reshape', [g.node('Transpose', [tokens], { perm: [0, 2, 1] }), g.node('Shape', [like])]);

/** The VAE's attention: GroupNorm, one head over all positions, residual. */
export function vaeAttention(g: RealGraphBuilder, x: string, name: string, channels: number, groups: number): string {
  const tokens = toTokens(g, groupNorm(g, x, `${name}.group_norm`, channels, groups, 1e-6), channels);
  const attended = attention(g, tokens, tokens, name, { dim: channels, heads: 1, contextDim: channels, qkvBias: true });
  return g.node('Add', [x, toSpatial(g, attended, x)]);
}

export interface TransformerOptions {
  heads: number;
  groups: number;
  /** The text embeddings [B, seq, contextDim]. */
  context: string;
  contextDim: number;
  linearProjection: boolean;
}

/** Self-attention, cross-attention to the text, GEGLU feed-forward; each pre-LayerNorm with a residual. */
function basicTransformerBlock(g: RealGraphBuilder, x: string, name: string, dim: number, options: TransformerOptions): string {
  const { heads, context, contextDim } = options;
  const self = layerNorm(g, x, `${name}.norm1`, dim);
  let h = g.node('Add', [x, attention(g, self, self, `${name}.attn1`, { dim, heads, contextDim: dim, qkvBias: false })]);
  const cross = layerNorm(g, h, `${name}.norm2`, dim);
  h = g.node('Add', [h, attention(g, cross, context, `${name}.attn2`, { dim, heads, contextDim, qkvBias: false })]);
  const inner = 4 * dim;
  const projected = linear(g, layerNorm(g, h, `${name}.norm3`, dim), `${name}.ff.net.0.proj`, dim, 2 * inner);
  const geglu = g.node('Mul', [sliceLast(g, projected, 0, inner), gelu(g, sliceLast(g, projected, inner, 2 * inner))]);
  return g.node('Add', [h, linear(g, geglu, `${name}.ff.net.2`, inner, dim)]);
}

/** Transformer2DModel with one block: GroupNorm, proj_in (Linear or 1x1 Conv), the block, proj_out, residual. */
export function transformer2d(g: RealGraphBuilder, x: string, name: string, channels: number, options: TransformerOptions): string {
  const normed = groupNorm(g, x, `${name}.norm`, channels, options.groups, 1e-6);
  let tokens: string;
  if (options.linearProjection) {
    tokens = linear(g, toTokens(g, normed, channels), `${name}.proj_in`, channels, channels);
  } else {
    tokens = toTokens(g, conv(g, normed, `${name}.proj_in`, channels, channels, { kernel: 1 }), channels);
  }
  const transformed = basicTransformerBlock(g, tokens, `${name}.transformer_blocks.0`, channels, options);
  const out = options.linearProjection
    ? toSpatial(g, linear(g, transformed, `${name}.proj_out`, channels, channels), x)
    : conv(g, toSpatial(g, transformed, x), `${name}.proj_out`, channels, channels, { kernel: 1 });
  return g.node('Add', [x, out]);
}

/** Downsample2D: a stride-2 3x3 Conv. */
export const downsample = (g: RealGraphBuilder, x: string, name: string, channels: number): string =>
  conv(g, x, `${name}.conv`, channels, channels, { stride: 2 });

/** Upsample2D: nearest 2x Resize, then a 3x3 Conv. */
export const upsample = (g: RealGraphBuilder, x: string, name: string, channels: number): string =>
  conv(g, upsample2x(g, x), `${name}.conv`, channels, channels);
