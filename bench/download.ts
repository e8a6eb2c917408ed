import { expect } from '@playwright/test';
import { rmSync } from 'node:fs';
import { portFor } from '../playwright.config.ts';
import { rawFetchBytesPerSecond, rawIdbWriteBytesPerSecond } from './baselines.ts';
import { launch, serveOneGibModel } from './launch.ts';
import type { Metric } from './report.ts';

const MODEL_PORT = portFor(4338);
// Storing 1 GiB on a loaded machine takes a while; every wait in this bench allows 10 minutes.
const patient = expect.configure({ timeout: 600_000 });

/**
 * The synthetic 1 GiB model (`big-model.ts`) downloaded from a local server
 * into the store of a fresh profile on disk, against a plain fetch of its
 * largest file in the store worker and a plain IndexedDB write of as many
 * 64 MiB chunks in the page, in the same browser.
 */
export async function download(baseURL: string): Promise<Metric[]> {
  const { manifest, server, profile } = await serveOneGibModel(MODEL_PORT);
  const name = manifest.name;
  const totalBytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  const largest = manifest.files.reduce((a, b) => (b.size > a.size ? b : a));
  try {
    const [context, page] = await launch(profile, baseURL);
    await page.goto('/');
    await patient(page.getByTestId('engine-state')).toHaveText('Ready');
    const rawFetchBps = await rawFetchBytesPerSecond(page, [`${server.url}m/${manifest.id}/${largest.path}`]);
    const rawWriteBps = await rawIdbWriteBytesPerSecond(page, Math.ceil(largest.size / 2 ** 26));
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByLabel('Manifest URL').fill(server.manifestUrl(manifest.id));
    await page.getByRole('button', { name: 'Add by URL' }).click();
    const card = page.getByRole('listitem', { name, exact: true });
    const started = Date.now();
    await card.getByRole('button', { name: `Download ${name}` }).click();
    await patient(card.getByTestId('model-state')).toHaveText('cached on this device');
    const storeBps = totalBytes / ((Date.now() - started) / 1000);
    await context.close();

    const conditions = {
      model: `${manifest.id}, ${(totalBytes / 2 ** 30).toFixed(2)} GiB`,
      chunk: '64 MiB',
      storeMBps: Math.round(storeBps / 1e6),
      rawIdbWriteMBps: Math.round(rawWriteBps / 1e6),
      rawFetchMBps: Math.round(rawFetchBps / 1e6),
      server: 'local Node http, same machine',
      profile: 'on disk',
    };
    return [
      {
        name: 'download-to-store throughput / raw IndexedDB write throughput',
        value: storeBps / rawWriteBps,
        unit: 'x',
        target: '>= 0.8',
        met: storeBps / rawWriteBps >= 0.8,
        conditions,
      },
      { name: 'download-to-store throughput / raw fetch throughput', value: storeBps / rawFetchBps, unit: 'x', target: 'report', met: true, conditions },
    ];
  } finally {
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
