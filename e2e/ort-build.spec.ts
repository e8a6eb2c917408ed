import { expect, test } from '@playwright/test';
import { distinctColours, maxChannelDiff } from './pixels.ts';
import { chooseBackend, generate, newestPixels, openStudio } from './studio.ts';

// The route below must see the worker's script, which a service worker would otherwise answer from its cache.
test.use({ serviceWorkers: 'block' });

test("a browser without JSPI runs ORT's asyncify build, on WebGPU to the same image as on wasm", async ({ page }) => {
  // Safari and Firefox lack JSPI; Chromium cannot turn it off, so the worker loses it before any of its own code runs.
  await page.route('**/assets/diffusion.worker-*.js', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: `delete WebAssembly.Suspending;\n${await response.text()}` });
  });
  await openStudio(page);
  await expect(page.getByTestId('backend')).toContainText('WebGPU');
  await expect(page.getByTestId('diagnostics-report')).toContainText('onnxruntime-web: 1.30.0 (asyncify build)');

  const form = { prompt: 'a photo of a cat', seed: 42, width: 128, height: 128, steps: 4, guidance: 3 };
  await generate(page, form);
  const webgpu = await newestPixels(page);
  expect(distinctColours(webgpu), 'the image is not a flat fill').toBeGreaterThan(100);

  await chooseBackend(page, 'CPU (wasm)');
  await expect(page.getByTestId('diagnostics-report')).toContainText('(asyncify build)');
  await generate(page, form);
  expect(maxChannelDiff(await newestPixels(page), webgpu), 'WebGPU and wasm agree within 2/255').toBeLessThanOrEqual(2);
});
