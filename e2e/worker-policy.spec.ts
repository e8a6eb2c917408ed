/** The workers' Content-Security-Policies, which the service worker adds to their scripts (workers/sw.ts, src/shared/worker-policy.ts). */
import { expect, test, type Page } from '@playwright/test';
import { portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import type { ProbedWorker } from '../src/shared/faults.ts';
import { listFiles, startModelServer } from './model-server.ts';
import { generate } from './studio.ts';

/** Asks one of the e2e build's workers to fetch `url` (workers/fetch-probe.ts); asks again until it answers. */
function workerFetch(page: Page, worker: ProbedWorker, url: string): Promise<string> {
  return page.evaluate(
    ([name, target]) =>
      new Promise<string>((resolve) => {
        const channel = new BroadcastChannel('hearth-fetch-probe');
        const ask = () => channel.postMessage({ kind: 'fetch', worker: name, url: target });
        const again = setInterval(ask, 500);
        channel.onmessage = ({ data }) => {
          if (data.kind !== 'fetched' || data.worker !== name || data.url !== target) return;
          clearInterval(again);
          channel.close();
          resolve(data.result);
        };
        ask();
      }),
    [worker, url] as const,
  );
}

test('the store worker fetches from the app, the catalog and hosts a model was added from; the other workers from the app only', async ({ page }) => {
  const host = await startModelServer(portFor(4319));
  const stranger = await startModelServer(portFor(4320));
  const files = tinyModelFiles(2);
  host.add('tiny-hosted', { manifest: manifest('tiny-hosted', 'Tiny hosted', listFiles(files)), files });
  try {
    await page.goto('/');
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    // The policy comes with the worker script through the service worker, which controls the page from its next load.
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.reload();
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');

    expect(await workerFetch(page, 'store', host.manifestUrl('tiny-hosted')), 'a host no model names yet').toMatch(/^refused/);
    expect(await workerFetch(page, 'store', new URL('catalog.json', page.url()).href), 'the app itself').toBe('HTTP 200');
    // Under those policies ORT compiles its wasm and starts its threads, and the image comes; the typed prompt starts the prompt worker.
    await generate(page, { prompt: 'a lighthouse', seed: 5, width: 64, height: 64, steps: 1 });
    for (const worker of ['diffusion', 'prompt'] as const) {
      expect(await workerFetch(page, worker, new URL('catalog.json', page.url()).href), `the ${worker} worker reaches the app`).toBe('HTTP 200');
      expect(await workerFetch(page, worker, stranger.manifestUrl('anything')), `the ${worker} worker reaches no other host`).toMatch(/^refused/);
    }

    await page.getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByLabel('Manifest URL').fill(host.manifestUrl('tiny-hosted'));
    await page.getByRole('button', { name: 'Add by URL' }).click();
    await expect(page.getByRole('listitem', { name: 'Tiny hosted', exact: true }).getByTestId('model-state')).toHaveText('not cached');

    expect(await workerFetch(page, 'store', host.manifestUrl('tiny-hosted')), 'the host a model was added from').toBe('HTTP 200');
    expect(await workerFetch(page, 'store', stranger.manifestUrl('anything')), 'still no other host').toMatch(/^refused/);
    expect(stranger.requests).toEqual([]);
  } finally {
    await host.close();
    await stranger.close();
  }
});
