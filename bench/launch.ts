import { chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../e2e/model-server.ts';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';
import { writeBigModel } from './big-model.ts';

/**
 * Chromium on a profile on disk, as a user's: IndexedDB writes reach the disk, and a relaunch starts warm.
 * `exposeGc` gives pages and workers `gc()`, for memory readings after a collection (`rss.ts`).
 */
export async function launch(profile: string, baseURL: string, { exposeGc = false } = {}): Promise<[BrowserContext, Page]> {
  const args = [...BASE_ARGS, ...WEBGPU_ARGS, ...(exposeGc ? ['--js-flags=--expose-gc'] : [])];
  const context = await chromium.launchPersistentContext(profile, { executablePath, args, baseURL });
  // tsx compiles the functions benches evaluate with esbuild's keepNames, whose `__name` helper pages lack.
  await context.addInitScript({ content: 'self.__name = (f) => f;' });
  return [context, context.pages()[0] ?? (await context.newPage())];
}

/** The 1 GiB bench model (`big-model.ts`) served by a local model host on `port`, and a fresh profile folder to store it in. */
export async function serveOneGibModel(port: number) {
  const model = writeBigModel(join(tmpdir(), 'hearth-bench-1gib'));
  const server = await startModelServer(port);
  server.add(model.manifest.id, model);
  return { manifest: model.manifest, server, profile: mkdtempSync(join(tmpdir(), 'hearth-bench-profile-')) };
}

/** Adds the model at `manifestUrl` on the Models view, downloads it and makes it the model in use, waiting (10 minutes at most each) until it is loaded. */
export async function addAndDownload(page: Page, manifestUrl: string, name: string): Promise<void> {
  const patient = expect.configure({ timeout: 600_000 });
  const card = page.getByRole('listitem', { name, exact: true });
  await page.getByRole('button', { name: 'Models', exact: true }).click();
  await page.getByLabel('Manifest URL').fill(manifestUrl);
  await page.getByRole('button', { name: 'Add by URL' }).click();
  await card.getByRole('button', { name: `Download ${name}` }).click();
  await patient(card.getByTestId('model-state')).toHaveText('cached on this device');
  await card.getByRole('button', { name: `Use ${name}` }).click();
  await patient(page.getByTestId('model')).toContainText(name);
  await patient(page.getByTestId('engine-state')).toHaveText('Ready');
}
