import { DType, floatAttr, type GraphBuilder } from './onnx-graph.ts';

/** Conv options: `gain` scales the He-style init so activations stay O(1). */
export interface ConvOptions {
  gain?: number;
  kernel?: number;
  stride?: number;
  /** Random channel mixing over a fixed blur kernel, so upsampled images come out smooth, not checkerboarded. */
  smooth?: boolean;
  /** False for a conv without bias (TAESD's convs after upsampling). */
  bias?: boolean;
}

const BLUR_3X3 = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((w) => w / 16);

/** Same-padding Conv (3x3 unless told), optionally strided to downsample. */
export function conv(g: GraphBuilder, x: string, name: string, inChannels: number, outChannels: number, options: ConvOptions = {}): string {
  const { gain = 1, kernel = 3, stride = 1, smooth = false, bias = true } = options;
  if (smooth && kernel !== 3) throw new Error(`${name}: smooth convs are 3x3`);
  const dims = [outChannels, inChannels, kernel, kernel];
  const weight = smooth
    ? g.initializer(`${name}.weight`, dims, blurredMixing(g, outChannels * inChannels, gain / Math.sqrt(inChannels)))
    : g.random(`${name}.weight`, dims, gain / Math.sqrt(inChannels * kernel * kernel));
  const biases = bias ? [g.random(`${name}.bias`, [outChannels], 0.1)] : [];
  const pad = (kernel - 1) / 2;
  const attrs = { kernel_shape: [kernel, kernel], pads: [pad, pad, pad, pad], strides: [stride, stride] };
  return g.node('Conv', [x, weight, ...biases], attrs, g.fresh(name));
}

function blurredMixing(g: GraphBuilder, pairs: number, std: number): number[] {
  return Array.from({ length: pairs }, () => std * g.rng.normal()).flatMap((mix) => BLUR_3X3.map((w) => mix * w));
}

/** Nearest 2x upsample exactly as torch exports F.interpolate(scale_factor=2). */
export function upsample2x(g: GraphBuilder, x: string): string {
  // Resize takes its scales as float32 whatever the model's precision.
  const scales = g.initializer('upsample.scales', [4], [1, 1, 2, 2], DType.float);
  return g.node('Resize', [x, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
}

/** x @ W + b over the last axis. */
export function linear(g: GraphBuilder, x: string, name: string, inFeatures: number, outFeatures: number, gain = 1): string {
  const weight = g.random(`${name}.weight`, [inFeatures, outFeatures], gain / Math.sqrt(inFeatures));
  const bias = g.random(`${name}.bias`, [outFeatures], 0.1);
  return g.node('Add', [g.node('MatMul', [x, weight]), bias], {}, g.fresh(name));
}

/** SiLU as PyTorch exports it at opset 17: x * Sigmoid(x). */
export function silu(g: GraphBuilder, x: string): string {
  return g.node('Mul', [x, g.node('Sigmoid', [x])]);
}

/** GroupNorm as torch.onnx exports it (no GroupNormalization op), so the graph has the ops real SD exports have. */
export function groupNorm(g: GraphBuilder, x: string, name: string, channels: number, groups: number, epsilon = 1e-5): string {
  const shape = g.node('Shape', [x]);
  const grouped = g.node('Reshape', [x, g.int64s(`${name}.groups`, [0, groups, -1])]);
  const ones = g.initializer(`${name}.instance_scale`, [groups], new Array<number>(groups).fill(1));
  const zeros = g.initializer(`${name}.instance_bias`, [groups], new Array<number>(groups).fill(0));
  const normed = g.node('InstanceNormalization', [grouped, ones, zeros], { epsilon: floatAttr(epsilon) });
  const restored = g.node('Reshape', [normed, shape]);
  const gamma = g.random(`${name}.weight`, [channels, 1, 1], 0.1, 1);
  const beta = g.random(`${name}.bias`, [channels, 1, 1], 0.1);
  return g.node('Add', [g.node('Mul', [restored, gamma]), beta], {}, g.fresh(name));
}

/** LayerNormalization over the last axis. */
export function layerNorm(g: GraphBuilder, x: string, name: string, dim: number): string {
  const gamma = g.random(`${name}.weight`, [dim], 0.1, 1);
  const beta = g.random(`${name}.bias`, [dim], 0.1);
  return g.node('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: floatAttr(1e-5) }, g.fresh(name));
}
