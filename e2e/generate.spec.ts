import { expect, test } from '@playwright/test';
import { distinctColours, fractionDifferent, maxChannelDiff } from './pixels.ts';
import { chooseBackend, fillForm, generate, galleryImages, newestPixels, openStudio, progressSeen, recordProgress } from './studio.ts';

const SMALL = { width: 128, height: 128, steps: 4, guidance: 3 };

test.describe.configure({ mode: 'serial' });

test('a prompt becomes an image on WebGPU, deterministically, and matches wasm', async ({ page }) => {
  await recordProgress(page);
  await openStudio(page);
  await expect(page.getByTestId('backend'), 'this browser was launched with WebGPU; the app must use it').toContainText('WebGPU');
  await expect(page.getByTestId('model')).toContainText('test model');
  await expect(page.getByTestId('diagnostics-report'), 'Chromium has JSPI, so ORT runs its JSPI build').toContainText('(JSPI build)');

  await generate(page, { ...SMALL, prompt: 'a photo of a cat', seed: 42 });
  const first = await newestPixels(page);
  expect(first.length).toBe(128 * 128 * 4);
  expect(distinctColours(first), 'the image is not a flat fill').toBeGreaterThan(100);
  await expect(galleryImages(page).first()).toHaveAttribute('alt', 'a photo of a cat');
  expect(Math.max(...(await progressSeen(page)))).toBe(SMALL.steps);

  await generate(page, { prompt: 'a photo of a cat', seed: 42 });
  expect(maxChannelDiff(await newestPixels(page), first), 'same prompt and seed give the same image').toBe(0);

  await generate(page, { prompt: 'a photo of a cat', seed: 43 });
  expect(fractionDifferent(await newestPixels(page), first), 'another seed gives another image').toBeGreaterThan(0.2);

  await generate(page, { prompt: 'a red dog on the moon', seed: 42 });
  expect(fractionDifferent(await newestPixels(page), first), 'another prompt gives another image').toBeGreaterThan(0.2);

  await chooseBackend(page, 'CPU (wasm)');
  await expect(page.getByTestId('backend')).toContainText('CPU (wasm)');
  await generate(page, { prompt: 'a photo of a cat', seed: 42 });
  expect(maxChannelDiff(await newestPixels(page), first), 'WebGPU and wasm agree within 2/255').toBeLessThanOrEqual(2);
  await chooseBackend(page, 'Auto (WebGPU if available)');
});

test('Cancel stops within one step and the form works again', async ({ page }) => {
  await openStudio(page);
  const before = await galleryImages(page).count();
  await page.getByLabel('Steps', { exact: true }).fill('40');
  await page.getByRole('button', { name: 'Generate' }).click();
  const bar = page.getByRole('progressbar', { name: 'Generation progress' });
  await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  const atCancel = Number(await bar.getAttribute('value'));
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(bar).toHaveCount(0);
  expect(await galleryImages(page).count()).toBe(before);
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeDisabled();

  await generate(page, { ...SMALL, steps: 2, seed: 7 });
  expect(await galleryImages(page).count()).toBe(before + 1);
  expect(atCancel).toBeLessThan(40);
});

test('settings out of range are refused with a message and nothing runs', async ({ page }) => {
  await openStudio(page);
  const before = await galleryImages(page).count();
  await page.getByLabel('Prompt', { exact: true }).fill('kept prompt');
  await page.getByLabel('Steps', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveText('Steps must be a whole number from 1 to 100.');
  await page.getByLabel('Steps', { exact: true }).fill('4');
  await page.getByLabel('Width', { exact: true }).fill('100');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveText('Width must be a multiple of 64.');
  await page.getByLabel('Width', { exact: true }).fill('128');
  await page.getByLabel('Guidance', { exact: true }).fill('99');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toHaveText('Guidance must be a number from 0 to 30.');
  expect(await galleryImages(page).count()).toBe(before);
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue('kept prompt');
});

test('every sampler produces its own image', async ({ page }) => {
  await openStudio(page);
  await chooseBackend(page, 'CPU (wasm)');
  const images: number[][] = [];
  for (const label of ['Euler', 'Euler a', 'DDIM', 'LCM', 'DPM++ 2M', 'DPM++ 2M Karras']) {
    await page.getByLabel('Sampler').selectOption({ label });
    await generate(page, { prompt: 'a red dog', seed: 5, width: 64, height: 64, steps: 3, guidance: 3 });
    const pixels = await newestPixels(page);
    expect(distinctColours(pixels), `${label} makes a picture`).toBeGreaterThan(50);
    images.push(pixels);
  }
  // Samplers walk different paths from the same noise; at least most pairs must differ visibly.
  let differing = 0;
  for (let a = 0; a < images.length; a++) for (let b = a + 1; b < images.length; b++) if (fractionDifferent(images[a], images[b]) > 0.05) differing++;
  expect(differing).toBeGreaterThanOrEqual(12);
});

test('jobs queue up, a waiting one can be removed, the rest run in order', async ({ page }) => {
  await openStudio(page);
  const before = await galleryImages(page).count();
  await fillForm(page, { steps: 6, width: 128, height: 128 });
  for (const prompt of ['first', 'second', 'third']) {
    await page.getByLabel('Prompt', { exact: true }).fill(prompt);
    await page.getByRole('button', { name: 'Generate' }).click();
  }
  const queue = page.getByRole('region', { name: 'Queue' }).getByRole('listitem');
  await expect(queue).toHaveCount(3);
  await page.getByRole('button', { name: 'Remove queued job "second"' }).click();
  await expect(galleryImages(page)).toHaveCount(before + 2);
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0);
  await expect(galleryImages(page).nth(0)).toHaveAttribute('alt', 'third');
  await expect(galleryImages(page).nth(1)).toHaveAttribute('alt', 'first');
});

test('prompts as AUTOMATIC1111 writes them: a count per chunk, emphasis, and the tail of a long prompt', async ({ page }) => {
  await openStudio(page);
  await chooseBackend(page, 'CPU (wasm)');
  const tiny = { seed: 5, width: 64, height: 64, steps: 1, guidance: 3, negativePrompt: '' };
  const counts = (testid: string) => page.getByTestId(testid).getByRole('listitem');
  const long = (tail: string) => `${'a '.repeat(80)}${tail}`;

  await generate(page, { ...tiny, prompt: 'a photo of a cat' });
  await expect(counts('prompt-tokens')).toHaveText(['5/75']);
  await expect(counts('negative-tokens')).toHaveText(['0/75']);
  const plain = await newestPixels(page);

  await generate(page, { prompt: '(a photo of a cat:1)' });
  expect(maxChannelDiff(await newestPixels(page), plain), 'weights of 1 leave the image as the plain prompt made it').toBe(0);

  await generate(page, { prompt: 'a photo of a (cat:1.5)' });
  await expect(page.getByTestId('prompt-tokens').getByLabel('Weights')).toContainText('cat×1.5');
  expect(maxChannelDiff(await newestPixels(page), plain), '(cat:1.5) changes the image').toBeGreaterThan(0);

  await generate(page, { prompt: long('cat') });
  await expect(counts('prompt-tokens')).toHaveText(['75/75', '6/75']);
  const cat = await newestPixels(page);
  await generate(page, { prompt: long('dog') });
  expect(maxChannelDiff(await newestPixels(page), cat), 'a word after token 75 changes the image').toBeGreaterThan(0);

  await page.getByLabel('Prompt', { exact: true }).fill('(a:abc) [unclosed');
  await expect(page.getByTestId('prompt-tokens')).toContainText('":abc" is not a weight');
  await expect(page.getByTestId('prompt-tokens')).toContainText('One "[" never closed');
});
