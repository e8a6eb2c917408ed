import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { readParameters, withParameters } from '../src/shared/png-parameters.ts';
import { dropFile, fillForm, galleryImages, generate, newestPixels, openStudio } from './studio.ts';

const SMALL = { width: 128, height: 128, steps: 2 };
const MADE = { ...SMALL, prompt: 'a lighthouse at dusk', negativePrompt: 'fog', seed: 1234, guidance: 2.5 };
const PARAMETERS = 'a lighthouse at dusk\nNegative prompt: fog\nSteps: 2, Sampler: Euler a, CFG scale: 2.5, Seed: 1234, Size: 128x128, Model: tiny-test';
const OTHER = { prompt: 'something else', negativePrompt: '', seed: 7, steps: 3, width: 64, height: 192, guidance: 1 };
const FIELDS = ['prompt', 'negativePrompt', 'seed', 'steps', 'width', 'height', 'guidance', 'scheduler'] as const;

/** The form's values as the inputs show them. */
const formValues = (page: Page) =>
  page.getByRole('form', { name: 'Generation settings' }).evaluate(
    (form: HTMLFormElement, names) => Object.fromEntries(names.map((name) => [name, (form.elements.namedItem(name) as HTMLInputElement).value])),
    [...FIELDS],
  );

const asShown = (values: Record<string, string | number>) => Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));

/** A PNG from the browser's own encoder, with no text chunks. */
async function plainPng(page: Page): Promise<Uint8Array> {
  const url = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 8;
    canvas.getContext('2d')!.fillRect(0, 0, 4, 4);
    return canvas.toDataURL('image/png');
  });
  return new Uint8Array(Buffer.from(url.split(',')[1], 'base64'));
}

/** The type of every thumbnail saved in IndexedDB (where persist.ts keeps images), read the way the app stores them. */
const savedThumbnailTypes = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('hearth-gallery');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('images').objectStore('images').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => resolve(all.result.map((record: { value: { thumb?: Blob } }) => record.value.thumb?.type ?? 'none'));
        };
      }),
  );
const importMessage = (page: Page) => page.getByTestId('png-import');

test('a downloaded PNG carries its settings; dropping it back or reusing them fills the form', async ({ page }) => {
  await openStudio(page);
  await page.getByLabel('Sampler').selectOption('euler-a');
  await generate(page, MADE);
  const image = galleryImages(page).first();
  await expect(image).toHaveAttribute('loading', 'lazy');
  expect(await image.getAttribute('src'), 'the grid shows the thumbnail, not the PNG').not.toBe(await image.getAttribute('data-full'));

  await page.getByRole('button', { name: 'View image with seed 1234' }).click();
  const viewer = page.getByRole('dialog', { name: 'Image with seed 1234' });
  await expect(viewer.getByRole('img', { name: MADE.prompt })).toBeVisible();
  expect(await viewer.getByTestId('image-parameters').textContent()).toBe(PARAMETERS);
  const [download] = await Promise.all([page.waitForEvent('download'), viewer.getByRole('link', { name: 'Download PNG' }).click()]);
  expect(download.suggestedFilename()).toBe('hearth-1234-a-lighthouse-at-dusk.png');
  const png = new Uint8Array(await readFile(await download.path()));
  expect(await readParameters(png)).toBe(PARAMETERS);
  await page.keyboard.press('Escape');
  await expect(viewer).toHaveCount(0);

  const made = asShown({ ...MADE, scheduler: 'euler-a' });
  await fillForm(page, OTHER);
  await page.getByLabel('Sampler').selectOption('ddim');
  expect(await dropFile(page, png, download.suggestedFilename(), 'image/png'), 'the drop is taken, not opened by the browser').toBe(true);
  await expect(importMessage(page)).toHaveText('Settings restored from the PNG.');
  expect(await formValues(page)).toEqual(made);

  await fillForm(page, OTHER);
  await page.getByRole('button', { name: 'View image with seed 1234' }).click();
  await viewer.getByRole('button', { name: 'Reuse settings' }).click();
  await expect(viewer).toHaveCount(0);
  expect(await formValues(page)).toEqual(made);

  await page.getByRole('button', { name: 'Delete image with seed 1234' }).click();
  await expect(galleryImages(page)).toHaveCount(0);
});

test('files without settings change nothing; hostile settings stay text and are clamped', async ({ page }) => {
  await openStudio(page);
  await fillForm(page, OTHER);
  const before = await formValues(page);
  const plain = await plainPng(page);

  expect(await dropFile(page, plain, 'plain.png', 'image/png')).toBe(true);
  await expect(importMessage(page)).toHaveText('This PNG carries no generation parameters.');
  expect(await formValues(page)).toEqual(before);

  const input = page.getByLabel('Open PNG settings');
  await input.setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('Steps: 50, Sampler: Euler, Seed: 1') });
  await expect(importMessage(page)).toHaveText('This file is not a PNG.');
  expect(await formValues(page)).toEqual(before);

  const hostile = [
    '<img src=x onerror="window.__pwned=1">',
    'Negative prompt: <script>window.__pwned=2</script>',
    'Steps: 99999, Sampler: Euler a, CFG scale: 1000, Seed: 5, Size: 99999x99999, <img src=y onerror="window.__pwned=3">, Hires upscale: 2, Model: evil',
  ].join('\n');
  await input.setInputFiles({ name: 'evil.png', mimeType: 'image/png', buffer: Buffer.from(withParameters(plain, hostile)) });
  await expect(importMessage(page)).toHaveText(
    'Settings restored from the PNG. It was made with the model "evil"; the loaded model stays. Not applied: <img src=y onerror="window.__pwned=3">; Hires upscale: 2.',
  );
  expect(await formValues(page)).toEqual(
    asShown({ prompt: '<img src=x onerror="window.__pwned=1">', negativePrompt: '<script>window.__pwned=2</script>', seed: 5, steps: 100, width: 512, height: 512, guidance: 30, scheduler: 'euler-a' }),
  );
  expect(await page.evaluate(() => '__pwned' in window), 'no markup from the file ran').toBe(false);
  await expect(page.locator('img[src="x"], img[src="y"], script:not([src])')).toHaveCount(0);
});

/** Counts the images the page itself decodes into bitmaps (thumbnails it makes from PNGs). */
function countPageDecodes(): void {
  const record = window as unknown as { pageDecodes: number };
  record.pageDecodes = 0;
  const decode = window.createImageBitmap.bind(window) as (...args: unknown[]) => Promise<ImageBitmap>;
  window.createImageBitmap = ((...args: unknown[]) => (record.pageDecodes++, decode(...args))) as typeof window.createImageBitmap;
}

test('images survive a reload; delete and clear all (after confirming) remove them for good', async ({ page }) => {
  await page.addInitScript(countPageDecodes);
  await openStudio(page);
  await generate(page, { ...SMALL, width: 384, prompt: 'first', seed: 1 });
  await generate(page, { width: 128, prompt: 'second', seed: 2 });
  expect(await page.evaluate(() => (window as unknown as { pageDecodes: number }).pageDecodes), 'the worker sent the thumbnails; the page decoded no PNG').toBe(0);

  await openStudio(page);
  await expect(galleryImages(page)).toHaveCount(2);
  await expect(galleryImages(page).first()).toHaveAttribute('alt', 'second');
  expect(await savedThumbnailTypes(page), 'thumbnails are saved with the images').toEqual(['image/webp', 'image/webp']);

  await page.getByRole('button', { name: 'View image with seed 2' }).click();
  await page.getByRole('dialog', { name: 'Image with seed 2' }).getByRole('button', { name: 'Delete' }).click();
  await expect(galleryImages(page)).toHaveCount(1);
  const thumb = galleryImages(page).first();
  await expect(thumb).toHaveJSProperty('naturalWidth', 256);
  await expect(thumb).toHaveJSProperty('naturalHeight', 85);
  expect((await newestPixels(page)).length, 'the full-size PNG is kept').toBe(384 * 128 * 4);

  const clearAll = page.getByRole('button', { name: 'Clear all' });
  const confirm = page.getByRole('alertdialog', { name: 'Clear the gallery?' });
  await clearAll.click();
  await expect(confirm).toContainText('Delete all 1 image? This cannot be undone.');
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await clearAll.click();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(galleryImages(page)).toHaveCount(1);

  await clearAll.click();
  await confirm.getByRole('button', { name: 'Delete all' }).click();
  await expect(galleryImages(page)).toHaveCount(0);
  await expect(clearAll).toBeDisabled();

  await openStudio(page);
  await expect(page.getByText('Generated images appear here.')).toBeVisible();
  await expect(galleryImages(page)).toHaveCount(0);
});
