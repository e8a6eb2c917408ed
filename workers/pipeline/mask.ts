/**
 * Inpainting masks as diffusers and AUTOMATIC1111 use them: binarized at the
 * image's size, sampled down to the latents' size, and blurred for putting
 * the original back around the repainted region. Pure array math.
 */
import type { InputMask } from '../../src/shared/image-input.ts';

/** diffusers' `mask_processor` (do_binarize): 1 where the mask is at least half white, else 0. */
export function binaryMask(mask: InputMask): Float32Array<ArrayBuffer> {
  return Float32Array.from(mask.data, (value) => (value / 255 >= 0.5 ? 1 : 0));
}

/** `image * (mask < 0.5)`: the image in [-1, 1] (CHW) with the region to repaint set to 0, mid-grey. */
export function maskedImage(sample: Float32Array, binary: Float32Array): Float32Array<ArrayBuffer> {
  const plane = binary.length;
  return Float32Array.from(sample, (value, i) => (binary[i % plane] < 0.5 ? value : 0));
}

/** `F.interpolate(mask, size=(h / f, w / f))`, whose default mode, nearest, takes pixel (f·y, f·x). */
export function latentMask(binary: Float32Array, width: number, height: number, factor: number): Float32Array<ArrayBuffer> {
  const [w, h] = [width / factor, height / factor];
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = binary[y * factor * width + x * factor];
  return out;
}

/** OpenCV's Gaussian weights for `ksize` and `sigma`, normalised to sum 1. */
function gaussianKernel(sigma: number): Float32Array {
  // AUTOMATIC1111: kernel_size = 2 * int(2.5 * blur + 0.5) + 1, then cv2.GaussianBlur with sigma = blur.
  const radius = Math.trunc(2.5 * sigma + 0.5);
  const weights = Float32Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/** OpenCV's default border, BORDER_REFLECT_101: `dcb|abcdefgh|gfe`. */
function reflect101(index: number, length: number): number {
  if (length === 1) return 0;
  let i = index;
  while (i < 0 || i >= length) i = i < 0 ? -i : 2 * (length - 1) - i;
  return i;
}

/** One pass of a separable blur along x (`dx` 1) or y, rounded to bytes as OpenCV stores a uint8 image. */
function blurPass(data: Uint8Array, width: number, height: number, kernel: Float32Array, alongX: boolean): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(data.length);
  const radius = (kernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const index = alongX ? y * width + reflect101(x + k, width) : reflect101(y + k, height) * width + x;
        sum += kernel[k + radius] * data[index];
      }
      out[y * width + x] = Math.round(sum);
    }
  }
  return out;
}

/** AUTOMATIC1111's mask blur: a Gaussian of `sigma` pixels along x, then along y; 0 leaves the mask as it is. */
export function blurMask(mask: InputMask, sigma: number): Uint8Array<ArrayBuffer> {
  if (sigma <= 0) return mask.data.slice();
  const kernel = gaussianKernel(sigma);
  return blurPass(blurPass(mask.data, mask.width, mask.height, kernel, true), mask.width, mask.height, kernel, false);
}

/**
 * AUTOMATIC1111's overlay: the original pasted over the result through the
 * inverted blurred mask, so where the blurred mask is 0 every pixel is the
 * original's, byte for byte. Both images RGBA; the result is opaque.
 */
export function compositeOriginal(result: Uint8ClampedArray, original: Uint8ClampedArray, blurred: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(result.length);
  for (let i = 0; i < blurred.length; i++) {
    const keep = blurred[i];
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((original[i * 4 + c] * (255 - keep) + result[i * 4 + c] * keep) / 255);
    out[i * 4 + 3] = 255;
  }
  return out;
}
