/** RGB(A) pixel comparisons the e2e tests assert with. */

/** Largest per-channel difference, over RGB. */
export function maxChannelDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`Images differ in size: ${a.length} vs ${b.length} bytes`);
  let max = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Share of pixels whose RGB differs by more than `threshold` in some channel. */
export function fractionDifferent(a: number[], b: number[], threshold = 8): number {
  if (a.length !== b.length) return 1;
  let differing = 0;
  for (let i = 0; i < a.length; i += 4) {
    const d = Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2]));
    if (d > threshold) differing++;
  }
  return differing / (a.length / 4);
}

/** Number of distinct RGB colours, to tell a picture from a flat fill. */
export function distinctColours(a: number[]): number {
  const seen = new Set<number>();
  for (let i = 0; i < a.length; i += 4) seen.add((a[i] << 16) | (a[i + 1] << 8) | a[i + 2]);
  return seen.size;
}

/** Mean absolute difference per RGB channel (0-255). */
export function meanChannelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Images differ in size: ${a.length} vs ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) sum += Math.abs(a[i] - b[i]);
  return sum / ((a.length / 4) * 3);
}
