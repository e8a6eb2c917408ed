/**
 * The picture a job starts from (image to image) and the region it repaints
 * (inpainting), and the step arithmetic both threads must agree on. Pure: the
 * form uses it to say how many steps will run, the worker to run them, the
 * checkpoint check to know where a run starts.
 */
import { InvalidSettingError } from './errors.ts';

/** An image at the job's size: RGBA bytes, any alpha already flattened onto white as AUTOMATIC1111 does. */
export interface InputImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** Where to repaint, at the job's size: one byte per pixel, 255 repaints, 0 keeps (diffusers binarizes at 128). */
export interface InputMask {
  width: number;
  height: number;
  data: Uint8Array<ArrayBuffer>;
}

/** What a job starts from; saved with it, so a resumed job has the same picture. */
export interface ImageInput {
  image: InputImage;
  /** Inpainting when present. */
  mask?: InputMask;
  /** Denoising strength, 0 < strength <= 1: how far from the picture the run may go. */
  strength: number;
  /** Gaussian blur of the mask, in pixels, for compositing the original back (AUTOMATIC1111's "Mask blur"). */
  maskBlur: number;
}

export const IMAGE_INPUT_LIMITS = {
  strength: { min: 0.01, max: 1 },
  maskBlur: { min: 0, max: 64 },
} as const;

/** AUTOMATIC1111's defaults for a new input. */
export const DEFAULT_STRENGTH = 0.75;
export const DEFAULT_MASK_BLUR = 4;

/**
 * diffusers' `get_timesteps`: `int(steps * strength)` steps run, the last ones
 * of the `steps`-step schedule, entering it at `start` (the scheduler's begin index).
 */
export function denoisingSteps(steps: number, strength: number): { start: number; run: number } {
  // A float product like 0.29 * 100 = 28.999999999999996 truncates as Python's int() does.
  const run = Math.min(Math.trunc(steps * strength), steps);
  return { start: steps - run, run };
}

/** Throws `InvalidSettingError` when the input cannot make a run of at least one step at the job's size. */
export function validateImageInput(input: ImageInput, steps: number, width: number, height: number): void {
  const { strength, maskBlur } = input;
  const limits = IMAGE_INPUT_LIMITS;
  if (!Number.isFinite(strength) || strength < limits.strength.min || strength > limits.strength.max) {
    throw new InvalidSettingError('strength', `Denoising strength must be a number from ${limits.strength.min} to ${limits.strength.max}.`);
  }
  if (!Number.isInteger(maskBlur) || maskBlur < limits.maskBlur.min || maskBlur > limits.maskBlur.max) {
    throw new InvalidSettingError('maskBlur', `Mask blur must be a whole number of pixels from ${limits.maskBlur.min} to ${limits.maskBlur.max}.`);
  }
  if (denoisingSteps(steps, strength).run < 1) {
    const needed = Math.ceil((1 / steps) * 100) / 100;
    throw new InvalidSettingError(
      'strength',
      `Strength ${strength} with ${steps} steps runs int(${steps} × ${strength}) = 0 steps: it needs steps × strength ≥ 1 (strength ${needed} or more, or more steps).`,
    );
  }
  const { image, mask } = input;
  if (image.width !== width || image.height !== height || image.rgba.length !== width * height * 4) {
    throw new InvalidSettingError('image', `The input image is ${image.width}×${image.height}, not the job's ${width}×${height}: add it again.`);
  }
  if (mask && (mask.width !== width || mask.height !== height || mask.data.length !== width * height)) {
    throw new InvalidSettingError('mask', `The mask is ${mask.width}×${mask.height}, not the job's ${width}×${height}: paint or load it again.`);
  }
}
