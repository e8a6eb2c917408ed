import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';

/** Chromium on a profile on disk, as a user's: IndexedDB writes reach the disk, and a relaunch starts warm. */
export async function launch(profile: string, baseURL: string): Promise<[BrowserContext, Page]> {
  const context = await chromium.launchPersistentContext(profile, { executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS], baseURL });
  return [context, context.pages()[0] ?? (await context.newPage())];
}
