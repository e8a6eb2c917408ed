import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { PORT, portFor } from '../playwright.config.ts';
import { tinyModelFiles } from '../scripts/make-tiny-model.ts';
import { manifest } from '../scripts/tiny-model/configs.ts';
import { listFiles, startModelServer, type ModelServer } from './model-server.ts';
import { maxChannelDiff, meanChannelDiff } from './pixels.ts';
import { armFault, chooseBackend, dropFile, fillForm, galleryImages, generate, lastUnetRuns, newestPixels, openStudio, pasteFile, waitForStep } from './studio.ts';
import { gradientPng } from './test-pngs.ts';

// One page for the whole file: each test goes on from the gallery, form and backend the one before left.
// wasm runs every job but the WebGPU ones, which SwiftShader makes 50-80x slower.
const JOB = { prompt: 'a lighthouse at dusk', width: 64, height: 64, steps: 4, guidance: 3, seed: 5 };
const SIZE = 64;
const INPAINTING = 'Tiny inpainting';
const NO_ENCODER = 'Tiny no-encoder';
const PASS_THROUGH = 'Tiny pass-through';

let page: Page;
let server: ModelServer;
/** The text-to-image picture every job here starts from. */
let picture: number[];
/** The picture reworked at strength 0.5 on WebGPU and on wasm, and the 4-channel UNet's inpainting of its right side on wasm. */
let webgpuImg2img: number[];
let img2img: number[];
let inpainted: number[];

test.describe.configure({ mode: 'serial' });
test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ baseURL: `http://127.0.0.1:${PORT}/` });
  server = await startModelServer(portFor(4339));
  const serve = (id: string, name: string, files: Map<string, Uint8Array>) => server.add(id, { manifest: manifest(id, name, listFiles(files)), files });
  serve('inpainting', INPAINTING, tinyModelFiles(1, { inpainting: true }));
  serve('no-encoder', NO_ENCODER, tinyModelFiles(1, { vaeEncoder: false }));
  serve('pass-through', PASS_THROUGH, tinyModelFiles(1, { passThrough: true }));
});
test.afterAll(async () => {
  await page.close();
  await server.close();
});

const chooseInput = (name: string, mimeType: string, buffer: Buffer) => page.getByLabel('Choose input image').setInputFiles({ name, mimeType, buffer });
const inputMessage = () => page.getByTestId('input-message');
const strength = () => page.getByLabel('Denoising strength');
const inpaint = () => page.getByLabel('Inpaint (repaint only the masked region)');

/** Strokes of the brush across the mask from x = `from` to `to` (fractions of its width) at each `rows` height. */
async function paint(from: number, to: number, rows: number[]): Promise<void> {
  const box = (await page.getByTestId('mask-painter').boundingBox())!;
  for (const y of rows) {
    await page.mouse.move(box.x + box.width * from, box.y + box.height * y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * to, box.y + box.height * y, { steps: 4 });
    await page.mouse.up();
  }
}

/** The mask covers the right side; pixels beyond it and its 4 px blur (x < 20) must be the input's, byte for byte. */
function expectKeptOutsideMask(pixels: number[], what: string): void {
  expect(pixels.length, `${what}: ${SIZE}×${SIZE}`).toBe(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    const row = (from: number[]) => from.slice(y * SIZE * 4, (y * SIZE + 20) * 4);
    expect(maxChannelDiff(row(pixels), row(picture)), `${what}: row ${y}, left of the mask`).toBe(0);
  }
  expect(maxChannelDiff(pixels.slice(-8 * 4), picture.slice(-8 * 4)), `${what}: the masked corner changed`).toBeGreaterThan(0);
}

/** Starts the form's job, holds it after `step`, reloads, and expects it resumed there to the same `reference` image. */
async function reloadMidJob(step: number, reference: number[]): Promise<void> {
  const before = await galleryImages(page).count();
  await armFault(page, 'hang', step);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForStep(page, step);
  await page.reload();
  await expect(page.getByTestId('notice').first()).toContainText(`Resuming the interrupted job at step ${step} of ${JOB.steps}.`);
  await expect(galleryImages(page)).toHaveCount(before + 1);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  expect(await lastUnetRuns(page), 'only the remaining steps ran').toBe(JOB.steps - step);
  expect(maxChannelDiff(await newestPixels(page), reference), 'the resumed job ends on the same image').toBe(0);
  await expect(page.getByTestId('input-thumb'), 'the input is still in the form').toBeVisible();
}

/** Runs the form's job with the GPU device destroyed after `step`; it must recover and end on `reference`. */
async function loseDeviceMidJob(step: number, reference: number[]): Promise<void> {
  const before = await galleryImages(page).count();
  await armFault(page, 'destroy-device', step);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryImages(page)).toHaveCount(before + 1);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByTestId('notice').last()).toContainText(`resumed at step ${step} of ${JOB.steps}.`);
  expect(await lastUnetRuns(page), 'only the remaining steps ran after recovery').toBe(JOB.steps - step);
  expect(maxChannelDiff(await newestPixels(page), reference), 'the resumed image equals the uninterrupted one').toBe(0);
}

test('on WebGPU: a picture from a file, a drop, a paste or the viewer, bad files refused; img2img and inpainting, a device lost mid-job resumes to the same image', async () => {
  await openStudio(page);
  await expect(page.getByTestId('backend')).toContainText('WebGPU');
  await fillForm(page, JOB);

  await chooseInput('notes.txt', 'text/plain', Buffer.from('not a picture'));
  await expect(inputMessage()).toContainText('notes.txt (text/plain) is not an image this browser can read');
  await chooseInput('broken.png', 'image/png', Buffer.from([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3, 4]));
  await expect(inputMessage()).toContainText('broken.png (image/png) is not an image this browser can read');
  await expect(page.getByTestId('input-thumb')).toHaveCount(0);

  // A plain picture dropped on the page has no settings to restore: it is offered as the input.
  expect(await dropFile(page, gradientPng(SIZE, SIZE), 'plain.png', 'image/png')).toBe(true);
  await expect(page.getByTestId('png-import')).toHaveText('This PNG carries no generation parameters.');
  await page.getByRole('button', { name: 'Use plain.png as input' }).click();
  await expect(inputMessage()).toHaveText('plain.png: 64×64.');
  await expect(page.getByTestId('input-thumb')).toBeVisible();

  // Dropped on the input itself, a huge picture with transparency is scaled down and flattened.
  expect(await dropFile(page, gradientPng(8000, 8000, { alpha: true }), 'huge.png', 'image/png', '[data-testid="input-drop"]')).toBe(true);
  await expect(inputMessage()).toHaveText('huge.png: 8000×8000, cropped and scaled to 64×64, its transparent pixels were filled with white, as AUTOMATIC1111 does.');
  // Pasted from the clipboard (Ctrl+V), a picture replaces the input too.
  await pasteFile(page, gradientPng(32, 48), 'image/png');
  await expect(inputMessage()).toHaveText('the pasted image: 32×48, cropped and scaled to 64×64.');

  // A picture in the form makes every job start from it: removed, the next job is text to image again.
  await page.getByRole('button', { name: 'Remove input' }).click();
  await generate(page);
  picture = await newestPixels(page);

  // "Use as input" from the viewer: the first image, exactly, is the input.
  await page.getByRole('button', { name: `View image with seed ${JOB.seed}` }).click();
  await page.getByRole('button', { name: 'Use as input' }).click();
  await expect(inputMessage()).toHaveText(`Image with seed ${JOB.seed}: 64×64.`);
  await strength().fill('0.5');
  await expect(page.getByTestId('strength-steps')).toHaveText('Runs 2 of 4 steps (int(steps × strength)).');
  await generate(page);
  expect(await lastUnetRuns(page), 'strength 0.5 of 4 steps runs 2').toBe(2);
  webgpuImg2img = await newestPixels(page);
  expect(maxChannelDiff(webgpuImg2img, picture), 'the picture was reworked').toBeGreaterThan(0);
  await loseDeviceMidJob(3, webgpuImg2img);

  // A mask image of another size is scaled; then a painted mask of the right side replaces it.
  await inpaint().check();
  await page.getByLabel('Load mask image').setInputFiles({ name: 'small-mask.png', mimeType: 'image/png', buffer: gradientPng(32, 32) });
  await expect(inputMessage()).toHaveText('Mask from small-mask.png, scaled from 32×32 to 64×64.');
  await page.getByRole('button', { name: 'Clear mask' }).click();
  await page.getByLabel('Brush size').fill('24');
  await paint(0.75, 1, [0.1, 0.3, 0.5, 0.7, 0.9]);
  await paint(0.05, 0.2, [0.5]);
  await page.getByRole('button', { name: 'Undo stroke' }).click();
  await generate(page);
  const webgpuInpainted = await newestPixels(page);
  expectKeptOutsideMask(webgpuInpainted, 'inpainted on WebGPU');
  await loseDeviceMidJob(3, webgpuInpainted);
});

test('on wasm: the same pixels as WebGPU, the same seed repeats exactly, also in low-memory mode and through a worker crash, SD-Turbo\'s steps × strength rule; a reload mid-job resumes inpainting and img2img with the form restored; the PNG brings back strength and mask blur', async () => {
  await chooseBackend(page, 'CPU (wasm)');
  await inpaint().uncheck();
  await generate(page);
  img2img = await newestPixels(page);
  expect(maxChannelDiff(img2img, webgpuImg2img), 'WebGPU and wasm agree within 2/255').toBeLessThanOrEqual(2);
  await generate(page);
  expect(maxChannelDiff(await newestPixels(page), img2img), 'same seed, same pixels').toBe(0);
  // Low-memory mode holds one network at a time; the VAE encoder is one more of them.
  await page.getByLabel('Low-memory mode').check();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await generate(page);
  expect(maxChannelDiff(await newestPixels(page), img2img), 'low-memory mode makes the same image').toBe(0);
  await page.getByLabel('Low-memory mode').uncheck();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');

  // A worker crash mid-img2img: a new worker resumes from the checkpoint, picture included, to the same image.
  const before = await galleryImages(page).count();
  await armFault(page, 'throw', 3);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryImages(page)).toHaveCount(before + 1);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  // The worker's error event usually wins; when it is late, the watchdog notices the broken worker instead (as in recovery.spec.ts).
  await expect(page.getByTestId('notice').last()).toContainText(/(The engine crashed .*|The engine stopped responding\. .*)resumed at step [34] of 4\./);
  expect(await lastUnetRuns(page), 'at most the one step left ran again').toBeLessThanOrEqual(1);
  expect(maxChannelDiff(await newestPixels(page), img2img), 'the resumed image equals the uninterrupted one').toBe(0);

  await strength().fill('0.2');
  await expect(page.getByTestId('strength-steps')).toContainText('Runs no step: steps × strength must be at least 1');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'steps × strength' })).toContainText('it needs steps × strength ≥ 1 (strength 0.25 or more, or more steps)');

  await strength().fill('1');
  await inpaint().check();
  await generate(page);
  inpainted = await newestPixels(page);
  expectKeptOutsideMask(inpainted, 'inpainted');

  await reloadMidJob(2, inpainted);
  await expect(inpaint()).toBeChecked();
  await expect(page.getByTestId('mask-painter')).toBeVisible();
  // The form's picture, mask and strength came back too: the same job again makes the same image.
  await generate(page);
  expect(maxChannelDiff(await newestPixels(page), inpainted), 'the restored form makes the same image').toBe(0);

  // Its PNG carries the strength and the mask blur: dropped after they changed, it brings them back and keeps the form's picture.
  await page.getByRole('button', { name: `View image with seed ${JOB.seed}` }).first().click();
  const viewer = page.getByRole('dialog', { name: `Image with seed ${JOB.seed}` });
  const [download] = await Promise.all([page.waitForEvent('download'), viewer.getByRole('link', { name: 'Download PNG' }).click()]);
  const png = await readFile(await download.path());
  await page.keyboard.press('Escape');
  await strength().fill('0.5');
  await page.getByLabel('Mask blur').fill('9');
  expect(await dropFile(page, png, 'inpainted.png', 'image/png')).toBe(true);
  await expect(page.getByTestId('png-import')).toHaveText(
    'Settings restored from the PNG. It was made from a picture, which the PNG does not hold: the input image in the form stays as it is.',
  );
  await expect(strength()).toHaveValue('1');
  await expect(page.getByLabel('Mask blur')).toHaveValue('4');
  await expect(page.getByTestId('input-thumb')).toBeVisible();

  await inpaint().uncheck();
  await strength().fill('0.5');
  await reloadMidJob(3, img2img);
});

test('a model without a VAE encoder turns the input off and says why; a 9-channel inpainting UNet keeps the pixels outside the mask; low strength stays near the input', async () => {
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  for (const [id, name] of [['no-encoder', NO_ENCODER], ['inpainting', INPAINTING], ['pass-through', PASS_THROUGH]]) {
    await page.getByLabel('Manifest URL').fill(server.manifestUrl(id));
    await page.getByRole('button', { name: 'Add by URL' }).click();
    await page.getByRole('button', { name: `Download ${name}`, exact: true }).click();
    await expect(page.getByRole('listitem', { name, exact: true }).getByTestId('model-state')).toHaveText('cached on this device');
  }
  const use = async (name: string) => {
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    await page.getByRole('button', { name: `Use ${name}`, exact: true }).click();
    await expect(page.getByTestId('model')).toContainText(name);
    await expect(page.getByTestId('engine-state')).toHaveText('Ready');
    await page.getByRole('button', { name: 'Studio', exact: true }).click();
  };

  await use(NO_ENCODER);
  await expect(page.getByTestId('input-unsupported')).toHaveText(
    `${NO_ENCODER} has no VAE encoder (vae_encoder/model.onnx), so it cannot start from a picture: image to image and inpainting are off.`,
  );
  await expect(page.getByLabel('Choose input image')).toBeDisabled();
  await expect(strength()).toBeDisabled();
  await expect(inpaint()).toBeDisabled();

  await use(INPAINTING);
  await expect(page.getByTestId('input-drop')).toContainText('This is an inpainting model: it needs a mask.');
  // A model brings its own default size; the picture and the mask follow the size back.
  await fillForm(page, { width: SIZE, height: SIZE });
  await expect(inputMessage()).toHaveText(`Image with seed ${JOB.seed}: 64×64.`);
  await inpaint().check();
  await generate(page);
  const nineChannel = await newestPixels(page);
  expectKeptOutsideMask(nineChannel, 'inpainted by the 9-channel UNet');
  expect(maxChannelDiff(nineChannel, inpainted), 'the 9-channel UNet paints its own picture').toBeGreaterThan(0);

  // A model that keeps what it is given (scripts/make-tiny-model.ts, passThrough): the result is the input plus the noise the strength added.
  await use(PASS_THROUGH);
  await fillForm(page, { width: SIZE, height: SIZE });
  await expect(inputMessage()).toHaveText(`Image with seed ${JOB.seed}: 64×64.`);
  await inpaint().uncheck();
  const departure: Record<string, number> = {};
  for (const value of ['0.25', '1']) {
    await strength().fill(value);
    await generate(page);
    departure[value] = meanChannelDiff(await newestPixels(page), picture);
  }
  console.log(`pass-through model: mean channel difference from the input ${departure['0.25'].toFixed(1)}/255 at strength 0.25, ${departure['1'].toFixed(1)}/255 at 1`);
  expect(departure['1'], 'strength 1 departs from the input, strength 0.25 stays near it').toBeGreaterThan(4 * departure['0.25']);
});
