/** The store worker's Content-Security-Policy, which the service worker adds to its script (workers/sw.ts). */
import { expect, test, type Page } from '@playwright/test';
import { portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import { listFiles, startModelServer } from './model-server.ts';

/** Asks the e2e build's store worker to fetch `url` (workers/store/fetch-probe.ts); asks again until a worker answers. */
function storeFetch(page: Page, url: string): Promise<string> {
  return page.evaluate(
    (target) =>
      new Promise<string>((resolve) => {
        const channel = new BroadcastChannel('hearth-store-probe');
        const ask = () => channel.postMessage({ kind: 'fetch', url: target });
        const again = setInterval(ask, 500);
        channel.onmessage = ({ data }) => {
          if (data.kind !== 'fetched' || data.url !== target) return;
          clearInterval(again);
          channel.close();
          resolve(data.result);
        };
        ask();
      }),
    url,
  );
}

test('the store worker fetches from the app, the catalog and hosts a model was added from; from no other host', async ({ page }) => {
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

    expect(await storeFetch(page, host.manifestUrl('tiny-hosted')), 'a host no model names yet').toMatch(/^refused/);
    expect(await storeFetch(page, new URL('catalog.json', page.url()).href), 'the app itself').toBe('HTTP 200');

    await page.getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByLabel('Manifest URL').fill(host.manifestUrl('tiny-hosted'));
    await page.getByRole('button', { name: 'Add by URL' }).click();
    await expect(page.getByRole('listitem', { name: 'Tiny hosted', exact: true }).getByTestId('model-state')).toHaveText('not cached');

    expect(await storeFetch(page, host.manifestUrl('tiny-hosted')), 'the host a model was added from').toBe('HTTP 200');
    expect(await storeFetch(page, stranger.manifestUrl('anything')), 'still no other host').toMatch(/^refused/);
    expect(stranger.requests).toEqual([]);
  } finally {
    await host.close();
    await stranger.close();
  }
});
