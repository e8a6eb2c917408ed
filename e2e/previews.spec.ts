import { expect, test, type Page } from '@playwright/test';
import { fractionDifferent } from './pixels.ts';
import { generate, newestPixels, openStudio } from './studio.ts';

interface Frame {
  frame: string;
  width: number;
  height: number;
  pixels: number[];
}

/** Records every frame the live view draws, read back from its canvas as soon as it names the frame. */
async function recordFrames(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const frames: Frame[] = ((window as unknown as { __frames: Frame[] }).__frames = []);
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        const canvas = mutation.target as HTMLCanvasElement;
        if (mutation.attributeName !== 'data-frame' || !canvas.dataset.frame) continue;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        frames.push({ frame: canvas.dataset.frame, width: canvas.width, height: canvas.height, pixels: Array.from(data) });
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-frame'] });
  });
}

const framesSeen = (page: Page): Promise<Frame[]> => page.evaluate(() => (window as unknown as { __frames: Frame[] }).__frames.slice());

test('every step shows a preview, and the finished image replaces the last one in place; the setting is kept', async ({ page }) => {
  await recordFrames(page);
  await openStudio(page);
  await page.getByRole('combobox', { name: 'Previews' }).selectOption({ label: 'Every step' });
  await generate(page, { width: 128, height: 128, steps: 3, guidance: 3, prompt: 'a photo of a cat', seed: 5 });

  const frames = await framesSeen(page);
  expect(frames.map((f) => f.frame)).toEqual(['step-1', 'step-2', 'step-3', 'image-0']);
  // The built-in model has no preview decoder: previews are the latent approximation, at latent size (128 / 8).
  expect(frames.map((f) => [f.width, f.height])).toEqual([[16, 16], [16, 16], [16, 16], [128, 128]]);
  for (let i = 1; i < 3; i++) expect(fractionDifferent(frames[i].pixels, frames[i - 1].pixels), `step ${i + 1} differs from step ${i}`).toBeGreaterThan(0.2);
  expect(frames[3].pixels, 'the live view ends on the finished image itself').toEqual(await newestPixels(page));

  await page.getByRole('combobox', { name: 'Previews' }).selectOption({ label: 'Off' });
  await generate(page, { seed: 6 });
  expect((await framesSeen(page)).slice(4).map((f) => f.frame), 'no previews when off, only the finished image').toEqual(['image-0']);

  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByRole('combobox', { name: 'Previews' }), 'the setting is kept').toHaveValue('off');
});
