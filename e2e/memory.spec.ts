import { expect, test, type Page } from '@playwright/test';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import { portFor } from '../playwright.config.ts';
import { listFiles, startModelServer, type ModelServer } from './model-server.ts';
import { distinctColours, fractionDifferent } from './pixels.ts';
import { armFault, fillForm, galleryImages, generate, newestPixels } from './studio.ts';

const BUILT_IN = 'Tiny test model';
const OTHER = 'Tiny test model 2';
const SETTINGS = { prompt: 'a lighthouse at dusk', seed: 7, width: 64, height: 64, steps: 1 };
const ALL_NETWORKS = 'text encoder, UNet, VAE decoder, VAE encoder';
const SWITCHES = 10;

let server: ModelServer;
test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startModelServer(portFor(4333));
  const files = tinyModelFiles(2);
  server.add('tiny-test-2', { manifest: manifest('tiny-test-2', OTHER, listFiles(files)), files });
});
test.afterAll(async () => server.close());

const view = (page: Page, name: 'Studio' | 'Models') => page.getByRole('button', { name, exact: true }).click();
const resident = (page: Page) => page.getByRole('list', { name: 'Resident models' }).getByRole('listitem');
const gpuBytes = async (page: Page) => Number(await page.getByTestId('gpu-buffers').getAttribute('data-bytes'));

async function openDiagnostics(page: Page): Promise<void> {
  await page.getByText('Diagnostics', { exact: true }).click();
}

/** Uses a model from the Models view and comes back to the Studio once the engine has its sessions. */
async function use(page: Page, name: string): Promise<void> {
  await view(page, 'Models');
  await page.getByRole('button', { name: `Use ${name}`, exact: true }).click();
  await expect(page.getByTestId('model')).toContainText(name);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await view(page, 'Studio');
}

// Each switch makes new sessions, whose shaders SwiftShader compiles again (17 s a switch on a 2-core CI machine), so the test
// switches 10 times; `npm run bench` switches 20 times and records the memory after each (docs/ort-web.md, "Lifecycle").
test('switching between two models 10 times: each switch generates its own image and leaves only the new model resident', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await view(page, 'Models');
  await page.getByLabel('Manifest URL').fill(server.manifestUrl('tiny-test-2'));
  await page.getByRole('button', { name: 'Add by URL' }).click();
  await page.getByRole('button', { name: `Download ${OTHER}`, exact: true }).click();
  await expect(page.getByRole('listitem', { name: OTHER, exact: true }).getByTestId('model-state')).toHaveText('cached on this device');
  await view(page, 'Studio');
  await openDiagnostics(page);

  const first = new Map<string, number[]>();
  const bytes: number[] = [];
  for (let switchNo = 1; switchNo <= SWITCHES; switchNo++) {
    const [name, id] = switchNo % 2 === 1 ? [OTHER, 'tiny-test-2'] : [BUILT_IN, 'tiny-test'];
    await use(page, name);
    await generate(page, SETTINGS);
    const pixels = await newestPixels(page);
    expect(distinctColours(pixels), `switch ${switchNo} makes a picture`).toBeGreaterThan(16);
    if (!first.has(name)) first.set(name, pixels);
    else expect(pixels, `switch ${switchNo}: ${name} makes the same image as before`).toEqual(first.get(name));
    await expect(resident(page), `switch ${switchNo}: only ${id} is resident`).toHaveText([`${id} (${ALL_NETWORKS})`]);
    bytes.push(await gpuBytes(page));
  }
  expect(fractionDifferent(first.get(OTHER)!, first.get(BUILT_IN)!), 'the two models make different images').toBeGreaterThan(0.2);
  expect(bytes[1], 'the app device holds GPU buffers').toBeGreaterThan(0);
  expect(bytes[SWITCHES - 1], `GPU buffers after switch ${SWITCHES} are no more than after switch 2`).toBeLessThanOrEqual(bytes[1]);

  await page.getByLabel('Models kept loaded').selectOption('2');
  await use(page, OTHER);
  await expect(resident(page), 'with two kept loaded the previous model stays, least recent last').toHaveText([`tiny-test-2 (${ALL_NETWORKS})`, `tiny-test (${ALL_NETWORKS})`]);
  await use(page, BUILT_IN);
  await expect(resident(page)).toHaveText([`tiny-test (${ALL_NETWORKS})`, `tiny-test-2 (${ALL_NETWORKS})`]);
  await page.getByLabel('Models kept loaded').selectOption('1');
  await expect(resident(page), 'going back to one evicts the other').toHaveText([`tiny-test (${ALL_NETWORKS})`]);
});

test('low-memory mode makes the same image as normal mode holding one network at a time, and stays on after a reload', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await openDiagnostics(page);
  await generate(page, SETTINGS);
  const normal = await newestPixels(page);
  await expect(resident(page)).toHaveText([`tiny-test (${ALL_NETWORKS})`]);

  await page.getByLabel('Low-memory mode').check();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(resident(page), 'after loading, only the text encoder, needed first, is alive').toHaveText(['tiny-test (text encoder)']);
  const statuses: string[] = [];
  await page.exposeFunction('__status', (text: string) => void statuses.push(text));
  await page.evaluate(() => {
    const state = document.querySelector('[data-testid="engine-state"]')!;
    new MutationObserver(() => (window as unknown as { __status: (text: string) => void }).__status(state.textContent ?? '')).observe(state, { subtree: true, childList: true, characterData: true });
  });
  await generate(page, SETTINGS);
  expect(await newestPixels(page), 'low-memory mode makes the very same pixels').toEqual(normal);
  await expect(resident(page), 'after the job only the VAE decoder, used last, is alive').toHaveText(['tiny-test (VAE decoder)']);
  expect(statuses).toEqual(expect.arrayContaining(['Loading the UNet (low-memory mode)…', 'Loading the VAE decoder (low-memory mode)…']));

  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByLabel('Low-memory mode')).toBeChecked();
  await expect(page.getByTestId('diagnostics-report')).toContainText('Memory mode: low-memory (one network at a time)');
});

test('a GPU that runs out of memory stops the job with advice and keeps it; in low-memory mode Retry finishes it', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  const job = { ...SETTINGS, steps: 3 };
  await generate(page, job);
  const reference = await newestPixels(page);

  await fillForm(page, job);
  await armFault(page, 'out-of-memory', 1);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'out of memory' })).toHaveText(
    'The GPU ran out of memory while generating. Turn on low-memory mode or keep fewer models loaded, then retry.',
  );
  await expect(page.getByRole('region', { name: 'Queue' }).getByRole('listitem'), 'the job is kept').toHaveCount(1);
  await expect(galleryImages(page)).toHaveCount(1);

  await page.getByLabel('Low-memory mode').check();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(galleryImages(page)).toHaveCount(2);
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0);
  expect(await newestPixels(page), 'resumed in low-memory mode, the same image').toEqual(reference);
});
