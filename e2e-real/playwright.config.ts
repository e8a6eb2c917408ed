/**
 * `npm run test:real`: Hearth on models of real size (docs/real-size.md). Too
 * heavy for CI (5 GB models, minutes of SwiftShader per image), so apart from
 * e2e/: `npm test` never runs these. Same browser and app build as e2e.
 */
import { defineConfig } from '@playwright/test';
import base, { DIST, PORT } from '../playwright.config.ts';

export default defineConfig({
  ...base,
  testDir: '.',
  // One real-size model's download, loads on two backends and four images.
  timeout: 90 * 60_000,
  expect: { timeout: 30 * 60_000 },
  reporter: 'list',
  globalTeardown: './write-report.ts',
  webServer: { command: `tsx scripts/serve.ts --dir ${DIST} --port ${PORT}`, url: `http://127.0.0.1:${PORT}/`, reuseExistingServer: true, cwd: '..' },
});
