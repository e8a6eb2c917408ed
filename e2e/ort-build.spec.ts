/**
 * ORT's two builds (`workers/runtime/ort-build.ts`) on a stored model whose UNet
 * weights are external data spread over several chunks: the JSPI build that
 * Chromium runs reads them as a Blob, one weight at a time; the asyncify build
 * other browsers run reads them as one buffer. Both must draw the same image,
 * and JSPI's reads must survive the collector running throughout the create.
 */
import { chromium, expect, test, type Page } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath, portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import { externalize } from './external-data.ts';
import { listFiles, startModelServer, type ModelServer } from './model-server.ts';
import { distinctColours, maxChannelDiff } from './pixels.ts';
import { addDownloadAndUse, chooseBackend, generate, newestPixels } from './studio.ts';

// The e2e build reads the store's chunk size from the URL: the ~190 KB UNet data file then spans 3 chunks.
const APP = `/?chunkSize=${64 * 1024}`;
const NAME = 'Tiny external';
const FORM = { prompt: 'a photo of a cat', seed: 42, width: 128, height: 128, steps: 4, guidance: 3 };

let server: ModelServer;
let jspiImage: number[] | undefined;

// A route must see the worker's script, which a service worker would otherwise answer from its cache.
test.use({ serviceWorkers: 'block' });
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startModelServer(portFor(4343));
  const files = tinyModelFiles(2);
  const { graph, data } = externalize(files.get('unet/model.onnx')!, 'model.onnx_data');
  files.set('unet/model.onnx', graph).set('unet/model.onnx_data', data);
  server.add('tiny-external', { manifest: manifest('tiny-external', NAME, listFiles(files)), files });
});
test.afterAll(async () => server.close());

/** Opens the app, downloads the model and generates with it on WebGPU; the image's pixels. */
async function generateOnWebGpu(page: Page, build: 'JSPI' | 'asyncify'): Promise<number[]> {
  await page.goto(APP);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByTestId('backend')).toContainText('WebGPU');
  await expect(page.getByTestId('diagnostics-report')).toContainText(`onnxruntime-web: 1.30.0 (${build} build)`);
  await addDownloadAndUse(page, server.manifestUrl('tiny-external'), NAME);
  await generate(page, FORM);
  return newestPixels(page);
}

test("Chromium runs the JSPI build and draws the stored model's image", async ({ page }) => {
  jspiImage = await generateOnWebGpu(page, 'JSPI');
  expect(distinctColours(jspiImage), 'the image is not a flat fill').toBeGreaterThan(100);
});

test('a browser without JSPI runs the asyncify build: the same image on WebGPU, and on wasm within 2/255', async ({ page }) => {
  // Safari and Firefox lack JSPI; Chromium cannot turn it off, so the worker loses it before any of its own code runs.
  await page.route('**/assets/diffusion.worker-*.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `delete WebAssembly.Suspending;\n${await response.text()}` });
  });
  const webgpu = await generateOnWebGpu(page, 'asyncify');
  expect(jspiImage, 'the JSPI test ran first').toBeDefined();
  expect(maxChannelDiff(webgpu, jspiImage!), 'both builds draw the same image').toBe(0);

  await chooseBackend(page, 'CPU (wasm)');
  await expect(page.getByTestId('diagnostics-report')).toContainText('(asyncify build)');
  await generate(page, FORM);
  expect(maxChannelDiff(await newestPixels(page), webgpu), 'WebGPU and wasm agree within 2/255').toBeLessThanOrEqual(2);
});

test('JSPI reads of the stored Blob finish while the worker collects garbage throughout the create', async ({ baseURL }) => {
  // Chromium collects a Blob stream that only its pending read refers to, and the read then never settles (docs/browser.md).
  const browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS, '--js-flags=--expose-gc'] });
  try {
    const page = await browser.newPage({ baseURL, serviceWorkers: 'block' });
    await page.goto(APP);
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    const worker = page.workers().find((candidate) => candidate.url().includes('diffusion.worker'));
    expect(worker, 'the diffusion worker runs').toBeDefined();
    expect(jspiImage, 'the JSPI test ran first').toBeDefined();
    await worker!.evaluate(() => setInterval(() => (globalThis as unknown as { gc(): void }).gc(), 1));
    await addDownloadAndUse(page, server.manifestUrl('tiny-external'), NAME);
    await expect(page.getByTestId('notice').filter({ hasText: 'stopped responding' }), 'the load never hung').toHaveCount(0);
    await generate(page, FORM);
    expect(maxChannelDiff(await newestPixels(page), jspiImage!), 'the same image as without collections').toBe(0);
  } finally {
    await browser.close();
  }
});
