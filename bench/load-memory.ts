import { expect, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../e2e/model-server.ts';
import { portFor } from '../playwright.config.ts';
import { writeRealModel } from '../scripts/real-model/model-folder.ts';
import type { ModelManifest } from '../src/shared/model.ts';
import { networkBytes } from '../src/shared/networks.ts';
import { galleryImages, fillForm } from '../e2e/studio.ts';
import type { StorageBufferCacheMode } from '../workers/runtime/session-options.ts';
import { addAndDownload, launch } from './launch.ts';
import { refreshGpuBuffers } from './memory.ts';
import type { Metric } from './report.ts';
import { samplePeaks } from './rss.ts';

const MODEL_PORT = portFor(4339);
const WIDTH_SCALE = 2;
const MB = 1e6;
// The smallest image SD-Turbo makes in one step: at half width a SwiftShader UNet step still takes minutes.
const IMAGE = { prompt: 'a lighthouse at dusk', seed: 3, width: 64, height: 64, steps: 1 };
// Loading a gigabyte on SwiftShader takes a while; every wait in this bench allows 10 minutes, the image 30.
const patient = expect.configure({ timeout: 600_000 });
const patientImage = expect.configure({ timeout: 1_800_000 });

/** The fp32 SD-Turbo shape at half width, written once under the temp folder (hearth-model.json last: its presence says the folder is complete). */
export function halfWidthSdTurbo() {
  const dir = join(tmpdir(), `hearth-bench-sd-turbo-fp32-w${WIDTH_SCALE}`);
  if (!existsSync(join(dir, 'hearth-model.json'))) writeRealModel(dir, { arch: 'sd-turbo', precision: 'fp32', widthScale: WIDTH_SCALE });
  const manifest = JSON.parse(readFileSync(join(dir, 'hearth-model.json'), 'utf8')) as ModelManifest;
  return { manifest, files: new Map(manifest.files.map((file) => [file.path, { disk: join(dir, file.path), size: file.size }])) };
}

/** The most bytes of GPU buffers the app's device held at once since the worker started, as Diagnostics reports it (workers/runtime/gpu-buffers.ts). */
async function gpuBufferPeak(page: Page): Promise<number> {
  await refreshGpuBuffers(page);
  // The worker answers between ORT calls; a second's wait lets the fresh figure land.
  await page.waitForTimeout(1000);
  return Number(await page.getByTestId('gpu-buffers').getAttribute('data-peak-bytes'));
}

/** A build of the app and the storage-buffer cache mode it was built with (`HEARTH_STORAGE_BUFFER_CACHE`). */
export interface CacheModeBuild {
  cache: StorageBufferCacheMode;
  baseURL: string;
}

/**
 * Peak renderer + GPU-process memory while a stored real-shape model loads on
 * WebGPU, and then through one image, against its largest network, and that
 * image's time outside `session.run`: the fp32 SD-Turbo shape at half width
 * (about 1.2 GB), whose text encoder is one file with its weights inside and
 * whose UNet keeps its weights in external data, as at full size
 * (docs/real-size.md, "Memory at load"). Per build: downloaded once, then a
 * browser restart on the same profile, so the load starts from IndexedDB in
 * fresh processes. One build per storage-buffer cache mode compared
 * (docs/ort-web.md, "GPU buffer cache").
 */
export async function loadMemory(builds: readonly CacheModeBuild[]): Promise<Metric[]> {
  const model = halfWidthSdTurbo();
  const server = await startModelServer(MODEL_PORT);
  server.add(model.manifest.id, model);
  try {
    const metrics: Metric[] = [];
    for (const build of builds) metrics.push(...(await measureBuild(build, model.manifest, server.manifestUrl(model.manifest.id))));
    return metrics;
  } finally {
    await server.close();
  }
}

async function measureBuild({ cache, baseURL }: CacheModeBuild, manifest: ModelManifest, manifestUrl: string): Promise<Metric[]> {
  const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-profile-'));
  try {
    let [context, page] = await launch(profile, baseURL);
    await page.goto('/');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    await addAndDownload(page, manifestUrl, manifest.name);
    await context.close();

    [context, page] = await launch(profile, baseURL);
    // A page of the app's origin first, so the renderer that loads the model is already the one sampled.
    await page.goto('/manifest.webmanifest');
    const loadPeaks = samplePeaks(profile);
    await page.goto('/');
    await patient(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    const imagePeaks = samplePeaks(profile);
    const load = loadPeaks.stop();
    await patient(page.getByTestId('model')).toContainText(manifest.name);
    const loadBuffers = await gpuBufferPeak(page);
    const loadMs = await page.getByTestId('load-status').locator('li').evaluateAll((items) => items.reduce((sum, item) => sum + Number(item.getAttribute('data-ms')), 0));
    await fillForm(page, IMAGE);
    await page.getByRole('button', { name: 'Generate' }).click();
    await patientImage(galleryImages(page)).toHaveCount(1);
    const image = imagePeaks.stop();
    const imageBuffers = await gpuBufferPeak(page);
    const timings = page.getByTestId('timings');
    const jobMs = Number(await timings.getAttribute('data-total-ms'));
    const sessionRunMs = Number(await timings.getAttribute('data-session-run-ms'));
    await context.close();

    const networks = networkBytes(manifest.files.map((file) => ({ path: file.path, bytes: file.size })));
    const largest = Math.max(...networks.map((network) => network.bytes));
    const mb = (bytes: number) => Math.round(bytes / MB);
    const conditions = {
      backend: 'webgpu (SwiftShader)',
      storageBufferCacheMode: cache,
      model: `${manifest.id} ${mb(networks.reduce((sum, network) => sum + network.bytes, 0))} MB`,
      networksMB: networks.map((network) => `${network.network} ${mb(network.bytes)}`).join(', '),
      measure: 'VmRSS (/proc) of renderers summed plus the GPU process, sampled every 25 ms; GPU buffers: the peak bytes the worker counted on its device since it started',
    };
    return [
      {
        name: `peak renderer + GPU-process memory during warm load / largest network (real shape, ${cache} cache)`,
        value: load.total / largest,
        unit: 'x',
        target: '< 1.5',
        met: load.total / largest < 1.5,
        conditions: { ...conditions, peakRendererMB: mb(load.renderer), peakGpuProcessMB: mb(load.gpu), peakGpuBuffersMB: mb(loadBuffers), loadMs: Math.round(loadMs), from: 'navigation to Ready' },
      },
      {
        name: `peak renderer + GPU-process memory through one image after the load / largest network (real shape, ${cache} cache)`,
        value: image.total / largest,
        unit: 'x',
        target: 'report',
        met: true,
        conditions: { ...conditions, peakRendererMB: mb(image.renderer), peakGpuProcessMB: mb(image.gpu), peakGpuBuffersMB: mb(imageBuffers), image: `${IMAGE.width}x${IMAGE.height}, ${IMAGE.steps} step`, from: 'Ready to the image in the gallery' },
      },
      {
        name: `pipeline wall time / session.run time (webgpu, real shape, ${cache} cache)`,
        value: jobMs / sessionRunMs,
        unit: 'x',
        target: '< 1.02',
        met: jobMs / sessionRunMs < 1.02,
        conditions: { backend: 'webgpu (SwiftShader)', model: conditions.model, image: `${IMAGE.width}x${IMAGE.height}, ${IMAGE.steps} step, the first after the load`, jobMs: Math.round(jobMs), sessionRunMs: Math.round(sessionRunMs) },
      },
    ];
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
