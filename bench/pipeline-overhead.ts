import type { Browser } from '@playwright/test';
import { chooseBackend, generate, openStudio } from '../e2e/studio.ts';
import type { Metric } from './report.ts';

const RUNS = 3;

/**
 * Pipeline wall time per job against the sum of raw `session.run` times inside
 * it, per backend: what Hearth adds on top of ONNX Runtime.
 */
export async function pipelineOverhead(browser: Browser, baseURL: string): Promise<Metric[]> {
  const metrics: Metric[] = [];
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  for (const [backend, label] of [
    ['webgpu', 'WebGPU'],
    ['wasm', 'CPU (wasm)'],
  ] as const) {
    await chooseBackend(page, label);
    const settings = { prompt: 'a photo of a cat', width: 256, height: 256, steps: 4, guidance: 3 };
    await generate(page, { ...settings, seed: 1 }); // warm-up: shader compilation, first-run allocations
    let total = 0;
    let inside = 0;
    for (let run = 0; run < RUNS; run++) {
      await generate(page, { ...settings, seed: 2 + run });
      const timings = page.getByTestId('timings');
      total += Number(await timings.getAttribute('data-total-ms'));
      inside += Number(await timings.getAttribute('data-session-run-ms'));
    }
    const ratio = total / inside;
    metrics.push({
      name: `pipeline wall time / session.run time (${backend})`,
      value: ratio,
      unit: 'x',
      target: backend === 'webgpu' ? '< 1.05' : 'report',
      met: backend === 'webgpu' ? ratio < 1.05 : true,
      conditions: { backend, model: 'tiny-test', size: '256x256', steps: 4, guidance: 3, runs: RUNS, meanJobMs: Math.round(total / RUNS) },
    });
  }
  await page.close();
  return metrics;
}
