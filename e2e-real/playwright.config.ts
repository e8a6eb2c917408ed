/**
 * `npm run test:real`: Hearth on models of real size (docs/real-size.md). Too
 * heavy for CI (5 GB models, minutes of SwiftShader per image), so apart from
 * e2e/: `npm test` never runs these. The production build, as users get it:
 * the e2e build's 1 s store-worker hang limit fires while a busy machine
 * hashes a 64 MiB chunk.
 */
import { defineConfig } from '@playwright/test';
import base, { portFor } from '../playwright.config.ts';

/** Its own port: a server left on the e2e port would serve the e2e build. */
export const REAL_PORT = portFor(4174);

export default defineConfig({
  ...base,
  testDir: '.',
  // One real-size model's download, loads on two backends and four images: a
  // real-size UNet step on SwiftShader took 742 s here, and the SD-Turbo test
  // ran past 90 minutes inside its third image (docs/real-size.md).
  timeout: 4 * 60 * 60_000,
  expect: { timeout: 30 * 60_000 },
  reporter: 'list',
  globalSetup: './clear-metrics.ts',
  globalTeardown: './write-report.ts',
  webServer: { command: `tsx scripts/serve.ts --dir dist --port ${REAL_PORT}`, url: `http://127.0.0.1:${REAL_PORT}/`, reuseExistingServer: false, cwd: '..' },
});
