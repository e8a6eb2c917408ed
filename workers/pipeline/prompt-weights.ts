/**
 * A1111's "Original" emphasis (its modules/sd_emphasis.py): each token's
 * embedding times its weight, then the whole chunk rescaled so its mean is
 * what it was before.
 */

/**
 * Weighs one chunk's embeddings in place: `z` is [tokens, width] row-major,
 * `weights` one per token. Products are rounded to float32 at each step, as
 * torch computes them. Where the weighted mean is 0 (or the ratio is not
 * finite) the rescale is skipped rather than filling the chunk with NaN.
 */
export function emphasize(z: Float32Array, weights: ArrayLike<number>): void {
  if (Array.prototype.every.call(weights, (weight) => weight === 1)) return;
  const width = z.length / weights.length;
  const before = mean(z);
  for (let t = 0; t < weights.length; t++) {
    const weight = Math.fround(weights[t]);
    for (let i = t * width; i < (t + 1) * width; i++) z[i] *= weight;
  }
  const ratio = Math.fround(Math.fround(before) / Math.fround(mean(z)));
  if (!Number.isFinite(ratio)) return;
  for (let i = 0; i < z.length; i++) z[i] *= ratio;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
