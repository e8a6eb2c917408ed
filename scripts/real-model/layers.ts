/**
 * Layers of the real networks, in the op patterns torch.onnx exports at opset
 * 17: GELU through Erf, attention as MatMul/Softmax/MatMul, GEGLU through
 * Slice. Built on the tiny model's conv/linear/norm layers.
 */
import { linear } from '../tiny-model/layers.ts';
import type { RealGraphBuilder } from './graph.ts';

/** A scalar constant in the model's float type. */
export const scalar = (g: RealGraphBuilder, name: string, value: number): string => g.initializer(name, [], [value]);

/** x @ W without a bias, as diffusers' to_q/to_k/to_v and LCM's cond_proj are. */
export function projection(g: RealGraphBuilder, x: string, name: string, inFeatures: number, outFeatures: number): string {
  return g.node('MatMul', [x, g.random(`${name}.weight`, [inFeatures, outFeatures], 1 / Math.sqrt(inFeatures))], {}, g.fresh(name));
}

/** Exact GELU as torch exports nn.GELU(): x * 0.5 * (1 + erf(x / sqrt 2)). */
export function gelu(g: RealGraphBuilder, x: string): string {
  const erf = g.node('Erf', [g.node('Div', [x, scalar(g, 'gelu.sqrt2', Math.SQRT2)])]);
  return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, scalar(g, 'gelu.one', 1)])]), scalar(g, 'gelu.half', 0.5)]);
}

/** OpenAI CLIP's quick_gelu: x * sigmoid(1.702 x). */
export function quickGelu(g: RealGraphBuilder, x: string): string {
  return g.node('Mul', [x, g.node('Sigmoid', [g.node('Mul', [x, scalar(g, 'quick_gelu.scale', 1.702)])])]);
}

export interface AttentionShape {
  /** Width of the queries and of the output. */
  dim: number;
  heads: number;
  /** Width of the keys and values' source (the text, for cross-attention). */
  contextDim: number;
  /** CLIP's and the VAE's projections have biases; the UNet's to_q/k/v have none. */
  qkvBias: boolean;
  /** An additive [seq, seq] mask, CLIP's causal one. */
  mask?: string;
}

function splitHeads(g: RealGraphBuilder, x: string, heads: number, headDim: number, perm: number[]): string {
  return g.node('Transpose', [g.node('Reshape', [x, g.int64s('attn.heads_shape', [0, -1, heads, headDim])])], { perm });
}

/**
 * Multi-head attention of `x` [B, N, dim] over `context` [B, M, contextDim]
 * (itself for self-attention): softmax(q k^T / sqrt(d) + mask) v, then the output projection.
 */
export function attention(g: RealGraphBuilder, x: string, context: string, name: string, shape: AttentionShape): string {
  const { dim, heads, contextDim, qkvBias } = shape;
  const headDim = dim / heads;
  const project = (input: string, part: string, inFeatures: number) =>
    qkvBias ? linear(g, input, `${name}.${part}`, inFeatures, dim) : projection(g, input, `${name}.${part}`, inFeatures, dim);
  const q = splitHeads(g, project(x, 'to_q', dim), heads, headDim, [0, 2, 1, 3]);
  const k = splitHeads(g, project(context, 'to_k', contextDim), heads, headDim, [0, 2, 3, 1]);
  const v = splitHeads(g, project(context, 'to_v', contextDim), heads, headDim, [0, 2, 1, 3]);
  let scores = g.node('Mul', [g.node('MatMul', [q, k]), scalar(g, `${name}.scale`, 1 / Math.sqrt(headDim))]);
  if (shape.mask) scores = g.node('Add', [scores, shape.mask]);
  const attended = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.node('Reshape', [g.node('Transpose', [attended], { perm: [0, 2, 1, 3] }), g.int64s('attn.merge_shape', [0, -1, dim])]);
  return linear(g, merged, `${name}.to_out`, dim, dim);
}

/** Slices `x`'s last axis to [start, end), as torch exports `chunk` and `x[..., a:b]`. */
export function sliceLast(g: RealGraphBuilder, x: string, start: number, end: number): string {
  return g.node('Slice', [x, g.int64s('slice.start', [start]), g.int64s('slice.end', [end]), g.int64s('slice.axis', [-1])]);
}
