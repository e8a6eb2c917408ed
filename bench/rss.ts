/** Process memory of a Chromium launched on a profile with `--js-flags=--expose-gc`, read from /proc. */
import type { Page } from '@playwright/test';
import { chromiumProcesses, residentBytes, type ChromiumProcess } from '../e2e/processes.ts';

const gc = () => (globalThis as unknown as { gc(): void }).gc();

/** Runs `gc()` in the page and each of its dedicated workers, then waits a second for the freed memory to go back. */
export async function collectGarbage(page: Page): Promise<void> {
  await page.evaluate(gc);
  for (const worker of page.workers()) {
    // ORT's wasm threads block in Atomics.wait and never answer; their heap is wasm memory, which gc() cannot shrink.
    await Promise.race([worker.evaluate(gc).catch(() => undefined), page.waitForTimeout(2000)]);
  }
  await page.waitForTimeout(1000);
}

const resident = (processes: ChromiumProcess[], type: string) =>
  processes.filter((p) => p.type === type).reduce((sum, p) => sum + residentBytes(p.pid), 0);

/** Resident bytes of the profile's renderers (summed) and of its GPU process. */
export function processMemory(profile: string): { renderer: number; gpu: number } {
  const processes = chromiumProcesses(profile);
  return { renderer: resident(processes, 'renderer'), gpu: resident(processes, 'gpu-process') };
}

export interface Peaks {
  /** Highest renderer + GPU-process sum at one sample. */
  total: number;
  renderer: number;
  gpu: number;
}

/** Peaks of renderer (summed) and GPU-process resident bytes, sampled every 25 ms until stopped. */
export function samplePeaks(profile: string): { stop(): Peaks } {
  // Found once: scanning /proc on every tick would slow the sampling.
  const processes = chromiumProcesses(profile);
  const peaks: Peaks = { total: 0, renderer: 0, gpu: 0 };
  const sample = () => {
    const renderer = resident(processes, 'renderer');
    const gpu = resident(processes, 'gpu-process');
    peaks.total = Math.max(peaks.total, renderer + gpu);
    peaks.renderer = Math.max(peaks.renderer, renderer);
    peaks.gpu = Math.max(peaks.gpu, gpu);
  };
  sample();
  const timer = setInterval(sample, 25);
  return { stop: () => (clearInterval(timer), sample(), peaks) };
}
