/**
 * How a run starts from a picture, as diffusers' StableDiffusionImg2ImgPipeline
 * and StableDiffusionInpaintPipeline do it: the picture (and the masked
 * picture) through the VAE encoder, the latent distribution sampled and the
 * noise drawn from the image's generator in diffusers' order, the noised
 * start, the UNet's extra inpainting channels, the latent blend after each
 * step, and the original composited back at the end.
 */
import { LATENT_CHANNELS, VAE_FACTOR } from '../../src/shared/checkpoint.ts';
import { InvalidSettingError } from '../../src/shared/errors.ts';
import type { ImageInput } from '../../src/shared/image-input.ts';
import type { EncoderOutput } from '../../src/shared/networks.ts';
import type { ImageEncoder } from './components.ts';
import { rgbaToSample } from './image.ts';
import { binaryMask, blurMask, compositeOriginal, latentMask, maskedImage } from './mask.ts';
import type { NoiseSource } from './random.ts';
import type { Scheduler } from './schedulers/index.ts';

/** The job's picture through the encoder: deterministic, so made once per job and reused by every image and every resume. */
export interface EncodedInput {
  output: EncoderOutput;
  /** The picture's latent distribution parameters (8 channels) or sample (4). */
  image: Float32Array;
  inpaint?: {
    /** The binarized mask at latent size, one plane. */
    latentMask: Float32Array;
    /** The masked picture's encoder output, for 9-channel UNets only. */
    masked?: Float32Array;
    /** The blurred mask at image size, for compositing the original back. */
    blurred: Uint8Array;
  };
}

/** Runs the encoder on the picture and, for a 9-channel UNet, on the masked picture. */
export async function encodeInput(encoder: ImageEncoder | undefined, input: ImageInput, unetChannels: number): Promise<EncodedInput> {
  if (!encoder) throw new InvalidSettingError('image', 'This model has no VAE encoder (vae_encoder/model.onnx), so it can only make images from text.');
  if (unetChannels !== LATENT_CHANNELS && !input.mask) {
    throw new InvalidSettingError('mask', 'This is an inpainting model: paint or load a mask of the region to repaint.');
  }
  const { width, height, rgba } = input.image;
  const shape = [1, 3, height, width] as const;
  const sample = rgbaToSample(rgba, width, height);
  const image = checkedEncoding(await encoder.encode(sample, [...shape]), encoder.output, width, height);
  if (!input.mask) return { output: encoder.output, image };
  const binary = binaryMask(input.mask);
  const masked = unetChannels === LATENT_CHANNELS ? undefined : checkedEncoding(await encoder.encode(maskedImage(sample, binary), [...shape]), encoder.output, width, height);
  return {
    output: encoder.output,
    image,
    inpaint: { latentMask: latentMask(binary, width, height, VAE_FACTOR), masked, blurred: blurMask(input.mask, input.maskBlur) },
  };
}

function checkedEncoding(data: Float32Array, output: EncoderOutput, width: number, height: number): Float32Array {
  const channels = output === 'distribution' ? 2 * LATENT_CHANNELS : LATENT_CHANNELS;
  const expected = channels * (width / VAE_FACTOR) * (height / VAE_FACTOR);
  if (data.length !== expected) {
    throw new InvalidSettingError('image', `The VAE encoder gave ${data.length} values where ${channels} channels at 1/${VAE_FACTOR} of ${width}×${height} make ${expected}.`);
  }
  return data;
}

/**
 * `retrieve_latents(vae.encode(x), generator) * scaling_factor`: the
 * distribution's `mean + exp(0.5 * clamp(logvar, -30, 20)) * randn`, drawn
 * from `generator`; a sample from the graph is taken as it is and draws nothing.
 */
export function sampleLatents(encoded: Float32Array, output: EncoderOutput, generator: NoiseSource, scalingFactor: number): Float32Array<ArrayBuffer> {
  if (output === 'sample') return Float32Array.from(encoded, (value) => value * scalingFactor);
  const count = encoded.length / 2;
  const noise = generator.randn(count);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const std = Math.exp(0.5 * Math.min(20, Math.max(-30, encoded[count + i])));
    out[i] = (encoded[i] + std * noise[i]) * scalingFactor;
  }
  return out;
}

/** One image's start: its first latents and what its steps need. */
export interface ImageStart {
  latents: Float32Array;
  /** Extra UNet channels of one batch row (mask, masked-picture latents) for a 9-channel UNet. */
  unetExtra?: Float32Array;
  /**
   * After each step, for a 4-channel UNet inpainting: the original outside the
   * mask, noised to the next step's timestep, or as it is after the last step.
   */
  blend?(latents: Float32Array, nextTimestep: number | undefined): Float32Array;
  /** The decoded RGBA with the original put back through the blurred mask. */
  finish(rgba: Uint8ClampedArray<ArrayBuffer>): Uint8ClampedArray<ArrayBuffer>;
}

/**
 * Draws one image's start from its generator in diffusers' order. img2img:
 * picture sample, noise. Inpainting: picture sample (unless a 9-channel UNet
 * at strength 1 needs none), noise, masked-picture sample; a 4-channel UNet
 * never uses the masked picture's sample, so its draws are taken and dropped
 * to keep the generator where diffusers has it for the steps that follow
 * (ancestral samplers draw from it too).
 */
export function startFromImage(
  encoded: EncodedInput,
  input: ImageInput,
  scheduler: Scheduler,
  start: number,
  generator: NoiseSource,
  scalingFactor: number,
  unetChannels: number,
): ImageStart {
  const { inpaint, output } = encoded;
  const count = encoded.image.length / (output === 'distribution' ? 2 : 1);
  const firstTimestep = scheduler.timesteps[start];
  const keepOriginal = (rgba: Uint8ClampedArray<ArrayBuffer>) => (inpaint ? compositeOriginal(rgba, input.image.rgba, inpaint.blurred) : rgba);
  if (!inpaint) {
    const imageLatents = sampleLatents(encoded.image, output, generator, scalingFactor);
    const noise = generator.randn(count);
    return { latents: scheduler.addNoise(imageLatents, noise, firstTimestep), finish: keepOriginal };
  }
  const strengthMax = input.strength === 1;
  const nineChannels = unetChannels !== LATENT_CHANNELS;
  const imageLatents = nineChannels && strengthMax ? undefined : sampleLatents(encoded.image, output, generator, scalingFactor);
  const noise = generator.randn(count);
  const latents = imageLatents ? scheduler.addNoise(imageLatents, noise, firstTimestep) : noise.map((value) => value * scheduler.initNoiseSigma);
  if (nineChannels) {
    const maskedLatents = sampleLatents(inpaint.masked!, output, generator, scalingFactor);
    const unetExtra = new Float32Array(inpaint.latentMask.length + maskedLatents.length);
    unetExtra.set(inpaint.latentMask, 0);
    unetExtra.set(maskedLatents, inpaint.latentMask.length);
    return { latents, unetExtra, finish: keepOriginal };
  }
  if (output === 'distribution') generator.randn(count);
  const mask = inpaint.latentMask;
  const plane = mask.length;
  const original = imageLatents!;
  return {
    latents,
    finish: keepOriginal,
    blend(stepped, nextTimestep) {
      const proper = nextTimestep === undefined ? original : scheduler.addNoise(original, noise, nextTimestep);
      return Float32Array.from(stepped, (value, i) => (1 - mask[i % plane]) * proper[i] + mask[i % plane] * value);
    },
  };
}
