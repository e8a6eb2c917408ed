import type { EncoderOutput } from '../../src/shared/networks.ts';

/** Text embeddings where the text encoder left them; opaque to the pipeline. */
export interface TextEmbeddings {
  readonly batch: number;
  readonly tensor: unknown;
  dispose(): void;
}

/** NCHW shape of a tensor the pipeline hands to a model. */
export type Shape4 = [number, number, number, number];

/** A model's VAE encoder as the pipeline sees it. */
export interface ImageEncoder {
  readonly output: EncoderOutput;
  /** An image in [-1, 1], [1, 3, H, W] -> [1, 8 or 4, H/8, W/8]. */
  encode(image: Float32Array, shape: Shape4): Promise<Float32Array>;
}

/**
 * The networks of a Stable Diffusion model as the pipeline sees them.
 * `workers/runtime/components.ts` implements this with ORT sessions; the
 * pipeline itself knows nothing of ORT.
 */
export interface DiffusionComponents {
  /** Embeddings of `batch` rows of 77 ids, left where the text encoder put them (on the GPU under WebGPU). */
  encodeText(ids: Int32Array, batch: number): Promise<TextEmbeddings>;
  /** The text encoder's output for `rows` rows of 77 ids, on the CPU: [rows, 77, width]. */
  encodeTextRows(ids: Int32Array, rows: number): Promise<Float32Array>;
  /** Embeddings made on the CPU, [batch, length, width], as the UNet takes them. */
  textFromCpu(data: Float32Array, batch: number, length: number): TextEmbeddings;
  /**
   * Predicts noise. `guidance` is fed to UNets that embed it (`timestep_cond`,
   * LCM-distilled); others ignore it and take classifier-free guidance.
   */
  predictNoise(sample: Float32Array, shape: Shape4, timestep: number, text: TextEmbeddings, guidance: number): Promise<Float32Array>;
  /** True when the UNet takes the guidance scale as an input, so the pipeline must not add CFG. */
  readonly embedsGuidance: boolean;
  /** The UNet's sample channels: 4, or 9 for inpainting UNets (latents, mask, masked-image latents). */
  readonly unetChannels: number;
  /** Absent for models without a VAE encoder, which cannot start from an image. */
  readonly imageEncoder?: ImageEncoder;
  decode(latents: Float32Array, shape: Shape4): Promise<Float32Array>;
  release(): Promise<void>;
  readonly timings: { sessionRunMs: number; unetRuns: number };
}
