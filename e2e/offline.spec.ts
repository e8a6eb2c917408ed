/**
 * The installable, offline studio: the service worker's precache, the
 * COOP/COEP it adds on hosts that send none, sub-path hosting, the manifest,
 * and the update flow (a good deploy and a broken one). Each test serves the
 * build itself on its own port (its own origin, so its own service worker).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { DIST, portFor } from '../playwright.config.ts';
import { serve, type ServeOptions } from '../scripts/serve.ts';
import { armFault, chooseBackend, fillForm, galleryImages, generate, openStudio, waitForStep } from './studio.ts';

const TINY = { width: 128, height: 128, steps: 2, prompt: 'a hearth', seed: 3 };

function start(port: number, options: Partial<ServeOptions> = {}): Promise<Server> {
  return serve({ dir: DIST, port, isolate: true, ...options });
}

/** Stops a server at once, dropping the browser's kept-alive connections too. */
function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}

/** Waits until a service worker controls the page, which means its precache is complete. */
async function untilControlled(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null).catch(() => false)).toBe(true);
}

const buildId = (page: Page) => page.getByTestId('build-id');
const footer = (page: Page) => page.getByRole('contentinfo');

/**
 * Starts a job of 100 wasm steps and waits for its first step. Its later steps
 * are slowed (25 s in all), so that it outlasts a service worker's install
 * however fast this machine computes.
 */
async function startLongJob(page: Page, size: number): Promise<void> {
  await chooseBackend(page, 'CPU (wasm)');
  await armFault(page, 'slow', 1);
  await fillForm(page, { steps: 100, width: size, height: size });
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, 1);
}

/** Keeps, across reloads, whether a generation was running and how many images were saved as the page unloaded. */
async function recordUnload(page: Page): Promise<void> {
  await page.addInitScript(() =>
    addEventListener('pagehide', () =>
      sessionStorage.setItem('e2e-unload', JSON.stringify({ running: document.querySelector('progress') !== null, images: document.querySelectorAll('[aria-label="Gallery"] img').length })),
    ),
  );
}

const lastUnload = (page: Page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('e2e-unload') ?? 'null'));

/** Asks the browser to look for a new service worker now, as it does on navigations and every hour. */
const checkForUpdate = (page: Page) => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());

let violations: string[] = [];
test.beforeEach(({ page }) => {
  violations = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
});
test.afterEach(() => expect(violations, 'the page breaks none of its own CSP').toEqual([]));

test('after one visit, the app opens and generates offline with the server gone', async ({ page, context }) => {
  const server = await start(portFor(4312));
  await openStudio(page, `http://127.0.0.1:${portFor(4312)}/`);
  await untilControlled(page);
  await stop(server);
  await context.setOffline(true);

  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await chooseBackend(page, 'CPU (wasm)');
  await generate(page, TINY);
  expect(await page.evaluate(() => crossOriginIsolated), 'the cached responses carry COOP/COEP too').toBe(true);
});

test('on a host without COOP/COEP, the page reloads once after its queue is done and is then isolated', async ({ page, context }) => {
  const server = await start(portFor(4313), { isolate: false });
  // The service worker's script is held back until a job runs, so that it takes over mid-generation.
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await context.route('**/sw.js', async (route) => {
    await released;
    await route.continue();
  });
  await recordUnload(page);
  let loads = 0;
  page.on('load', () => loads++);
  const first = await page.goto(`http://127.0.0.1:${portFor(4313)}/`);
  expect(first!.headers()['cross-origin-embedder-policy'], 'the host sends no isolation headers').toBeUndefined();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await startLongJob(page, 320);
  release();
  await untilControlled(page);
  await expect(page.getByRole('progressbar', { name: 'Generation progress' }), 'the worker took over mid-generation').toBeVisible();
  expect(loads).toBe(1);

  await expect.poll(() => page.evaluate(() => crossOriginIsolated).catch(() => false)).toBe(true);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  expect(await lastUnload(page), 'the job finished and was saved before the reload').toEqual({ running: false, images: 1 });
  await expect(galleryImages(page)).toHaveCount(1);
  expect(loads).toBe(2);

  // Threaded wasm works with the headers the service worker adds.
  const threads = await page.evaluate(() => Math.min(4, navigator.hardwareConcurrency || 1));
  await expect(page.getByTestId('diagnostics-report')).toContainText(`cross-origin isolated: true; wasm threads: ${threads}`);
  await generate(page, TINY);
  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(loads, 'no reload of its own after the first').toBe(3);
  await stop(server);
});

test('served under /hearth/, everything loads from there and the app generates', async ({ page }) => {
  const server = await start(portFor(4314), { prefix: '/hearth/' });
  const outside: string[] = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.protocol === 'http:' && (response.status() >= 400 || !url.pathname.startsWith('/hearth/'))) outside.push(`${response.status()} ${url}`);
  });
  await openStudio(page, `http://127.0.0.1:${portFor(4314)}/hearth/`);
  await untilControlled(page);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)).toBe(`http://127.0.0.1:${portFor(4314)}/hearth/`);
  await chooseBackend(page, 'CPU (wasm)');
  await generate(page, TINY);
  expect(outside, 'no request leaves /hearth/ or fails').toEqual([]);
  await stop(server);
});

test('the manifest is valid and the app is installable', async ({ page }) => {
  const server = await start(portFor(4315));
  await openStudio(page, `http://127.0.0.1:${portFor(4315)}/`);
  await untilControlled(page);
  const cdp = await page.context().newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(manifest.url).toBe(`http://127.0.0.1:${portFor(4315)}/manifest.webmanifest`);
  const data = JSON.parse(manifest.data!);
  expect(data).toMatchObject({ name: 'Hearth', display: 'standalone', start_url: '.', scope: '.' });
  for (const icon of data.icons) {
    const response = await page.request.get(new URL(icon.src, manifest.url).href);
    expect(response.headers()['content-type']).toBe('image/png');
  }
  expect(data.icons.map((icon: { sizes: string; purpose?: string }) => `${icon.sizes} ${icon.purpose ?? 'any'}`)).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
  // Playwright's browser contexts are off the record, which alone bars installing; every real criterion holds.
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors.map((error) => error.errorId)).toEqual(['in-incognito']);
  await stop(server);
});

test.describe('updates', () => {
  const V2_ID = 'v2-e2e';
  let v2 = '';
  let v2OnlyAssets = new Set<string>();

  test.beforeAll(() => {
    v2 = mkdtempSync(join(tmpdir(), 'hearth-v2-'));
    execFileSync('npx', ['vite', 'build', '--mode', 'e2e', '--outDir', v2, '--logLevel', 'error'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, HEARTH_BUILD_ID: V2_ID },
    });
    const v1Assets = new Set(readdirSync(join(DIST, 'assets')));
    v2OnlyAssets = new Set(readdirSync(join(v2, 'assets')).filter((name) => !v1Assets.has(name)).map((name) => `assets/${name}`));
  });
  test.afterAll(() => rmSync(v2, { recursive: true, force: true }));

  test('a new deploy is offered, waits for the running generation, then reloads into it', async ({ page }) => {
    let server = await start(portFor(4316));
    await recordUnload(page);
    await openStudio(page, `http://127.0.0.1:${portFor(4316)}/`);
    await untilControlled(page);
    const v1Id = await buildId(page).textContent();
    expect(v1Id).not.toBe(V2_ID);
    await startLongJob(page, 320);

    await stop(server);
    server = await start(portFor(4316), { dir: v2 });
    await checkForUpdate(page);
    await expect(footer(page).getByRole('status')).toHaveText('Update available');
    await footer(page).getByRole('button', { name: 'Reload' }).click();
    await expect(footer(page).getByRole('status')).toHaveText('Updating when the queue is done…');
    await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toBeVisible();
    await expect(buildId(page)).toHaveText(v1Id!);

    await expect(buildId(page)).toHaveText(V2_ID);
    expect(await lastUnload(page), 'the old version unloaded only after its generation finished').toEqual({ running: false, images: 1 });
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    await expect(galleryImages(page)).toHaveCount(1);
    await expect(footer(page).getByRole('status')).toHaveCount(0);
    // The old version's files left the precache when the new one activated; of ORT's builds only the JSPI one Chromium runs is there.
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname.slice(1));
      return urls;
    });
    const expected = readdirSync(join(v2, 'assets')).filter((name) => !name.startsWith('ort-wasm-simd-threaded.asyncify-'));
    expect(cached.filter((path) => path.startsWith('assets/')).sort()).toEqual(expected.map((name) => `assets/${name}`).sort());
    await stop(server);
  });

  test('a deploy whose precache cannot complete leaves the running version in charge until it is fixed', async ({ page }) => {
    let server = await start(portFor(4317));
    await openStudio(page, `http://127.0.0.1:${portFor(4317)}/`);
    await untilControlled(page);
    const v1Id = await buildId(page).textContent();

    await stop(server);
    const refused: string[] = [];
    server = await start(portFor(4317), {
      dir: v2,
      fail: (path) => {
        if (v2OnlyAssets.has(path)) refused.push(path);
        return v2OnlyAssets.has(path);
      },
    });
    await checkForUpdate(page);
    await expect.poll(() => refused.length, 'the new worker tried to precache a missing file').toBeGreaterThan(0);
    await expect
      .poll(() => page.evaluate(async () => {
        const registration = (await navigator.serviceWorker.getRegistration())!;
        return { installing: registration.installing !== null, waiting: registration.waiting !== null };
      }))
      .toEqual({ installing: false, waiting: false });
    await expect(footer(page).getByRole('status')).toHaveCount(0);

    // The broken deploy is still on the server; the old version keeps opening and generating from its cache.
    await page.reload();
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    await expect(buildId(page)).toHaveText(v1Id!);
    await chooseBackend(page, 'CPU (wasm)');
    await generate(page, TINY);
    await expect(footer(page).getByRole('status')).toHaveCount(0);

    // Once the deploy is fixed, the same tab is offered it.
    await stop(server);
    server = await start(portFor(4317), { dir: v2 });
    await checkForUpdate(page);
    await expect(footer(page).getByRole('status')).toHaveText('Update available');
    await stop(server);
  });
});
