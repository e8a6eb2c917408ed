/** Maps a VAE output ([1,3,H,W], values in [-1,1]) to RGBA bytes, as diffusers' `(x / 2 + 0.5).clamp(0, 1)` does. */
export function decodedToRgba(sample: Float32Array, width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const plane = width * height;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const value = Math.min(1, Math.max(0, sample[c * plane + i] / 2 + 0.5));
      rgba[i * 4 + c] = Math.round(value * 255);
    }
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

// Approximate latent -> RGB projection for SD 1.x/2.x latents (ComfyUI's latent_formats.SD15).
const LATENT_RGB = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

/** A cheap preview of 4-channel latents, RGBA at latent resolution. */
export function latentPreview(latents: Float32Array, width: number, height: number): Uint8ClampedArray<ArrayBuffer> {
  const plane = width * height;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let value = 0;
      for (let l = 0; l < 4; l++) value += latents[l * plane + i] * LATENT_RGB[l][c];
      rgba[i * 4 + c] = Math.round((Math.min(1, Math.max(-1, value)) + 1) * 127.5);
    }
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** An RGBA image as diffusers' image processor feeds the VAE encoder: RGB in [-1, 1], [3, H, W]. */
export function rgbaToSample(rgba: Uint8ClampedArray, width: number, height: number): Float32Array<ArrayBuffer> {
  const plane = width * height;
  const sample = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) sample[c * plane + i] = (rgba[i * 4 + c] / 255) * 2 - 1;
  return sample;
}
