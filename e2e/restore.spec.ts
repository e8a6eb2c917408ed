import { expect, test, type Page } from '@playwright/test';
import { galleryImages, openStudio, saveQueuedJob } from './studio.ts';

/** Records every value the prompt box shows from its first frame on, before any script of the test can act. */
function recordPromptValues(): void {
  const seen: string[] = [];
  (window as unknown as { promptValues: string[] }).promptValues = seen;
  new MutationObserver(() => {
    const box = document.querySelector<HTMLTextAreaElement>('textarea[name="prompt"]');
    if (box && seen.at(-1) !== box.value) seen.push(box.value);
  }).observe(document, { childList: true, subtree: true, attributes: true });
}

test('after a reload the form shows the saved prompt from its first frame, and what is typed at once is kept', async ({ page }) => {
  await openStudio(page);
  await page.getByLabel('Prompt', { exact: true }).fill('a saved lighthouse');
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          new Promise((resolve) => {
            const open = indexedDB.open('hearth-state');
            open.onsuccess = () => {
              const read = open.result.transaction('state').objectStore('state').get('settings');
              read.onsuccess = () => (open.result.close(), resolve(read.result?.value?.prompt));
            };
          }),
      ),
    )
    .toBe('a saved lighthouse');

  await page.addInitScript(recordPromptValues);
  await page.reload();
  const prompt = page.getByLabel('Prompt', { exact: true });
  // A user types as soon as the box takes input.
  await expect(prompt).toBeEditable();
  await prompt.press('End');
  await prompt.pressSequentially(' at dusk');
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  const seen = await page.evaluate(() => (window as unknown as { promptValues: string[] }).promptValues);
  expect(seen[0], 'the prompt box showed the saved prompt from its first frame').toBe('a saved lighthouse');
  await expect(prompt).toHaveValue('a saved lighthouse at dusk');
});

/**
 * Holds the page's settings store in a read-write transaction that never ends,
 * so the app's next save waits behind it: as a save waited behind a real-size
 * model's reads when test:real run 12 reloaded 0.75 s after ticking
 * Low-memory mode, and the reload aborted it.
 */
async function holdSettingsStore(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const open = indexedDB.open('hearth-state');
        open.onsuccess = () => {
          const store = open.result.transaction('state', 'readwrite').objectStore('state');
          const spin = () => (store.get('held').onsuccess = spin);
          spin();
          resolve();
        };
      }),
  );
}

test('a setting changed just before a reload survives it, though its IndexedDB write had not landed', async ({ page }) => {
  await openStudio(page);
  await holdSettingsStore(page);
  await page.getByLabel('Low-memory mode').check();
  await page.getByLabel('Prompt', { exact: true }).fill('typed just before the reload');
  await page.reload();
  await expect(page.getByTestId('engine-state')).toHaveText('Ready');
  await expect(page.getByLabel('Low-memory mode')).toBeChecked();
  await expect(page.getByLabel('Prompt', { exact: true })).toHaveValue('typed just before the reload');
});

test('a saved job whose checkpoint does not fit this build starts again from step 0, with a notice', async ({ page }) => {
  await openStudio(page);
  await saveQueuedJob(page, {
    id: 'old-build-job',
    modelId: 'tiny-test',
    settings: { prompt: 'left by an older build', seed: 5, steps: 2, width: 64, height: 64 },
    checkpoint: { build: 'an-older-build', jobId: 'old-build-job', imageIndex: 0, step: 1 },
  });
  await page.reload();
  await expect(page.getByTestId('notice').filter({ hasText: 'left by an older build' })).toHaveText(
    'The saved progress of "left by an older build" could not be used (it was written by another version of Hearth (an-older-build)); it starts again from step 0.',
  );
  await expect(galleryImages(page)).toHaveCount(1);
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0);
});
