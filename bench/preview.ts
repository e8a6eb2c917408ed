/**
 * What a preview costs per step, per backend: the preview decoder's run plus
 * the RGBA conversion, against the step it follows (UNet and scheduler), with
 * a preview every step, and the share of step time that `auto` spends.
 * Takes a model id so the real-shape models can be measured the same way:
 * `tsx bench/preview.ts [model-id]` runs this module alone against `dist/`.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';
import { serve } from '../scripts/serve.ts';
import { chooseBackend, generate, openStudio } from '../e2e/studio.ts';
import type { Metric } from './report.ts';

const RUNS = 3;

/** Makes `modelId` the model in use; the built-in one already is after a fresh start. */
async function useModel(page: Page, modelId: string): Promise<void> {
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  const card = page.locator(`[data-model-id="${modelId}"]`);
  const use = card.getByRole('button', { name: /^Use / });
  if (await use.isEnabled()) await use.click();
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
  await page.getByTestId('engine-state').getByText('Ready').waitFor({ timeout: 600_000 });
}

async function lastJob(page: Page) {
  const timings = page.getByTestId('timings');
  const read = async (name: string) => Number(await timings.getAttribute(name));
  return { stepMs: await read('data-step-ms'), previews: await read('data-previews'), previewMs: await read('data-preview-ms') };
}

/** Runs `RUNS` jobs after a warm-up one and sums their timings. */
async function measure(page: Page, settings: Record<string, number | string>): Promise<{ stepMs: number; previews: number; previewMs: number }> {
  await generate(page, { ...settings, seed: 1 });
  const sum = { stepMs: 0, previews: 0, previewMs: 0 };
  for (let run = 0; run < RUNS; run++) {
    await generate(page, { ...settings, seed: 2 + run });
    const job = await lastJob(page);
    sum.stepMs += job.stepMs;
    sum.previews += job.previews;
    sum.previewMs += job.previewMs;
  }
  return sum;
}

export async function previewCost(browser: Browser, baseURL: string, modelId = 'tiny-test'): Promise<Metric[]> {
  const metrics: Metric[] = [];
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  if (modelId !== 'tiny-test') await useModel(page, modelId);
  const previewSetting = page.getByRole('combobox', { name: 'Previews' });
  // The tiny model at 128x128: at its default 256x256 a SwiftShader job of 8 steps outlasts the 3-minute wait for an image.
  const size: Record<string, number> = modelId === 'tiny-test' ? { width: 128, height: 128 } : {};
  const settings = { prompt: 'a photo of a cat', steps: 8, guidance: 3, ...size };
  for (const [backend, label] of [
    ['webgpu', 'WebGPU'],
    ['wasm', 'CPU (wasm)'],
  ] as const) {
    await chooseBackend(page, label);
    const conditions = { backend, model: modelId, size: modelId === 'tiny-test' ? '128x128' : 'model default', steps: settings.steps, runs: RUNS };
    await previewSetting.selectOption({ label: 'Every step' });
    const every = await measure(page, settings);
    const steps = RUNS * settings.steps;
    metrics.push({
      name: `preview time / step time, a preview every step (${backend})`,
      value: every.previewMs / every.stepMs,
      unit: 'x',
      target: 'report',
      met: true,
      conditions: { ...conditions, meanPreviewMs: Math.round((every.previewMs / every.previews) * 10) / 10, meanStepMs: Math.round((every.stepMs / steps) * 10) / 10 },
    });
    await previewSetting.selectOption({ label: 'Auto (at most 10% of step time)' });
    const auto = await measure(page, settings);
    metrics.push({
      name: `preview time / step time, auto (${backend})`,
      value: auto.previewMs / auto.stepMs,
      unit: 'x',
      // Auto times its first two previews and always previews the last step, so short jobs pay for three.
      target: 'report',
      met: true,
      conditions: { ...conditions, previewsPerJob: auto.previews / RUNS },
    });
  }
  await page.close();
  return metrics;
}

async function main(): Promise<void> {
  const modelId = process.argv[2] ?? 'tiny-test';
  const port = 4197;
  const server = await serve({ dir: 'dist', port, isolate: true });
  const browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
  try {
    for (const metric of await previewCost(browser, `http://127.0.0.1:${port}/`, modelId)) {
      console.log(`${metric.name}: ${metric.value.toFixed(3)} ${metric.unit} ${JSON.stringify(metric.conditions)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
