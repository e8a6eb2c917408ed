import { expect as baseExpect, type Page } from '@playwright/test';
import type { FaultPlan, StepFault } from '../src/shared/faults.ts';
import type { GenerationSettings } from '../src/shared/settings.ts';

// Generation on SwiftShader WebGPU takes seconds to minutes; the bench uses these helpers outside the runner too.
const expect = baseExpect.configure({ timeout: 180_000 });

export interface FormValues {
  prompt?: string;
  negativePrompt?: string;
  seed?: number;
  steps?: number;
  width?: number;
  height?: number;
  guidance?: number;
}

const LABELS: Record<keyof FormValues, string> = {
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  seed: 'Seed',
  steps: 'Steps',
  width: 'Width',
  height: 'Height',
  guidance: 'Guidance',
};

/** Opens the app and waits until the engine says Ready. */
export async function openStudio(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
}

export async function fillForm(page: Page, values: FormValues): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await page.getByLabel(LABELS[key as keyof FormValues], { exact: true }).fill(String(value));
  }
}

export const galleryImages = (page: Page) => page.getByRole('region', { name: 'Gallery' }).getByRole('img');

/** Presses Generate and waits for one more image in the gallery. */
export async function generate(page: Page, values: FormValues = {}): Promise<void> {
  await fillForm(page, values);
  const before = await galleryImages(page).count();
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(galleryImages(page)).toHaveCount(before + 1);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
}

/** RGBA bytes of the newest gallery image at full size (the grid shows thumbnails), read back through a canvas. */
export async function newestPixels(page: Page): Promise<number[]> {
  const full = await galleryImages(page).first().getAttribute('data-full');
  if (!full) throw new Error('the newest gallery image names no full-size PNG (data-full)');
  return page.evaluate(async (url) => {
    const element = new Image();
    element.src = url;
    await element.decode();
    const canvas = document.createElement('canvas');
    canvas.width = element.naturalWidth;
    canvas.height = element.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(element, 0, 0);
    return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
  }, full);
}

/** Adds a model by its manifest URL in the Models view, downloads it, uses it and returns to the Studio. */
export async function addDownloadAndUse(page: Page, manifestUrl: string, name: string): Promise<void> {
  const card = page.getByRole('listitem', { name, exact: true });
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await page.getByLabel('Manifest URL').fill(manifestUrl);
  await page.getByRole('button', { name: 'Add by URL' }).click();
  await card.getByRole('button', { name: `Download ${name}`, exact: true }).click();
  await expect(card.getByTestId('model-state')).toHaveText('cached on this device');
  await card.getByRole('button', { name: `Use ${name}`, exact: true }).click();
  await expect(page.getByTestId('model')).toContainText(name);
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await page.getByRole('button', { name: 'Studio', exact: true }).click();
}

/** Chooses a backend in the form and waits for the engine to come back. */
export async function chooseBackend(page: Page, label: 'Auto (WebGPU if available)' | 'WebGPU' | 'CPU (wasm)'): Promise<void> {
  await page.getByLabel('Backend').selectOption({ label });
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
}

/** Records every value the progress bar shows, for assertions after it is gone. */
export async function recordProgress(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: number[] = ((window as unknown as { __progress: number[] }).__progress = []);
    new MutationObserver(() => {
      const bar = document.querySelector('progress');
      if (bar && seen[seen.length - 1] !== bar.value) seen.push(bar.value);
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
}

export const progressSeen = (page: Page): Promise<number[]> =>
  page.evaluate(() => (window as unknown as { __progress: number[] }).__progress.slice());

/** Waits until the progress bar shows at least `step`. */
export async function waitForStep(page: Page, step: number, timeout?: number): Promise<void> {
  const bar = page.getByRole('progressbar', { name: 'Generation progress' });
  await expect.poll(async () => Number((await bar.getAttribute('value').catch(() => null)) ?? -1), { timeout }).toBeGreaterThanOrEqual(step);
}

/** Arms a fault in the e2e build's worker (see workers/faults.ts). */
export async function armFault(page: Page, kind: StepFault['kind'], afterStep: number): Promise<void> {
  await arm(page, { kind, afterStep });
}

/** Makes the next model load in the live worker never end. */
export async function armLoadHang(page: Page): Promise<void> {
  await arm(page, { kind: 'hang-load' });
}

async function arm(page: Page, plan: FaultPlan): Promise<void> {
  await page.evaluate((p) => (window as unknown as { hearthFaults: { arm(p: FaultPlan): void } }).hearthFaults.arm(p), plan);
}

/** The UNet runs of the last finished job, as the timings line reports them. */
export async function lastUnetRuns(page: Page): Promise<number> {
  const text = await page.getByTestId('timings').textContent();
  return Number(/\((\d+) UNet runs\)/.exec(text ?? '')?.[1]);
}

/** Writes one job straight into the saved queue, as an earlier session would have left it; it shows after a reload. */
export async function saveQueuedJob(page: Page, job: { id: string; modelId: string; settings: Partial<GenerationSettings>; checkpoint?: unknown }): Promise<void> {
  const settings = { negativePrompt: '', guidance: 3, scheduler: 'euler', batchCount: 1, ...job.settings };
  await page.evaluate(async (saved) => {
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('hearth-state');
      open.onsuccess = () => {
        const tx = open.result.transaction('state', 'readwrite');
        tx.objectStore('state').put({ schema: 2, value: [saved] }, 'queue');
        tx.oncomplete = () => (open.result.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    });
  }, { ...job, settings, createdAt: 1 });
}

/** Pastes a file as Ctrl+V with it on the clipboard would: a `paste` event on the page, carrying the file. */
export function pasteFile(page: Page, bytes: Uint8Array, type: string): Promise<void> {
  return page.evaluate(
    ({ base64, type }) => {
      const clipboard = new DataTransfer();
      clipboard.items.add(new File([Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))], 'clipboard', { type }));
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }));
    },
    { base64: Buffer.from(bytes).toString('base64'), type },
  );
}

/**
 * Drops a file on the page as a user's drag would, on `target` (a CSS selector; the page's main area unless told);
 * resolves to whether the page took it (cancelled the drop).
 */
export function dropFile(page: Page, bytes: Uint8Array, name: string, type: string, target = 'main'): Promise<boolean> {
  return page.evaluate(
    ({ base64, name, type, target }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))], name, { type }));
      const element = document.querySelector(target)!;
      const event = (kind: string) => new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true });
      element.dispatchEvent(event('dragover'));
      return !element.dispatchEvent(event('drop'));
    },
    { base64: Buffer.from(bytes).toString('base64'), name, type, target },
  );
}
