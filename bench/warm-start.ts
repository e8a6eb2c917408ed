import { expect } from '@playwright/test';
import { rmSync } from 'node:fs';
import { chromiumProcesses, residentBytes } from '../e2e/processes.ts';
import { portFor } from '../playwright.config.ts';
import { rawIdbReadMs, readyAtMs, recordReady } from './baselines.ts';
import { addAndDownload, launch, serveOneGibModel } from './launch.ts';
import type { Metric } from './report.ts';

const MODEL_PORT = portFor(4337);
// Loading 1 GiB on SwiftShader takes a while; every wait in this bench allows 10 minutes.
const patient = expect.configure({ timeout: 600_000 });

/** Peak resident memory per process type of the profile's Chromium, sampled every 20 ms until stopped. */
function samplePeaks(profile: string): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = {};
  const timer = setInterval(() => {
    const now: Record<string, number> = {};
    for (const { pid, type } of chromiumProcesses(profile)) now[type] = Math.max(now[type] ?? 0, residentBytes(pid));
    for (const [type, bytes] of Object.entries(now)) peaks[type] = Math.max(peaks[type] ?? 0, bytes);
  }, 20);
  return { stop: () => (clearInterval(timer), peaks) };
}

const rendererBytes = (profile: string) => Math.max(...chromiumProcesses(profile).filter((p) => p.type === 'renderer').map((p) => residentBytes(p.pid)));

/**
 * A synthetic 1 GiB model (`big-model.ts`) downloaded once from a local
 * server into the store, then a browser restart on the same profile: time
 * from navigation to Ready against reading the same bytes from IndexedDB plus
 * creating the sessions; peak renderer memory during that load against the
 * largest component.
 */
export async function warmStart(baseURL: string): Promise<Metric[]> {
  const { manifest, server, profile } = await serveOneGibModel(MODEL_PORT);
  const name = manifest.name;
  const unetBytes = manifest.files.filter((file) => file.path.startsWith('unet/')).reduce((sum, file) => sum + file.size, 0);
  const totalBytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  try {
    let [context, page] = await launch(profile, baseURL);
    await page.goto('/');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    const idleRenderer = rendererBytes(profile);
    await addAndDownload(page, server.manifestUrl(manifest.id), name);
    await context.close();

    // A new browser on the same profile: new processes, the model only in IndexedDB.
    [context, page] = await launch(profile, baseURL);
    await recordReady(page);
    const sampler = samplePeaks(profile);
    await page.goto('/');
    await patient(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    const peaks = sampler.stop();
    await patient(page.getByTestId('model')).toContainText(name);
    const readyMs = await readyAtMs(page);
    const components = await page.getByTestId('load-status').locator('li').evaluateAll((items) =>
      items.map((item) => ({ ms: Number(item.getAttribute('data-ms')), readMs: Number(item.getAttribute('data-read-ms')) })),
    );
    const loadMs = components.reduce((sum, c) => sum + c.ms, 0);
    const raw = await rawIdbReadMs(page, manifest.id);
    await context.close();

    const conditions = { backend: 'webgpu (SwiftShader)', model: `${manifest.id}, ${(totalBytes / 2 ** 30).toFixed(2)} GiB fp32, UNet weights in external data`, chunk: '64 MiB' };
    const peakRenderer = peaks.renderer ?? 0;
    return [
      {
        name: 'warm start to Ready / (read from IndexedDB + create sessions)',
        value: readyMs / loadMs,
        unit: 'x',
        target: '< 1.2',
        met: readyMs / loadMs < 1.2,
        conditions: {
          ...conditions,
          readyMs: Math.round(readyMs),
          readPlusCreateMs: Math.round(loadMs),
          readMs: Math.round(components.reduce((sum, c) => sum + c.readMs, 0)),
          rawIdbReadAllBytesMs: Math.round(raw.ms),
        },
      },
      {
        name: 'peak renderer memory during warm load / largest component',
        value: (peakRenderer - idleRenderer) / unetBytes,
        unit: 'x',
        target: '< 1.5',
        met: (peakRenderer - idleRenderer) / unetBytes < 1.5,
        conditions: {
          ...conditions,
          largestComponentMiB: Math.round(unetBytes / 2 ** 20),
          peakRendererRssMiB: Math.round(peakRenderer / 2 ** 20),
          idleRendererRssMiB: Math.round(idleRenderer / 2 ** 20),
          peakGpuProcessRssMiB: Math.round((peaks['gpu-process'] ?? 0) / 2 ** 20),
          measure: 'renderer RSS (/proc) minus the idle app with the built-in model',
        },
      },
    ];
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
