/** A static host that serves the build wrongly gets an error naming the cause and the fix, not a broken model. */
import { expect, test } from '@playwright/test';
import { DIST, portFor } from '../playwright.config.ts';
import { serve } from '../scripts/serve.ts';

test("a host that serves ORT's .mjs as text/plain: the runtime could not start, why, and what the host must do", async ({ page }) => {
  const port = portFor(4318);
  // Older nginx mime.types has no mjs entry; a host then sends its default type.
  const server = await serve({ dir: DIST, port, isolate: true, types: { '.mjs': 'text/plain' } });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const error = page.getByRole('alert');
    await expect(error).toContainText(/^The ONNX runtime could not start: the site sends ort-wasm-simd-threaded\.jspi-[\w-]+\.mjs as "text\/plain"/);
    await expect(error).toContainText('The site must serve .mjs files as text/javascript');
    await expect(error).not.toContainText('not a usable ONNX model');
  } finally {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});
