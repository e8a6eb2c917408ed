import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BASE_ARGS, PORT, WEBGPU_ARGS, executablePath, portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import { externalize } from './external-data.ts';
import { listFiles, startModelServer, type ModelServer } from './model-server.ts';
import { chromiumProcesses } from './processes.ts';
import { armLoadHang, galleryImages, generate, saveQueuedJob } from './studio.ts';
import { formatBytes } from '../src/state/transfer.ts';

const CHUNK = 64 * 1024;
// The e2e build reads the store's chunk size from the URL, so the ~190 KB UNet data file spans 3 chunks.
const APP = `/?chunkSize=${CHUNK}`;
const DATA = 'unet/model.onnx_data';
const BUILT_IN = 'Tiny test model';

/** The variant-2 tiny model (other weights than the built-in one), its UNet weights in external data. */
function tinyFiles(): Map<string, Uint8Array> {
  const files = tinyModelFiles(2);
  const { graph, data } = externalize(files.get('unet/model.onnx')!, 'model.onnx_data');
  return files.set('unet/model.onnx', graph).set(DATA, data);
}

const files = tinyFiles();
let server: ModelServer;

/** Serves the tiny model under `id`, named "Tiny <id>", with some files replaced or left out of its manifest. */
function serveModel(id: string, { replace = {}, unlisted = [] }: { replace?: Record<string, Uint8Array>; unlisted?: string[] } = {}): string {
  const served = new Map(files);
  for (const [path, bytes] of Object.entries(replace)) served.set(path, bytes);
  const listed = listFiles(served).filter((file) => !unlisted.includes(file.path));
  server.add(id, { manifest: manifest(id, `Tiny ${id}`, listed), files: served });
  return `Tiny ${id}`;
}

// Chromium answers estimate() with a static quota (usage + 10 GiB) against fingerprinting, which hides the CDP
// quota override; without that feature the estimate is the real quota, as in other browsers.
const ARGS = [...BASE_ARGS, ...WEBGPU_ARGS, '--disable-features=StaticStorageQuota'];
test.use({ launchOptions: { executablePath, args: ARGS } });
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startModelServer(portFor(4332));
});
test.afterAll(async () => server.close());

/** Opens the app (or reloads it) and its Models view once the engine is ready. */
async function openModels(page: Page, reload = false): Promise<void> {
  await (reload ? page.reload() : page.goto(APP));
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await page.getByRole('button', { name: 'Models', exact: true }).click();
}

/** Clicks Use and waits until the engine has the model's sessions. */
async function use(page: Page, name: string): Promise<void> {
  await card(page, name).getByRole('button', { name: `Use ${name}`, exact: true }).click();
  await expect(page.getByTestId('model')).toContainText(name);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
}

const card = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });
const state = (page: Page, name: string) => card(page, name).getByTestId('model-state');

async function addByUrl(page: Page, url: string): Promise<void> {
  await page.getByLabel('Manifest URL').fill(url);
  await page.getByRole('button', { name: 'Add by URL' }).click();
}

/** Adds the served model `id` by its manifest URL and downloads it until it is cached. */
async function addAndCache(page: Page, id: string, name: string): Promise<void> {
  await addByUrl(page, server.manifestUrl(id));
  await download(page, name);
  await expect(state(page, name)).toHaveText('cached on this device');
}

async function download(page: Page, name: string): Promise<void> {
  await card(page, name).getByRole('button', { name: new RegExp(`^(Download|Resume) ${name}$`) }).click();
}

const fileRequests = (path: string) => server.requests.filter((request) => request.path === path);
const usage = (page: Page) => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

/** Records every `loaded` the download bar shows, for assertions after it is gone. */
async function recordDownloadProgress(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: number[][] = ((window as unknown as { __download: number[][] }).__download = []);
    new MutationObserver((records) => {
      for (const record of records) {
        const element = record.target as Element;
        if (element.getAttribute?.('data-testid') === 'download') seen.push([Number(element.getAttribute('data-loaded')), Number(element.getAttribute('data-total'))]);
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-loaded'], childList: true });
  });
}

test('a model only the test server has: progress to the total, cached after a reload, generates offline; Delete frees the space', async ({ page, context }) => {
  const name = serveModel('tiny-test-2');
  await recordDownloadProgress(page);
  await openModels(page);
  await addByUrl(page, server.manifestUrl('tiny-test-2'));
  await expect(state(page, name)).toHaveText('not cached');
  await download(page, name);
  await expect(state(page, name)).toHaveText('cached on this device');
  const seen = await page.evaluate(() => (window as unknown as { __download: number[][] }).__download);
  const loaded = seen.map(([value]) => value);
  expect(loaded.length).toBeGreaterThan(1);
  expect(loaded, 'progress never goes back').toEqual([...loaded].sort((a, b) => a - b));
  expect(loaded.at(-1), 'progress ends at the total').toBe(seen.at(-1)![1]);

  await openModels(page, true);
  await expect(state(page, name)).toHaveText('cached on this device');

  await context.setOffline(true);
  await use(page, name);
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
  await expect(page.getByTestId('load-status').locator('li').first(), 'networks are named as users read them').toContainText('text encoder:');
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
  await expect(page.getByTestId('model')).toContainText(name);
  await generate(page, { prompt: 'a photo of a cat', seed: 5, width: 128, height: 128, steps: 2 });
  await expect(galleryImages(page)).toHaveCount(1);
  await context.setOffline(false);

  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await use(page, BUILT_IN);
  const before = await usage(page);
  await card(page, name).getByRole('button', { name: `Delete ${name}` }).click();
  await expect(state(page, name)).toHaveText('not cached');
  await expect(card(page, name).getByTestId('space')).toHaveText('0 B');
  await expect.poll(() => usage(page), { message: 'the storage estimate goes down' }).toBeLessThan(before - 300_000);

  // A job queued for the deleted model waits for it, and runs as soon as a download brings it back.
  await saveQueuedJob(page, { id: 'waiting-job', modelId: 'tiny-test-2', settings: { prompt: 'waiting for its model', seed: 3, steps: 1, width: 64, height: 64 } });
  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  const queued = page.getByRole('region', { name: 'Queue' }).getByRole('listitem');
  await expect(queued).toContainText('model missing: tiny-test-2 is not cached');
  const images = await galleryImages(page).count();
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await download(page, name);
  await expect(state(page, name)).toHaveText('cached on this device');
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
  await expect(galleryImages(page), 'the waiting job ran without being asked again').toHaveCount(images + 1);
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0);
});

test('a model whose UNet export fixes the text at 77 tokens: the form says so and shows where a long prompt is cut', async ({ page }) => {
  const { graph, data } = externalize(tinyModelFiles(2, { fixedTextLength: 77 }).get('unet/model.onnx')!, 'model.onnx_data');
  const name = serveModel('tiny-fixed-77', { replace: { 'unet/model.onnx': graph, [DATA]: data } });
  await openModels(page);
  await addAndCache(page, 'tiny-fixed-77', name);
  await use(page, name);
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
  await expect(page.getByText('takes exactly 77 text tokens')).toBeVisible();
  await page.getByLabel('Prompt', { exact: true }).fill(`${'a '.repeat(73)}red fox in the snow`);
  const meter = page.getByTestId('prompt-tokens');
  await expect(meter.getByRole('listitem')).toHaveText(['75/75', '3/75']);
  await expect(meter.getByRole('listitem').nth(1)).toHaveAttribute('title', 'Chunk 2 is cut: not used');
  await expect(meter).toContainText('Cut after “a a a a red fox”: “in the snow…” and the rest are not used.');
});

test('a connection dropped mid-file resumes from the last whole chunk; the hash verifies after a reload; an eviction is reported', async ({ page }) => {
  const name = serveModel('tiny-drop');
  server.fault(`/m/tiny-drop/${DATA}`, { dropAfter: 150_000 });
  await openModels(page);
  await addAndCache(page, 'tiny-drop', name);
  const ranges = fileRequests(`/m/tiny-drop/${DATA}`).map((request) => request.range);
  expect(ranges, 'the retry asks for the bytes after the 2 stored chunks').toEqual([null, `bytes=${2 * CHUNK}-`]);

  await openModels(page, true);
  await card(page, name).getByRole('button', { name: `Verify ${name}` }).click();
  await expect(card(page, name).getByTestId('verified')).toBeVisible();

  // The browser evicting a chunk behind the app's back; the next start notices.
  await page.evaluate(
    ([path]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('hearth-models-chunks');
        open.onsuccess = () => {
          const request = open.result.transaction('chunks', 'readwrite').objectStore('chunks').delete(['tiny-drop', path, 1]);
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        };
      }),
    [DATA],
  );
  await openModels(page, true);
  await expect(state(page, name)).not.toHaveText('cached on this device');
  await expect(card(page, name).getByTestId('evicted')).toContainText(DATA);
});

test('a model chosen while the load of another hangs is the one loaded, and is still chosen after a reload', async ({ page }) => {
  const hung = serveModel('tiny-hung');
  await openModels(page);
  await addAndCache(page, 'tiny-hung', hung);
  await armLoadHang(page);
  await card(page, hung).getByRole('button', { name: `Use ${hung}`, exact: true }).click();
  await expect(page.getByTestId('engine-state')).toHaveText('Loading model…');
  await use(page, BUILT_IN);
  await expect(page.getByTestId('notice').last()).toContainText('The engine stopped responding while loading the model.');
  // Long enough for the hung load's retry, a second after the restart, to have run.
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
  await generate(page, { prompt: 'a photo of a cat', seed: 5, width: 64, height: 64, steps: 2 });
  await expect(page.getByTestId('model')).toContainText(BUILT_IN);
  await openModels(page, true);
  await expect(page.getByTestId('model')).toContainText(BUILT_IN);
  await expect(card(page, BUILT_IN).getByRole('button', { name: `Use ${BUILT_IN}`, exact: true })).toBeDisabled();
});

test('a corrupt file is refused naming it; nothing is loaded and other models stay intact', async ({ page }) => {
  const good = serveModel('tiny-good');
  const bad = serveModel('tiny-corrupt');
  server.fault(`/m/tiny-corrupt/${DATA}`, { corrupt: true });
  await openModels(page);
  await addAndCache(page, 'tiny-good', good);

  await addByUrl(page, server.manifestUrl('tiny-corrupt'));
  await download(page, bad);
  const error = card(page, bad).getByRole('alert');
  await expect(error).toHaveAttribute('data-code', 'integrity');
  await expect(error).toContainText(`${DATA} is corrupt: expected sha256`);
  await expect(state(page, bad)).not.toHaveText('cached on this device');
  await expect(card(page, bad).getByRole('button', { name: `Use ${bad}` })).toHaveCount(0);
  await expect(page.getByTestId('model')).toContainText(BUILT_IN);
  await card(page, good).getByRole('button', { name: `Verify ${good}` }).click();
  await expect(card(page, good).getByTestId('verified')).toBeVisible();
});

test('a download that does not fit the quota is refused with the numbers before a byte is written', async ({ page, context }) => {
  const name = serveModel('tiny-quota');
  await openModels(page);
  await addByUrl(page, server.manifestUrl('tiny-quota'));
  await expect(state(page, name)).toHaveText('not cached');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: `http://127.0.0.1:${PORT}`, quotaSize: (await usage(page)) + 100_000 });
  await download(page, name);
  const error = card(page, name).getByRole('alert');
  await expect(error).toHaveAttribute('data-code', 'quota');
  await expect(error).toHaveText(/^Not enough storage: this model needs 4\d\d kB more and the browser allows \d+(\.\d+)? kB\. To make room, delete models/);
  expect(server.requests.filter((request) => request.path.startsWith('/m/tiny-quota/') && !request.path.endsWith('hearth-model.json'))).toEqual([]);
  await expect(card(page, name).getByTestId('space')).toHaveText('0 B');
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: `http://127.0.0.1:${PORT}` });
});

test("under Chromium's own fixed estimate (usage + 10 GiB) the storage line quotes no free space", async () => {
  // This file's browser turns the fixed estimate off; Chromium's default keeps it (docs/storage.md).
  const browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
  try {
    const page = await browser.newPage({ baseURL: `http://127.0.0.1:${PORT}/` });
    await openModels(page);
    await expect(page.getByTestId('storage')).toHaveText(/^Storage: [\d.]+ [kMG]?B used; the browser does not say how much more it will store/);
  } finally {
    await browser.close();
  }
});

test('Pause keeps the stored chunks and Resume goes on from them; Cancel deletes them', async ({ page }) => {
  const paused = serveModel('tiny-pause');
  const cancelled = serveModel('tiny-cancel');
  server.fault(`/m/tiny-pause/${DATA}`, { stallAfter: 150_000 });
  server.fault(`/m/tiny-cancel/${DATA}`, { stallAfter: 150_000 });
  await openModels(page);
  for (const id of ['tiny-pause', 'tiny-cancel']) await addByUrl(page, server.manifestUrl(id));

  await download(page, paused);
  await expect(card(page, paused).getByRole('progressbar', { name: `Download of ${DATA}` })).toHaveAttribute('value', '150000');
  const modelBytes = listFiles(new Map(files)).reduce((sum, file) => sum + file.size, 0);
  await expect(card(page, paused).getByTestId('download')).toContainText(`of ${formatBytes(modelBytes)}`);
  await card(page, paused).getByRole('button', { name: `Pause download of ${paused}` }).click();
  await expect(state(page, paused)).toHaveText(/^partly downloaded/);
  await download(page, paused);
  await expect(state(page, paused)).toHaveText('cached on this device');
  expect(fileRequests(`/m/tiny-pause/${DATA}`).map((request) => request.range)).toEqual([null, `bytes=${2 * CHUNK}-`]);

  await download(page, cancelled);
  await expect(card(page, cancelled).getByRole('progressbar', { name: `Download of ${DATA}` })).toHaveAttribute('value', '150000');
  await card(page, cancelled).getByRole('button', { name: `Cancel download of ${cancelled}` }).click();
  await expect(state(page, cancelled)).toHaveText('not cached');
  await expect(card(page, cancelled).getByTestId('space')).toHaveText('0 B');
});

test('a store worker killed mid-download is replaced: the download goes on from the stored chunks and no button stays busy', async ({ page }) => {
  const name = serveModel('tiny-killed');
  const next = serveModel('tiny-after-kill');
  server.fault(`/m/tiny-killed/${DATA}`, { stallAfter: 150_000 });
  await openModels(page);
  await addByUrl(page, server.manifestUrl('tiny-killed'));
  await download(page, name);
  await expect(card(page, name).getByRole('progressbar', { name: `Download of ${DATA}` })).toHaveAttribute('value', '150000');
  // Terminated from outside, the worker fires no event: only its silence tells.
  await page.evaluate(() => (window as unknown as { hearthFaults: { killStoreWorker(): void } }).hearthFaults.killStoreWorker());
  await expect(state(page, name)).toHaveText('cached on this device');
  expect(fileRequests(`/m/tiny-killed/${DATA}`).at(-1)?.range, 'the fresh worker asks for the bytes after the 2 stored chunks').toBe(`bytes=${2 * CHUNK}-`);
  await card(page, name).getByRole('button', { name: `Verify ${name}` }).click();
  await expect(card(page, name).getByTestId('verified')).toBeVisible();
  await addByUrl(page, server.manifestUrl('tiny-after-kill'));
  await expect(state(page, next)).toHaveText('not cached');
});

test('a manifest with the id "__proto__" is refused naming the id, and the next add works', async ({ page }) => {
  server.route('/bad/proto/hearth-model.json', 200, JSON.stringify(manifest('__proto__', 'Prototype', listFiles(files))));
  const name = serveModel('tiny-after-proto');
  await openModels(page);
  const addError = page.getByRole('region', { name: 'Add your own model' }).getByRole('alert');
  await addByUrl(page, `${server.url}bad/proto/hearth-model.json`);
  await expect(addError).toHaveAttribute('data-code', 'config');
  await expect(addError).toContainText('"id" is invalid; allowed: letters, digits');
  await addByUrl(page, server.manifestUrl('tiny-after-proto'));
  await expect(state(page, name)).toHaveText('not cached');
  await expect(addError).toHaveCount(0);
});

test('a browser killed mid-download leaves no half file, and Download goes on from the stored chunks', async () => {
  const name = serveModel('tiny-crash');
  server.fault(`/m/tiny-crash/${DATA}`, { stallAfter: 150_000 });
  const profile = mkdtempSync(join(tmpdir(), 'hearth-profile-'));
  const launch = async (): Promise<[BrowserContext, Page]> => {
    const context = await chromium.launchPersistentContext(profile, { executablePath, args: ARGS, baseURL: `http://127.0.0.1:${PORT}/` });
    return [context, context.pages()[0] ?? (await context.newPage())];
  };
  try {
    let [context, page] = await launch();
    await openModels(page);
    await addByUrl(page, server.manifestUrl('tiny-crash'));
    await download(page, name);
    await expect(card(page, name).getByRole('progressbar', { name: `Download of ${DATA}` })).toHaveAttribute('value', '150000');
    const browser = chromiumProcesses(profile).find((candidate) => candidate.type === 'browser');
    process.kill(browser!.pid, 'SIGKILL');
    await context.close().catch(() => undefined);

    [context, page] = await launch();
    await openModels(page);
    await expect(state(page, name)).toHaveText(/^partly downloaded/);
    await expect(card(page, name).getByRole('button', { name: `Use ${name}` }), 'a half file is never usable').toHaveCount(0);
    await download(page, name);
    await expect(state(page, name)).toHaveText('cached on this device');
    expect(fileRequests(`/m/tiny-crash/${DATA}`).at(-1)?.range, 'the resume asks for the bytes after the 2 stored chunks').toBe(`bytes=${2 * CHUNK}-`);
    await context.close();
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});

test('a folder picked from disk is imported with the network off and loads', async ({ page, context }) => {
  const folder = join(mkdtempSync(join(tmpdir(), 'hearth-import-')), 'My tiny model');
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), bytes);
  }
  try {
    await openModels(page);
    await context.setOffline(true);
    await page.getByLabel('Import a folder from this device').setInputFiles(folder);
    await expect(state(page, 'My tiny model')).toHaveText('cached on this device');
    await use(page, 'My tiny model');
    await expect(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
  } finally {
    rmSync(dirname(folder), { recursive: true, force: true });
  }
});

test('bad input gets a named error with the file and the reason; nothing cached is lost', async ({ page }) => {
  const kept = serveModel('tiny-kept');
  await openModels(page);
  await addAndCache(page, 'tiny-kept', kept);

  const addError = page.getByRole('region', { name: 'Add your own model' }).getByRole('alert');
  server.route('/bad/500/hearth-model.json', 500);
  server.route('/bad/html/hearth-model.json', 200, '<html>not a manifest</html>');
  server.route('/bad/fields/hearth-model.json', 200, '{ "id": "x" }');
  for (const [path, code, text] of [
    ['m/nothing/hearth-model.json', 'download', 'Could not download hearth-model.json: HTTP 404'],
    ['bad/500/hearth-model.json', 'download', 'Could not download hearth-model.json: HTTP 500'],
    ['bad/html/hearth-model.json', 'config', `${server.url}bad/html/hearth-model.json: "(file)" is invalid; allowed: valid JSON`],
    ['bad/fields/hearth-model.json', 'config', `${server.url}bad/fields/hearth-model.json: "files" is invalid`],
  ]) {
    await addByUrl(page, server.url + path);
    await expect(addError).toHaveAttribute('data-code', code);
    await expect(addError).toContainText(text);
  }

  const broken: [string, { replace?: Record<string, Uint8Array>; unlisted?: string[] }, string, string][] = [
    ['tiny-not-onnx', { replace: { 'vae_decoder/model.onnx': new TextEncoder().encode('<html>not a model</html>') } }, 'model-file', 'Model file vae_decoder/model.onnx: is not a usable ONNX model'],
    ['tiny-no-data', { unlisted: [DATA] }, 'model-file', 'Model file unet/model.onnx: needs the external-data file "model.onnx_data" beside it'],
    ['tiny-500', {}, 'download', `Could not download ${DATA}: HTTP 500`],
  ];
  server.fault(`/m/tiny-500/${DATA}`, { status: 500, times: 10 });
  for (const [id, change, code, text] of broken) {
    const name = serveModel(id, change);
    await addByUrl(page, server.manifestUrl(id));
    await download(page, name);
    const error = card(page, name).getByRole('alert');
    await expect(error).toHaveAttribute('data-code', code);
    await expect(error).toContainText(text);
    await expect(state(page, name)).not.toHaveText('cached on this device');
  }
  await expect(state(page, kept)).toHaveText('cached on this device');
  await card(page, kept).getByRole('button', { name: `Verify ${kept}` }).click();
  await expect(card(page, kept).getByTestId('verified')).toBeVisible();
});

test('a catalog model shows its licence, which must be accepted, and whether this device can run it', async ({ page }) => {
  await openModels(page);
  const turbo = card(page, 'SD-Turbo');
  await expect(turbo.getByText('unverified')).toBeVisible();
  await expect(turbo.getByRole('link', { name: 'Stability AI Non-Commercial Research Community License' })).toHaveAttribute('href', /^https:\/\/huggingface\.co\//);
  await expect(turbo).toContainText('non-commercial');
  // SwiftShader lacks shader-f16, which SD-Turbo's only (fp16) variant needs: said before any download.
  if (!(await page.evaluate(async () => (await navigator.gpu?.requestAdapter())?.features.has('shader-f16')))) {
    await expect(turbo.getByTestId('unsupported')).toContainText('shader-f16');
    await expect(turbo.getByRole('button', { name: 'Download SD-Turbo' })).toBeDisabled();
  }
  // LCM Dreamshaper has an fp32 variant any WebGPU adapter with large enough buffers runs.
  const lcm = card(page, 'LCM Dreamshaper v7');
  const download = lcm.getByRole('button', { name: 'Download LCM Dreamshaper v7' });
  await expect(download).toBeDisabled();
  await lcm.getByLabel('I accept the licence of LCM Dreamshaper v7').check();
  await expect(download).toBeEnabled();
  // Both SD 1.5 exports have a VAE encoder, so it can start from a picture whichever this device gets.
  await expect(card(page, 'Stable Diffusion 1.5').getByTestId('from-picture')).toHaveText(/^yes: image to image and inpainting/);
  await expect(card(page, 'Stable Diffusion 1.5 Inpainting').getByTestId('from-picture')).toHaveText(/^only: an inpainting model/);
  await openModels(page, true);
  await expect(lcm.getByLabel('I accept the licence of LCM Dreamshaper v7'), 'the acceptance is remembered').toBeChecked();
});

test('a catalog model downloads with sizes and hashes from its LFS pointers, verified, and loads', async ({ page }) => {
  // Hugging Face played by a route: `raw` answers what the Hub answers (an LFS pointer for weights, small
  // files as they are), `resolve` the tiny model's bytes under the catalog's paths for LCM Dreamshaper's fp32 variant.
  const pointers: string[] = [];
  await page.route('https://huggingface.co/SimianLuo/LCM_Dreamshaper_v7/**', async (route) => {
    const [kind, , ...rest] = new URL(route.request().url()).pathname.split('/').slice(3);
    const path = rest.join('/');
    const bytes = files.get(path);
    const headers = { 'Access-Control-Allow-Origin': '*' };
    if (!bytes) return route.fulfill({ status: 404, headers });
    if (kind === 'raw' && (path.endsWith('.onnx') || path.endsWith('_data'))) {
      pointers.push(path);
      const [file] = listFiles(new Map([[path, bytes]]));
      return route.fulfill({ headers, body: `version https://git-lfs.github.com/spec/v1\noid sha256:${file.sha256}\nsize ${file.size}\n` });
    }
    return route.fulfill({ headers, body: Buffer.from(bytes) });
  });
  await openModels(page);
  const lcm = card(page, 'LCM Dreamshaper v7');
  await lcm.getByLabel('I accept the licence of LCM Dreamshaper v7').check();
  await download(page, 'LCM Dreamshaper v7');
  await expect(state(page, 'LCM Dreamshaper v7')).toHaveText('cached on this device');
  expect(pointers.sort(), 'the VAE encoder is fetched like the other networks').toEqual(['text_encoder/model.onnx', 'unet/model.onnx', DATA, 'vae_decoder/model.onnx', 'vae_encoder/model.onnx'].sort());
  await expect(lcm.getByTestId('size'), 'the exact size from the pointers, no longer "about"').toHaveText(/^4\d\d kB$/);
  await use(page, 'LCM Dreamshaper v7');
  await expect(page.getByTestId('load-status')).toHaveAttribute('data-from', 'indexeddb');
});
