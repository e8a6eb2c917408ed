/** Steps the newest step times are averaged over: recent enough to follow a change, long enough to smooth jitter. */
const WINDOW = 5;

/**
 * Milliseconds left in a job from its step times so far: the mean of the
 * newest steps times the steps left, later images of the batch included.
 * `undefined` before the first step. The final VAE decodes are not counted.
 */
export function timeLeftMs(stepMs: readonly number[], at: { step: number; steps: number; imageIndex: number; batchCount: number }): number | undefined {
  const recent = stepMs.slice(-WINDOW);
  if (recent.length === 0) return undefined;
  const mean = recent.reduce((sum, ms) => sum + ms, 0) / recent.length;
  const stepsLeft = at.steps - at.step + (at.batchCount - at.imageIndex - 1) * at.steps;
  return mean * stepsLeft;
}

/** "about 12 s left", "about 3 min left", or "" when unknown. */
export function formatTimeLeft(ms: number | undefined): string {
  if (ms === undefined) return '';
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${seconds} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
