import { expect } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../e2e/model-server.ts';
import { portFor } from '../playwright.config.ts';
import { writeRealModel } from '../scripts/real-model/model-folder.ts';
import type { ModelManifest } from '../src/shared/model.ts';
import { networkBytes } from '../src/shared/networks.ts';
import { addAndDownload, launch } from './launch.ts';
import type { Metric } from './report.ts';
import { samplePeaks } from './rss.ts';

const MODEL_PORT = portFor(4339);
const WIDTH_SCALE = 2;
const MB = 1e6;
// Loading a gigabyte on SwiftShader takes a while; every wait in this bench allows 10 minutes.
const patient = expect.configure({ timeout: 600_000 });

/** The fp32 SD-Turbo shape at half width, written once under the temp folder (hearth-model.json last: its presence says the folder is complete). */
function halfWidthSdTurbo() {
  const dir = join(tmpdir(), `hearth-bench-sd-turbo-fp32-w${WIDTH_SCALE}`);
  if (!existsSync(join(dir, 'hearth-model.json'))) writeRealModel(dir, { arch: 'sd-turbo', precision: 'fp32', widthScale: WIDTH_SCALE });
  const manifest = JSON.parse(readFileSync(join(dir, 'hearth-model.json'), 'utf8')) as ModelManifest;
  return { manifest, files: new Map(manifest.files.map((file) => [file.path, { disk: join(dir, file.path), size: file.size }])) };
}

/**
 * Peak renderer + GPU-process memory while a stored real-shape model loads on
 * WebGPU, against its largest network: the fp32 SD-Turbo shape at half width
 * (about 1.2 GB), whose text encoder is one file with its weights inside and
 * whose UNet keeps its weights in external data, as at full size
 * (docs/real-size.md, "Memory at load"). Downloaded once, then a browser
 * restart on the same profile, so the load starts from IndexedDB in fresh
 * processes.
 */
export async function loadMemory(baseURL: string): Promise<Metric[]> {
  const model = halfWidthSdTurbo();
  const { manifest } = model;
  const server = await startModelServer(MODEL_PORT);
  server.add(manifest.id, model);
  const profile = mkdtempSync(join(tmpdir(), 'hearth-bench-profile-'));
  try {
    let [context, page] = await launch(profile, baseURL);
    await page.goto('/');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    await addAndDownload(page, server.manifestUrl(manifest.id), manifest.name);
    await context.close();

    [context, page] = await launch(profile, baseURL);
    // A page of the app's origin first, so the renderer that loads the model is already the one sampled.
    await page.goto('/manifest.webmanifest');
    const peaks = samplePeaks(profile);
    await page.goto('/');
    await patient(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    const peak = peaks.stop();
    await patient(page.getByTestId('model')).toContainText(manifest.name);
    const loadMs = await page.getByTestId('load-status').locator('li').evaluateAll((items) => items.reduce((sum, item) => sum + Number(item.getAttribute('data-ms')), 0));
    await context.close();

    const networks = networkBytes(manifest.files.map((file) => ({ path: file.path, bytes: file.size })));
    const largest = Math.max(...networks.map((network) => network.bytes));
    const mb = (bytes: number) => Math.round(bytes / MB);
    return [
      {
        name: 'peak renderer + GPU-process memory during warm load / largest network (real shape)',
        value: peak.total / largest,
        unit: 'x',
        target: '< 1.5',
        met: peak.total / largest < 1.5,
        conditions: {
          backend: 'webgpu (SwiftShader)',
          model: `${manifest.id} ${mb(networks.reduce((sum, network) => sum + network.bytes, 0))} MB`,
          networksMB: networks.map((network) => `${network.network} ${mb(network.bytes)}`).join(', '),
          peakRendererMB: mb(peak.renderer),
          peakGpuProcessMB: mb(peak.gpu),
          loadMs: Math.round(loadMs),
          measure: 'VmRSS (/proc) of renderers summed plus the GPU process, sampled every 25 ms from navigation to Ready',
        },
      },
    ];
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
