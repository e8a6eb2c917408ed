import { SCHEDULER_CONFIG } from './configs.ts';
import { conv, groupNorm, linear, silu, upsample2x } from './layers.ts';
import { DType, GraphBuilder } from './onnx-graph.ts';
import type { Rng } from './random.ts';
import { TEXT_DIM } from './text-encoder.ts';

/** Latent channels, as in Stable Diffusion. */
export const LATENT_CHANNELS = 4;
/** An inpainting UNet's sample: latents, the mask, the masked image's latents. */
export const INPAINT_CHANNELS = 2 * LATENT_CHANNELS + 1;
/** Feature channels inside the tiny UNet. */
export const UNET_CHANNELS = 32;
const GROUPS = 8;
const TIME_FREQUENCIES = 16;

/** sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t) for t = 0..999, from the scheduler's scaled_linear betas. */
export function noiseSchedule(): { signal: number[]; noise: number[] } {
  const { beta_start, beta_end, num_train_timesteps: steps } = SCHEDULER_CONFIG;
  const [from, to] = [Math.sqrt(beta_start), Math.sqrt(beta_end)];
  let alphaBar = 1;
  const alphaBars = Array.from({ length: steps }, (_, t) => (alphaBar *= 1 - (from + ((to - from) * t) / (steps - 1)) ** 2));
  return { signal: alphaBars.map(Math.sqrt), noise: alphaBars.map((a) => Math.sqrt(1 - a)) };
}

/** diffusers' sinusoidal embedding (cos, sin; max period 10000) followed by a two-layer MLP, as [B, C, 1, 1]. */
function timestepEmbedding(g: GraphBuilder, timestep: string, channels: number): string {
  const t = g.node('Unsqueeze', [g.node('Cast', [timestep], { to: DType.float }), g.int64s('axis1', [1])]);
  const frequencies = Array.from({ length: TIME_FREQUENCIES }, (_, i) => Math.exp((-Math.log(10000) * i) / TIME_FREQUENCIES));
  const phase = g.node('Mul', [t, g.initializer('time_frequencies', [1, TIME_FREQUENCIES], frequencies)]);
  const sinusoid = g.node('Concat', [g.node('Cos', [phase]), g.node('Sin', [phase])], { axis: 1 });
  const hidden = silu(g, linear(g, sinusoid, 'time_linear_1', 2 * TIME_FREQUENCIES, channels, 2));
  return g.node('Unsqueeze', [linear(g, hidden, 'time_linear_2', channels, channels), g.int64s('axes23', [2, 3])]);
}

/** GroupNorm, SiLU, Conv -> SiLU -> SiLU (the pattern the WebGPU test watches), + time, GroupNorm, SiLU, Conv, residual. */
function resnetBlock(g: GraphBuilder, x: string, temb: string, channels: number): string {
  const first = conv(g, silu(g, groupNorm(g, x, 'resnet.norm1', channels, GROUPS)), 'resnet.conv1', channels, channels, { gain: 1.5 });
  const timed = g.node('Add', [silu(g, silu(g, first)), temb]);
  const second = conv(g, silu(g, groupNorm(g, timed, 'resnet.norm2', channels, GROUPS)), 'resnet.conv2', channels, channels);
  return g.node('Add', [x, second]);
}

/** Single-head cross-attention from the [B, C, H, W] features to the text, with a residual. */
function crossAttention(g: GraphBuilder, x: string, text: string, channels: number): string {
  const normed = groupNorm(g, x, 'attn.norm', channels, GROUPS);
  const tokens = g.node('Transpose', [g.node('Reshape', [normed, g.int64s('attn.flat_shape', [0, channels, -1])])], { perm: [0, 2, 1] });
  const query = linear(g, tokens, 'attn.to_q', channels, channels, 3);
  const key = linear(g, text, 'attn.to_k', TEXT_DIM, channels);
  const value = linear(g, text, 'attn.to_v', TEXT_DIM, channels);
  const logits = g.node('MatMul', [query, g.node('Transpose', [key], { perm: [0, 2, 1] })]);
  const probs = g.node('Softmax', [g.node('Mul', [logits, g.initializer('attn.scale', [], [1 / Math.sqrt(channels)])])], { axis: -1 });
  const attended = linear(g, g.node('MatMul', [probs, value]), 'attn.to_out', channels, channels, 2);
  const spatial = g.node('Reshape', [g.node('Transpose', [attended], { perm: [0, 2, 1] }), g.node('Shape', [x])]);
  return g.node('Add', [x, spatial]);
}

/** Per-sample schedule value for `timestep`, shaped [B, 1, 1, 1] to broadcast over the latents. */
function scheduleLookup(g: GraphBuilder, name: string, table: number[], timestep: string): string {
  const values = g.node('Gather', [g.initializer(name, [table.length], table), timestep], { axis: 0 });
  return g.node('Reshape', [values, g.int64s('per_sample', [-1, 1, 1, 1])]);
}

/**
 * Tiny conditional UNet with diffusers' ONNX I/O: a full-resolution ResNet block, then cross-attention at half
 * resolution. The network predicts clean latents x0 and converts them to epsilon = (x_t - sqrt(a) x0) / sqrt(1 - a)
 * with the scheduler's own alpha_bar, so it is a consistent denoiser and sampling ends on its bounded x0.
 * The text takes any length (chunks of 77, as long prompts need) unless `textLength` fixes it, as some exports do.
 * `inpainting` makes a 9-channel UNet like SD's inpainting exports, which also sees the mask and the masked image.
 * `predictsNoNoise` zeroes its output: every sampler then leaves the latents it starts from as they are.
 */
export function buildUnet(rng: Rng, textLength: number | 'sequence' = 'sequence', { inpainting = false, predictsNoNoise = false } = {}): Uint8Array {
  const g = new GraphBuilder(rng);
  const C = UNET_CHANNELS;
  const inChannels = inpainting ? INPAINT_CHANNELS : LATENT_CHANNELS;
  const sample = g.input('sample', DType.float, ['batch', inChannels, 'height', 'width']);
  const latents = inpainting ? g.node('Slice', [sample, g.int64s('latents.from', [0]), g.int64s('latents.to', [LATENT_CHANNELS]), g.int64s('latents.axis', [1])]) : sample;
  const timestep = g.input('timestep', DType.int64, ['batch']);
  const text = g.input('encoder_hidden_states', DType.float, ['batch', textLength, TEXT_DIM]);

  const temb = timestepEmbedding(g, timestep, C);
  const full = resnetBlock(g, conv(g, sample, 'conv_in', inChannels, C), temb, C);
  const half = crossAttention(g, conv(g, full, 'down', C, C, { stride: 2 }), text, C);
  const features = g.node('Add', [full, conv(g, upsample2x(g, half), 'up', C, C, { gain: 2 })]);
  const x0 = conv(g, silu(g, groupNorm(g, features, 'norm_out', C, GROUPS)), 'conv_out', C, LATENT_CHANNELS, { gain: 0.6 });

  const { signal, noise } = noiseSchedule();
  const noisePart = g.node('Sub', [latents, g.node('Mul', [scheduleLookup(g, 'sqrt_alpha_bar', signal, timestep), x0])]);
  const epsilon = g.node('Div', [noisePart, scheduleLookup(g, 'sqrt_one_minus_alpha_bar', noise, timestep)]);
  const output = predictsNoNoise ? g.node('Mul', [epsilon, g.initializer('no_noise', [], [0])]) : epsilon;
  g.output(output, 'out_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  return g.encode('unet');
}
