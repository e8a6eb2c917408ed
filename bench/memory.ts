import { expect, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer, type ServedModel } from '../e2e/model-server.ts';
import { fillForm, generate } from '../e2e/studio.ts';
import { portFor } from '../playwright.config.ts';
import { writeBigModel } from './big-model.ts';
import { launch } from './launch.ts';
import type { Metric } from './report.ts';
import { collectGarbage, processMemory, samplePeaks, type Peaks } from './rss.ts';

const MODEL_PORT = portFor(4341);
// Even, so the loop ends on model B and the low-memory part loads A afresh.
const SWITCHES = 20;
// The middle reading shows whether growth goes on or has levelled off.
const READINGS = [2, SWITCHES / 2, SWITCHES];
const MIB = 2 ** 20;
// Downloads, loads and generations on SwiftShader take seconds each; allow minutes.
const patient = expect.configure({ timeout: 300_000 });
const SETTINGS = { prompt: 'a photo of a cat', width: 64, height: 64, steps: 1 };
// More steps, so the GPU-buffer readings every ~75 ms cover the UNet's part of the job well.
const LOW_MEMORY_SETTINGS = { ...SETTINGS, steps: 4 };

const card = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });
const view = (page: Page, name: 'Models' | 'Studio') => page.getByRole('button', { name, exact: true }).click();
const mib = (bytes: number) => Math.round(bytes / MIB);

/** Two models of 2 x 16 MiB tables with different weights, written once under the temp folder. */
function benchModels(): ServedModel[] {
  return (['a', 'b'] as const).map((letter, i) =>
    writeBigModel(join(tmpdir(), `hearth-bench-32mib-${letter}`), {
      id: `bench-32mib-${letter}`,
      name: `Bench model ${letter.toUpperCase()} (32 MiB)`,
      variant: 3 + i,
      tables: { unet: [16 * MIB, 16 * MIB] },
    }),
  );
}

// Weights spread over the components like a real model's (SD-Turbo fp16: text encoder 681 MB, UNet 1.73 GB, VAE
// decoder 99 MB), so low-memory mode, which holds one component at a time, has something to save.
const LOW_MEMORY_TABLES = { textEncoder: [24 * MIB], unet: [48 * MIB], vaeDecoder: [8 * MIB] };
const lowMemoryModel = () =>
  writeBigModel(join(tmpdir(), 'hearth-bench-lowmem'), { id: 'bench-lowmem', name: 'Bench model (low-memory)', variant: 5, tables: LOW_MEMORY_TABLES });

async function addAndDownload(page: Page, manifestUrl: string, name: string): Promise<void> {
  await page.getByLabel('Manifest URL').fill(manifestUrl);
  await page.getByRole('button', { name: 'Add by URL' }).click();
  await card(page, name).getByRole('button', { name: `Download ${name}`, exact: true }).click();
  await patient(card(page, name).getByTestId('model-state')).toHaveText('cached on this device');
}

/** Makes `name` the engine's model from the Models view, then returns to the Studio. */
async function use(page: Page, name: string): Promise<void> {
  await view(page, 'Models');
  await card(page, name).getByRole('button', { name: `Use ${name}`, exact: true }).click();
  await patient(page.getByTestId('model')).toContainText(name);
  await patient(page.getByTestId('engine-state')).toHaveText('Ready');
  await view(page, 'Studio');
}

/** Asks the engine what GPU buffers its device holds (Diagnostics); the answer is in by the end of the GC wait. */
export async function refreshGpuBuffers(page: Page): Promise<void> {
  await page.locator('details.diagnostics').evaluate((details) => ((details as HTMLDetailsElement).open = true));
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
}

const gpuBufferBytes = async (page: Page) => Number(await page.getByTestId('gpu-buffers').getAttribute('data-bytes'));

/**
 * Highest GPU buffer bytes Diagnostics reports while `job` runs, refreshed
 * about every 75 ms: the worker answers between ORT awaits, so readings land
 * throughout the job. Diagnostics must be open (`refreshGpuBuffers`).
 */
async function peakGpuBuffers(page: Page, job: Promise<void>): Promise<{ peak: number; samples: number }> {
  let done = false;
  const finished = job.finally(() => (done = true));
  let peak = 0;
  let samples = 0;
  while (!done) {
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.waitForTimeout(75);
    peak = Math.max(peak, await gpuBufferBytes(page));
    samples++;
  }
  await finished;
  return { peak, samples };
}

/** Switches A, B, A, ... with one small image after each; process memory after switch 2 against after the last. */
async function switchGrowth(page: Page, profile: string, names: string[], base: Metric['conditions']): Promise<Metric[]> {
  const after = new Map<number, { renderer: number; gpu: number; buffers: number }>();
  for (let n = 1; n <= SWITCHES; n++) {
    await use(page, names[(n - 1) % 2]);
    await generate(page, { ...SETTINGS, seed: n });
    if (!READINGS.includes(n)) continue;
    await refreshGpuBuffers(page);
    await collectGarbage(page);
    after.set(n, { ...processMemory(profile), buffers: await gpuBufferBytes(page) });
  }
  const [early, late] = [after.get(2)!, after.get(SWITCHES)!];
  const conditions = {
    ...base,
    switches: SWITCHES,
    residentModels: 1,
    generation: '64x64, 1 step, after each switch',
    measure: 'VmRSS (renderers summed) after gc() in the page and its workers, then 1 s',
  };
  return (['renderer', 'gpu'] as const).map((key) => {
    const value = late[key] / early[key];
    return {
      name: `${key === 'gpu' ? 'GPU process' : 'renderer'} RSS after switch ${SWITCHES} / after switch 2`,
      value,
      unit: 'x',
      target: '< 1.05',
      met: value < 1.05,
      conditions: {
        ...conditions,
        ...Object.fromEntries(READINGS.map((n) => [`after${n}MiB`, mib(after.get(n)![key])])),
        ...(key === 'gpu' ? Object.fromEntries(READINGS.map((n) => [`appGpuBuffersAfter${n}MiB`, mib(after.get(n)!.buffers)])) : {}),
      },
    };
  });
}

/** Runs `change` and waits until the engine has left Ready (however briefly) and come back: the model reloaded. */
async function reload(page: Page, change: () => Promise<void>): Promise<void> {
  const state = page.getByTestId('engine-state');
  await state.evaluate((element) => {
    const flag = window as unknown as { __benchLeftReady: boolean };
    flag.__benchLeftReady = false;
    new MutationObserver((_, observer) => {
      if (element.textContent !== 'Ready') (flag.__benchLeftReady = true), observer.disconnect();
    }).observe(element, { subtree: true, childList: true, characterData: true });
  });
  await change();
  await page.waitForFunction(() => (window as unknown as { __benchLeftReady: boolean }).__benchLeftReady, undefined, { timeout: 300_000 });
  await patient(state).toHaveText('Ready');
}

/** Keeps one model loaded, so every switch releases one model and loads the other. */
async function keepOneModel(page: Page): Promise<void> {
  const select = page.getByLabel('Models kept loaded');
  if ((await select.inputValue()) !== '1') await reload(page, () => select.selectOption('1').then(() => undefined));
}

async function setLowMemory(page: Page, on: boolean): Promise<void> {
  const box = page.getByLabel('Low-memory mode');
  if ((await box.isChecked()) !== on) await reload(page, () => box.setChecked(on));
}

/**
 * Peaks during the first generation of `name` after its load, normal mode
 * against low-memory mode: the app's GPU buffers and renderer + GPU-process RSS.
 */
async function lowMemoryPeaks(page: Page, profile: string, name: string, base: Metric['conditions']): Promise<Metric[]> {
  await use(page, name);
  const measured = new Map<'normal' | 'low', { ready: number; peaks: Peaks; buffers: { peak: number; samples: number } }>();
  for (const mode of ['normal', 'low'] as const) {
    await setLowMemory(page, mode === 'low');
    await refreshGpuBuffers(page);
    await collectGarbage(page);
    const { renderer, gpu } = processMemory(profile);
    // Filled first, so the Refresh clicks cannot take the focus from a field being filled.
    await fillForm(page, { ...LOW_MEMORY_SETTINGS, seed: 1 });
    const sampler = samplePeaks(profile);
    const buffers = await peakGpuBuffers(page, generate(page));
    measured.set(mode, { ready: renderer + gpu, peaks: sampler.stop(), buffers });
  }
  const [normal, low] = [measured.get('normal')!, measured.get('low')!];
  const conditions = {
    ...base,
    model: `${name}, tables: ${Object.entries(LOW_MEMORY_TABLES).map(([component, sizes]) => `${component} ${mib(sizes.reduce((a, b) => a + b, 0))} MiB`).join(', ')}`,
    generation: '64x64, 4 steps, the first after the load in that mode',
  };
  const buffers = low.buffers.peak / normal.buffers.peak;
  return [
    {
      name: 'peak app GPU buffers, low-memory mode / normal mode',
      value: buffers,
      unit: 'x',
      // The point of the mode: one component's weights on the GPU at a time rather than all three.
      target: '< 1',
      met: buffers < 1,
      conditions: {
        ...conditions,
        measure: "highest bytes of the app's live GPU buffers (Diagnostics), refreshed every ~75 ms during the generation",
        normalPeakMiB: mib(normal.buffers.peak),
        lowPeakMiB: mib(low.buffers.peak),
        normalSamples: normal.buffers.samples,
        lowSamples: low.buffers.samples,
      },
    },
    {
      name: 'peak process memory, low-memory mode / normal mode',
      value: low.peaks.total / normal.peaks.total,
      unit: 'x',
      // No pass mark: on SwiftShader these peaks are mostly shader compilation and the staging copies of weights
      // on their way to the GPU, which low-memory mode does on every swap during the job (normal mode did them at
      // load), so the tens of MiB of weights it does not hold barely move them.
      target: 'report',
      met: true,
      conditions: {
        ...conditions,
        measure: 'peak of renderer + GPU-process VmRSS, sampled every 25 ms during the generation',
        normalPeakMiB: mib(normal.peaks.total),
        lowPeakMiB: mib(low.peaks.total),
        normalReadyMiB: mib(normal.ready),
        lowReadyMiB: mib(low.ready),
        normalPeakGpuProcessMiB: mib(normal.peaks.gpu),
        lowPeakGpuProcessMiB: mib(low.peaks.gpu),
        normalPeakRendererMiB: mib(normal.peaks.renderer),
        lowPeakRendererMiB: mib(low.peaks.renderer),
      },
    },
  ];
}

/**
 * Two ~32 MiB models switched 20 times in one browser with `gc()` exposed:
 * renderer and GPU-process memory after the last switch against after the
 * second; then, with a third model weighted like a real one, the peaks of one
 * generation in low-memory mode against normal mode.
 */
export async function memory(baseURL: string): Promise<Metric[]> {
  const switched = benchModels();
  const lowMemory = lowMemoryModel();
  const server = await startModelServer(MODEL_PORT);
  for (const model of [...switched, lowMemory]) server.add(model.manifest.id, model);
  const size = (model: ServedModel) => `${model.manifest.id} ${(model.manifest.files.reduce((sum, file) => sum + file.size, 0) / MIB).toFixed(1)} MiB`;
  const backend = 'webgpu (SwiftShader)';
  const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-profile-'));
  const [context, page] = await launch(profile, baseURL, { exposeGc: true });
  try {
    await page.goto('/');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    await keepOneModel(page);
    await view(page, 'Models');
    for (const { manifest } of [...switched, lowMemory]) await addAndDownload(page, server.manifestUrl(manifest.id), manifest.name);
    const names = switched.map((model) => model.manifest.name);
    return [
      ...(await switchGrowth(page, profile, names, { backend, models: `${switched.map(size).join(', ')}; fp32, different weights` })),
      ...(await lowMemoryPeaks(page, profile, lowMemory.manifest.name, { backend, modelSize: `${size(lowMemory)}, fp32` })),
    ];
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
