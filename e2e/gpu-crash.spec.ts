import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';
import { maxChannelDiff } from './pixels.ts';
import { armFault, galleryImages, generate, lastUnetRuns, newestPixels, openStudio, waitForStep } from './studio.ts';

// 64x64: a quarter of 128x128's work per step; the crash lands while a hook holds the job, at any size.
const JOB = { prompt: 'embers in the dark', width: 64, height: 64, steps: 4, guidance: 3, seed: 21 };

// Each test crashes the GPU process of a browser of its own, so no other test inherits a blocked adapter.
let browser: Browser;
test.beforeEach(async () => {
  browser = await chromium.launch({ executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS] });
});
test.afterEach(async () => {
  await browser.close();
});

async function crashGpuProcess(): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');
  await cdp.detach();
}

/** Starts the job held after `step` (a test hook), so the crash lands mid-generation. */
async function startHeld(page: Page, step: number): Promise<void> {
  await armFault(page, 'hang', step);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, step);
}

test('a GPU-process crash mid-generation recovers and resumes to the same image', async ({ baseURL }) => {
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  await page.getByLabel('Sampler').selectOption({ label: 'Euler a' });
  await generate(page, JOB);
  const reference = await newestPixels(page);

  await startHeld(page, 2);
  await crashGpuProcess();
  await expect(galleryImages(page)).toHaveCount(2);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByTestId('notice').last()).toContainText(/The GPU was reset by the browser\. .*resumed at step 2 of 4\./);
  await expect(page.getByTestId('backend')).toContainText('WebGPU');
  expect(await lastUnetRuns(page)).toBe(2);
  expect(maxChannelDiff(await newestPixels(page), reference)).toBe(0);
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue(JOB.prompt);
});

test('after repeated GPU crashes the browser refuses WebGPU and the job finishes on wasm', async ({ baseURL }) => {
  const page = await browser.newPage({ baseURL });
  await openStudio(page);
  await page.getByLabel('Sampler').selectOption({ label: 'Euler a' });
  await page.getByLabel('Steps', { exact: true }).fill('6');
  for (let crash = 1; crash <= 6 && !(await page.getByTestId('backend').textContent())?.includes('CPU (wasm)'); crash++) {
    await startHeld(page, 1);
    await crashGpuProcess();
    await expect(galleryImages(page)).toHaveCount(crash);
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  }
  await expect(page.getByTestId('backend')).toContainText('CPU (wasm)');
  await expect(page.getByTestId('notice').filter({ hasText: 'WebGPU is unavailable' })).toContainText('restarting the browser brings WebGPU back');
  await expect(page.getByRole('button', { name: 'Try WebGPU again' })).toBeVisible();
  await generate(page, { ...JOB, steps: 2 });
});
