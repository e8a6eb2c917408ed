/**
 * The three Stable Diffusion architectures the generator builds, as their
 * diffusers and transformers configs describe them, and the reduced-width
 * instances CI runs: every channel count divided by `widthScale`, with the
 * same layers, heads and I/O.
 */

export const ARCHITECTURES = ['sd-turbo', 'sd15', 'lcm'] as const;
export type ArchitectureId = (typeof ARCHITECTURES)[number];

/** CLIPTextModel (transformers): OpenCLIP ViT-H for SD 2.x, OpenAI CLIP ViT-L/14 for SD 1.x. */
export interface TextEncoderConfig {
  vocabSize: number;
  positions: number;
  width: number;
  layers: number;
  heads: number;
  mlp: number;
  activation: 'gelu' | 'quick_gelu';
}

/** UNet2DConditionModel: three CrossAttn blocks and a plain one on the way down, mirrored on the way up. */
export interface UnetConfig {
  blockChannels: number[];
  /** Attention heads per block (diffusers' `attention_head_dim` holds head counts for these models). */
  heads: number[];
  layersPerBlock: number;
  crossAttentionDim: number;
  /** SD 2.x projects in and out of the transformers with Linear, SD 1.x with 1x1 Conv. */
  linearProjection: boolean;
  groups: number;
  /** LCM-distilled UNets take an embedded guidance scale (`timestep_cond`) of this width. */
  timeCondDim?: number;
}

/** AutoencoderKL's decoder. */
export interface VaeDecoderConfig {
  blockChannels: number[];
  layersPerBlock: number;
  groups: number;
}

export interface Architecture {
  id: ArchitectureId;
  name: string;
  widthScale: number;
  textEncoder: TextEncoderConfig;
  unet: UnetConfig;
  vaeDecoder: VaeDecoderConfig;
  /** SD 2.x tokenizers pad with "!" (id 0), SD 1.x with the end token. */
  padToken: string;
}

export const LATENT_CHANNELS = 4;
const VOCAB_SIZE = 49408;
const POSITIONS = 77;
const GROUPS = 32;

const OPEN_CLIP_H: TextEncoderConfig = { vocabSize: VOCAB_SIZE, positions: POSITIONS, width: 1024, layers: 23, heads: 16, mlp: 4096, activation: 'gelu' };
const CLIP_L: TextEncoderConfig = { vocabSize: VOCAB_SIZE, positions: POSITIONS, width: 768, layers: 12, heads: 12, mlp: 3072, activation: 'quick_gelu' };
const BLOCK_CHANNELS = [320, 640, 1280, 1280];
const SD21_UNET: UnetConfig = { blockChannels: BLOCK_CHANNELS, heads: [5, 10, 20, 20], layersPerBlock: 2, crossAttentionDim: 1024, linearProjection: true, groups: GROUPS };
const SD15_UNET: UnetConfig = { blockChannels: BLOCK_CHANNELS, heads: [8, 8, 8, 8], layersPerBlock: 2, crossAttentionDim: 768, linearProjection: false, groups: GROUPS };
const VAE_DECODER: VaeDecoderConfig = { blockChannels: [128, 256, 512, 512], layersPerBlock: 2, groups: GROUPS };

const FULL: Record<ArchitectureId, Omit<Architecture, 'widthScale'>> = {
  'sd-turbo': { id: 'sd-turbo', name: 'SD-Turbo', textEncoder: OPEN_CLIP_H, unet: SD21_UNET, vaeDecoder: VAE_DECODER, padToken: '!' },
  sd15: { id: 'sd15', name: 'Stable Diffusion 1.5', textEncoder: CLIP_L, unet: SD15_UNET, vaeDecoder: VAE_DECODER, padToken: '<|endoftext|>' },
  lcm: { id: 'lcm', name: 'LCM (SD 1.5)', textEncoder: CLIP_L, unet: { ...SD15_UNET, timeCondDim: 256 }, vaeDecoder: VAE_DECODER, padToken: '<|endoftext|>' },
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/**
 * The architecture `id`, with channel widths divided by `widthScale` (a power of two). Widths round up to a
 * multiple of the heads and groups that split them, so every reshape of the full model still divides evenly;
 * GroupNorm keeps the same channels per group by dividing the group count too.
 */
export function architecture(id: ArchitectureId, widthScale = 1): Architecture {
  if (!Number.isInteger(Math.log2(widthScale)) || widthScale < 1 || widthScale > 64) {
    throw new RangeError(`the width scale must be a power of two from 1 to 64, got ${widthScale}`);
  }
  const full = FULL[id];
  const groups = Math.max(1, GROUPS / widthScale);
  const narrow = (channels: number, multiple: number) => roundUp(channels / widthScale, (multiple * groups) / gcd(multiple, groups));
  const text = full.textEncoder;
  const width = roundUp(text.width / widthScale, text.heads);
  const unet = full.unet;
  return {
    ...full,
    widthScale,
    textEncoder: { ...text, width, mlp: (text.mlp / text.width) * width },
    unet: { ...unet, groups, blockChannels: unet.blockChannels.map((c, i) => narrow(c, unet.heads[i])), crossAttentionDim: width },
    vaeDecoder: { ...full.vaeDecoder, groups, blockChannels: full.vaeDecoder.blockChannels.map((c) => narrow(c, 1)) },
  };
}
