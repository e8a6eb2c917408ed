import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type Page } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';
import { maxChannelDiff } from './pixels.ts';
import { armFault, armLoadHang, fillForm, galleryImages, generate, lastUnetRuns, newestPixels, openStudio, saveQueuedJob, waitForStep } from './studio.ts';

// 64x64 makes every step a quarter of 128x128's work; what is asserted (steps run, the same pixels) holds at any size.
const JOB = { prompt: 'a lighthouse at dusk', negativePrompt: 'fog', width: 64, height: 64, steps: 4, guidance: 3, seed: 11 };

async function chooseSampler(page: Page, label: string) {
  await page.getByLabel('Sampler').selectOption({ label });
}

/** Starts a job with a fault armed and waits for the image it must still deliver. */
async function generateThrough(page: Page, fault: 'destroy-device' | 'throw' | 'hang', afterStep = 2) {
  const before = await galleryImages(page).count();
  await armFault(page, fault, afterStep);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryImages(page)).toHaveCount(before + 1, { timeout: 180_000 });
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
}

/** Generates the reference image, then starts the same job held after step 2 (a test hook); returns the reference. */
async function interruptAtStep2(page: Page): Promise<number[]> {
  await generate(page, JOB);
  const reference = await newestPixels(page);
  await armFault(page, 'hang', 2);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, 2);
  return reference;
}

/** After a reload or restart: the job resumed from its step-2 checkpoint and ended on the reference image. */
async function expectResumedAtStep2(page: Page, reference: number[]): Promise<void> {
  await expect(page.getByTestId('notice').first()).toContainText('Resuming the interrupted job at step 2 of 4.');
  await expect(galleryImages(page)).toHaveCount(2);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  expect(await lastUnetRuns(page)).toBe(2);
  expect(maxChannelDiff(await newestPixels(page), reference)).toBe(0);
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue(JOB.prompt);
}

test.describe.configure({ mode: 'serial' });

test('device loss, a worker crash and a hang each recover and resume to the same image', async ({ page }) => {
  await openStudio(page);
  await chooseSampler(page, 'Euler a');
  await generate(page, JOB);
  const reference = await newestPixels(page);
  expect(await lastUnetRuns(page)).toBe(4);

  await generateThrough(page, 'destroy-device');
  await expect(page.getByTestId('notice').last()).toContainText(/The GPU was reset by the browser\. Reloaded in [\d.]+ s and resumed at step 2 of 4\./);
  expect(await lastUnetRuns(page), 'only the remaining steps ran after recovery').toBe(2);
  expect(maxChannelDiff(await newestPixels(page), reference), 'the resumed image equals the uninterrupted one').toBe(0);
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue(JOB.prompt);
  await expect(page.getByLabel('Sampler')).toHaveValue('euler-a');
  await expect(galleryImages(page)).toHaveCount(2);

  await generateThrough(page, 'throw', 3);
  // The worker's error event usually wins; when it is late, the watchdog notices the broken worker instead.
  await expect(page.getByTestId('notice').last()).toContainText(/(The engine crashed .*|The engine stopped responding\. .*)resumed at step [34] of 4\./);
  expect(await lastUnetRuns(page)).toBeLessThanOrEqual(1);
  expect(maxChannelDiff(await newestPixels(page), reference)).toBe(0);

  await generateThrough(page, 'hang', 1);
  await expect(page.getByTestId('notice').last()).toContainText(/The engine stopped responding\. .*resumed at step 1 of 4\./);
  expect(await lastUnetRuns(page)).toBe(3);
  expect(maxChannelDiff(await newestPixels(page), reference)).toBe(0);

  await page.getByText('Diagnostics', { exact: true }).click();
  const report = page.getByTestId('diagnostics-report');
  await expect(report).toContainText('Adapter: google swiftshader');
  await expect(report).toContainText('Model: Tiny test model');
  await expect(report, 'the restarted worker holds the model').toContainText('Resident models: tiny-test (text encoder, UNet, VAE decoder, VAE encoder)');
  await expect(report).toContainText(/GPU buffers \(the app's device\): \d+\.\d MiB in \d+ buffers/);
  await expect(report).toContainText(/recovery: The engine stopped responding\. back-off \d+ ms, worker \d+ ms, reading weights \d+ ms, sessions \d+ ms, first resumed step \d+ ms, total \d+ ms; resumed at step 1 of 4\n?$/);
});

test('a worker terminated from outside is noticed and the job finishes', async ({ page }) => {
  await openStudio(page);
  // 128x128 and 12 steps: the kill must land while steps are left, with no hook holding the job.
  await fillForm(page, { ...JOB, width: 128, height: 128, steps: 12 });
  const before = await galleryImages(page).count();
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, 2);
  await page.evaluate(() => (window as unknown as { hearthFaults: { killWorker(): void } }).hearthFaults.killWorker());
  await expect(galleryImages(page)).toHaveCount(before + 1, { timeout: 180_000 });
  await expect(page.getByTestId('notice').last()).toContainText('The engine stopped responding.');
});

test('a model load that never ends is restarted in a new worker, and the model then generates', async ({ page }) => {
  await openStudio(page);
  await armLoadHang(page);
  // Low-memory mode loads the model again in the same worker; the armed fault holds that load for ever.
  await page.getByLabel('Low-memory mode').check();
  await expect(page.getByTestId('notice').last()).toContainText('The engine stopped responding while loading the model. Restarting the engine (attempt 1)…', { timeout: 60_000 });
  await expect(page.getByTestId('engine-state')).toHaveText('Ready', { timeout: 60_000 });
  await generate(page, { ...JOB, steps: 2 });
  await page.getByText('Diagnostics', { exact: true }).click();
  await expect(page.getByTestId('diagnostics-report')).toContainText('Memory mode: low-memory (one network at a time)');
});

test('a reload mid-generation resumes the job from its checkpoint', async ({ page }) => {
  await openStudio(page);
  const reference = await interruptAtStep2(page);
  await page.reload();
  await expectResumedAtStep2(page, reference);
});

test('unreadable saved records are dropped alone and older ones migrate', async ({ page }) => {
  await openStudio(page);
  await generate(page, { ...JOB, steps: 2 });
  await page.evaluate(async () => {
    const put = (db: string, store: string, key: string, value: unknown) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(db);
        open.onsuccess = () => {
          const tx = open.result.transaction(store, 'readwrite');
          tx.objectStore(store).put(value, key);
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      });
    // v1 builds saved bare settings without batchCount.
    await put('hearth-state', 'state', 'settings', { prompt: 'from v1', negativePrompt: '', seed: 3, steps: 2, width: 64, height: 64, guidance: 2, scheduler: 'ddim' });
    await put('hearth-gallery', 'images', 'junk', '\u0000 not a record');
  });
  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue('from v1');
  await expect(page.getByLabel('Sampler')).toHaveValue('ddim');
  await expect(page.getByLabel('Batch count')).toHaveValue('1');
  await expect(page.getByTestId('notice')).toContainText(['1 saved image record could not be read and was removed (it is not an image record).']);
  await expect(galleryImages(page)).toHaveCount(1);
});

test('two tabs: one runs, the other waits and takes over when the first closes', async ({ context }) => {
  const first = await context.newPage();
  await openStudio(first);
  const second = await context.newPage();
  await second.goto('/');
  await expect(second.getByTestId('engine-state')).toHaveText('Waiting: Hearth is running in another tab');
  await expect(second.getByRole('button', { name: 'Generate' })).toBeDisabled();
  await first.close();
  await expect(second.getByTestId('engine-state')).toHaveText('Ready');
  await generate(second, { ...JOB, steps: 2 });
});

test('closing the browser mid-generation and opening it again resumes the job', async ({ baseURL }) => {
  const profile = await mkdtemp(join(tmpdir(), 'hearth-profile-'));
  const launch = () => chromium.launchPersistentContext(profile, { executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS], baseURL });
  try {
    let context = await launch();
    let page = context.pages()[0] ?? (await context.newPage());
    await openStudio(page);
    const reference = await interruptAtStep2(page);
    await context.close();

    context = await launch();
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto('/');
    await expectResumedAtStep2(page, reference);
    await expect(page.getByLabel('Negative prompt')).toHaveValue(JOB.negativePrompt);
    await context.close();
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
});

test('a queued job whose model is gone waits as "model missing" and blocks nothing', async ({ page }) => {
  await openStudio(page);
  await saveQueuedJob(page, { id: 'orphan-job', modelId: 'deleted-model', settings: { prompt: 'orphan', seed: 1, steps: 2, width: 128, height: 128 } });
  await page.reload();
  const queued = page.getByRole('region', { name: 'Queue' }).getByRole('listitem');
  await expect(queued).toHaveCount(1);
  await expect(queued).toContainText('model missing: deleted-model is not cached');
  await generate(page, { ...JOB, steps: 2 });
  await expect(queued).toHaveCount(1);
  await expect(queued).toContainText('orphan');
  await page.getByRole('button', { name: 'Remove queued job "orphan"' }).click();
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0);
});
