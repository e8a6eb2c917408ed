import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../e2e/model-server.ts';
import { BASE_ARGS, WEBGPU_ARGS, executablePath } from '../playwright.config.ts';
import { writeBigModel } from './big-model.ts';

/** Chromium on a profile on disk, as a user's: IndexedDB writes reach the disk, and a relaunch starts warm. */
export async function launch(profile: string, baseURL: string): Promise<[BrowserContext, Page]> {
  const context = await chromium.launchPersistentContext(profile, { executablePath, args: [...BASE_ARGS, ...WEBGPU_ARGS], baseURL });
  return [context, context.pages()[0] ?? (await context.newPage())];
}

/** The 1 GiB bench model (`big-model.ts`) served by a local model host on `port`, and a fresh profile folder to store it in. */
export async function serveOneGibModel(port: number) {
  const model = writeBigModel(join(tmpdir(), 'hearth-bench-1gib'));
  const server = await startModelServer(port);
  server.add(model.manifest.id, model);
  return { manifest: model.manifest, server, profile: mkdtempSync(join(tmpdir(), 'hearth-bench-profile-')) };
}
