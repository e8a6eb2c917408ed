import { expect, test } from '@playwright/test';
import { BASE_ARGS, executablePath } from '../playwright.config.ts';
import { distinctColours } from './pixels.ts';
import { generate, newestPixels, openStudio } from './studio.ts';

// A browser of its own, launched without --enable-unsafe-webgpu.
test.use({ launchOptions: { executablePath, args: BASE_ARGS } });

test('without WebGPU the app generates on wasm and says why', async ({ page }) => {
  await openStudio(page);
  await expect(page.getByTestId('backend')).toContainText('CPU (wasm)');
  await expect(page.getByTestId('backend')).toContainText(/no WebGPU|no WebGPU adapter/);
  await generate(page, { prompt: 'a photo of a cat', seed: 1, width: 128, height: 128, steps: 2 });
  expect(distinctColours(await newestPixels(page))).toBeGreaterThan(100);
});
