import type { PreviewEvery } from '../../src/shared/settings.ts';

/** The most of a step's time previews may take in `auto` (issue: "at most 10% of a step's time"). */
export const PREVIEW_SHARE = 0.1;

// The first run of a session compiles its shaders, so auto times two decodes and trusts the faster one.
const CALIBRATION_DECODES = 2;

/** Decides which steps get a preview and learns, in `auto`, what one costs. */
export interface PreviewCadence {
  /** Whether the step that just finished (`step` of `steps`, 1-based) gets a preview. */
  due(step: number, steps: number): boolean;
  /** What the step took (UNet and scheduler) and, when it had a preview, what the preview took. */
  record(stepMs: number, previewMs?: number): void;
  /** Steps between previews as of now; `Infinity` when off. */
  readonly interval: number;
}

/**
 * In `auto`, previews every `ceil(preview / (share * step))` steps, from the
 * fastest step and the fastest preview seen (slow outliers are shader
 * compiles and other first-run costs, not the steady cost).
 */
export function previewCadence(every: PreviewEvery, share = PREVIEW_SHARE): PreviewCadence {
  let fastestStep = Infinity;
  let fastestPreview = Infinity;
  let previews = 0;
  let sinceLast = 0;
  const interval = (): number => {
    if (every === 'off') return Infinity;
    if (typeof every === 'number') return every;
    if (previews < CALIBRATION_DECODES || !Number.isFinite(fastestStep)) return 1;
    return Math.max(1, Math.ceil(fastestPreview / (share * Math.max(fastestStep, Number.EPSILON))));
  };
  return {
    due(step, steps) {
      if (every === 'off') return false;
      sinceLast++;
      if (typeof every === 'number') return step % every === 0 || step === steps;
      return sinceLast >= interval() || step === steps;
    },
    record(stepMs, previewMs) {
      fastestStep = Math.min(fastestStep, stepMs);
      if (previewMs === undefined) return;
      fastestPreview = Math.min(fastestPreview, previewMs);
      previews++;
      sinceLast = 0;
    },
    get interval() {
      return interval();
    },
  };
}
