import { expect, test, type Page } from '@playwright/test';
import { maxChannelDiff } from './pixels.ts';
import { armFault, chooseBackend, galleryImages, generate, lastUnetRuns, newestPixels, openStudio, waitForStep } from './studio.ts';

const JOB = { prompt: 'a lighthouse at dusk', width: 64, height: 64, steps: 4, guidance: 3, seed: 5 };
const SIZE = 64;

/** A PNG made in the page: `size`² pixels, a gradient, transparent on its left quarter when `alpha`. */
async function pagePng(page: Page, size: number, alpha: boolean): Promise<Buffer> {
  const base64 = await page.evaluate(
    async ([side, transparent]) => {
      const canvas = new OffscreenCanvas(side, side);
      const context = canvas.getContext('2d')!;
      const gradient = context.createLinearGradient(0, 0, side, side);
      gradient.addColorStop(0, '#204080');
      gradient.addColorStop(1, '#f0c020');
      context.fillStyle = gradient;
      context.fillRect(0, 0, side, side);
      if (transparent) context.clearRect(0, 0, side / 4, side);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    },
    [size, alpha] as const,
  );
  return Buffer.from(base64, 'base64');
}

const chooseInput = (page: Page, name: string, mimeType: string, buffer: Buffer) =>
  page.getByLabel('Choose input image').setInputFiles({ name, mimeType, buffer });
const inputMessage = (page: Page) => page.getByTestId('input-message');

/** Strokes of a 24 px brush across the mask from x = `from` to `to` (fractions of its width) at each `rows` height. */
async function paint(page: Page, from: number, to: number, rows: number[]): Promise<void> {
  const box = (await page.getByTestId('mask-painter').boundingBox())!;
  for (const y of rows) {
    await page.mouse.move(box.x + box.width * from, box.y + box.height * y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * to, box.y + box.height * y, { steps: 4 });
    await page.mouse.up();
  }
}

test('image to image and inpainting: steps from strength, exact repeats, pixels kept outside the mask, a reload mid-job, bad files', async ({ page }) => {
  test.setTimeout(420_000);
  await openStudio(page);
  await generate(page, JOB);
  const picture = await newestPixels(page);

  // Bad files leave the form as it was, each with its reason.
  await chooseInput(page, 'notes.txt', 'text/plain', Buffer.from('not a picture'));
  await expect(inputMessage(page)).toContainText('notes.txt (text/plain) is not an image this browser can read');
  await chooseInput(page, 'broken.png', 'image/png', Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3, 4]));
  await expect(inputMessage(page)).toContainText('broken.png (image/png) is not an image this browser can read');
  await expect(page.getByTestId('input-thumb')).toHaveCount(0);
  await chooseInput(page, 'huge.png', 'image/png', await pagePng(page, 8000, true));
  await expect(inputMessage(page)).toHaveText(
    'huge.png: 8000×8000, cropped and scaled to 64×64, its transparent pixels were filled with white, as AUTOMATIC1111 does.',
  );

  // "Use as input" from the viewer: the first image, exactly, is the input.
  await page.getByRole('button', { name: `View image with seed ${JOB.seed}` }).click();
  await page.getByRole('button', { name: 'Use as input' }).click();
  await expect(inputMessage(page)).toHaveText(`Image with seed ${JOB.seed}: 64×64.`);
  await page.getByLabel('Denoising strength').fill('0.5');
  await expect(page.getByTestId('strength-steps')).toHaveText('Runs 2 of 4 steps (int(steps × strength)).');
  await generate(page);
  expect(await lastUnetRuns(page), 'strength 0.5 of 4 steps runs 2').toBe(2);
  const webgpu = await newestPixels(page);
  expect(maxChannelDiff(webgpu, picture), 'the picture was reworked').toBeGreaterThan(0);
  await generate(page);
  expect(maxChannelDiff(await newestPixels(page), webgpu), 'same seed, same pixels').toBe(0);
  await chooseBackend(page, 'CPU (wasm)');
  await generate(page);
  expect(maxChannelDiff(await newestPixels(page), webgpu), 'WebGPU and wasm agree within 2/255').toBeLessThanOrEqual(2);
  await chooseBackend(page, 'Auto (WebGPU if available)');

  // SD-Turbo's rule: steps × strength must reach 1.
  await page.getByLabel('Denoising strength').fill('0.2');
  await expect(page.getByTestId('strength-steps')).toContainText('Runs no step: steps × strength must be at least 1');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'steps × strength' })).toContainText('it needs steps × strength ≥ 1 (strength 0.25 or more, or more steps)');

  // A mask image of another size is scaled; then a painted mask of the right quarter replaces it.
  await page.getByLabel('Denoising strength').fill('1');
  await page.getByLabel('Inpaint (repaint only the masked region)').check();
  await page.getByLabel('Load mask image').setInputFiles({ name: 'small-mask.png', mimeType: 'image/png', buffer: await pagePng(page, 32, false) });
  await expect(inputMessage(page)).toHaveText('Mask from small-mask.png, scaled from 32×32 to 64×64.');
  await page.getByRole('button', { name: 'Clear mask' }).click();
  await page.getByLabel('Brush size').fill('24');
  await paint(page, 0.75, 1, [0.1, 0.3, 0.5, 0.7, 0.9]);
  await paint(page, 0.05, 0.2, [0.5]);
  await page.getByRole('button', { name: 'Undo stroke' }).click();

  // Pixels beyond the mask and its 4 px blur (x < 20 here) are the picture's, byte for byte.
  await generate(page);
  const inpainted = await newestPixels(page);
  for (let y = 0; y < SIZE; y++) {
    const row = (from: number[]) => from.slice(y * SIZE * 4, (y * SIZE + 20) * 4);
    expect(maxChannelDiff(row(inpainted), row(picture)), `row ${y}, left of the mask`).toBe(0);
  }
  expect(maxChannelDiff(inpainted.slice(-8 * 4), picture.slice(-8 * 4)), 'the masked corner changed').toBeGreaterThan(0);

  // A reload mid-job resumes the inpainting job and leaves picture and mask in the form.
  const before = await galleryImages(page).count();
  await armFault(page, 'hang', 2);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, 2);
  await page.reload();
  await expect(page.getByTestId('notice').first()).toContainText('Resuming the interrupted job at step 2 of 4.');
  await expect(galleryImages(page)).toHaveCount(before + 1, { timeout: 180_000 });
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  expect(await lastUnetRuns(page)).toBe(2);
  expect(maxChannelDiff(await newestPixels(page), inpainted), 'the resumed job ends on the same image').toBe(0);
  await expect(page.getByTestId('input-thumb')).toBeVisible();
  await expect(page.getByLabel('Inpaint (repaint only the masked region)')).toBeChecked();
  await expect(page.getByTestId('mask-painter')).toBeVisible();
});
