import type { Browser, Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../e2e/model-server.ts';
import { chooseBackend, generate, openStudio, type FormValues } from '../e2e/studio.ts';
import { portFor } from '../playwright.config.ts';
import { addAndDownload, launch } from './launch.ts';
import { halfWidthSdTurbo } from './load-memory.ts';
import type { Metric } from './report.ts';

const RUNS = 3;
const MODEL_PORT = portFor(4342);

/** Job wall time and the `session.run` time inside it, summed over `RUNS` jobs after one warm-up job. */
async function timeJobs(page: Page, settings: FormValues): Promise<{ total: number; inside: number }> {
  await generate(page, { ...settings, seed: 1 }); // warm-up: shader compilation, first-run allocations
  let total = 0;
  let inside = 0;
  for (let run = 0; run < RUNS; run++) {
    await generate(page, { ...settings, seed: 2 + run });
    const timings = page.getByTestId('timings');
    total += Number(await timings.getAttribute('data-total-ms'));
    inside += Number(await timings.getAttribute('data-session-run-ms'));
  }
  return { total, inside };
}

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
    const { total, inside } = await timeJobs(page, settings);
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

/**
 * The same ratio at real shape: the fp32 SD-Turbo shape at half width
 * (`halfWidthSdTurbo`), downloaded into a fresh profile and run on wasm,
 * where a UNet step takes about a second. On SwiftShader one takes minutes,
 * so WebGPU's figure at this shape comes from `loadMemory`'s one image.
 */
export async function realShapeOverhead(baseURL: string): Promise<Metric[]> {
  const model = halfWidthSdTurbo();
  const server = await startModelServer(MODEL_PORT);
  server.add(model.manifest.id, model);
  const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-profile-'));
  const [context, page] = await launch(profile, baseURL);
  try {
    await openStudio(page);
    await chooseBackend(page, 'CPU (wasm)');
    await addAndDownload(page, server.manifestUrl(model.manifest.id), model.manifest.name);
    await page.getByRole('button', { name: 'Studio', exact: true }).click();
    const settings = { prompt: 'a photo of a cat', width: 128, height: 128, steps: 2, guidance: 0 };
    const { total, inside } = await timeJobs(page, settings);
    const ratio = total / inside;
    return [
      {
        name: 'pipeline wall time / session.run time (wasm, real shape)',
        value: ratio,
        unit: 'x',
        target: '< 1.05',
        met: ratio < 1.05,
        conditions: { backend: 'wasm', model: `${model.manifest.id} (half width)`, size: '128x128', steps: 2, guidance: 0, runs: RUNS, meanJobMs: Math.round(total / RUNS), meanSessionRunMs: Math.round(inside / RUNS) },
      },
    ];
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
