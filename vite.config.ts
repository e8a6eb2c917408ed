import { defineConfig, type Plugin } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import packageJson from './package.json' with { type: 'json' };

/** Headers that make the page cross-origin isolated, so ORT's wasm can use threads. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * index.html's Content-Security-Policy guards builds; the dev server injects
 * CSS as inline <style> tags the policy forbids
 * (https://vite.dev/guide/features#content-security-policy-csp), so dev drops it.
 */
const devWithoutCsp: Plugin = {
  name: 'hearth-dev-without-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, ''),
};

export default defineConfig({
  // Relative by default so the build works from any folder of any static host.
  base: process.env.HEARTH_BASE ?? './',
  plugins: [
    svelte(),
    devWithoutCsp,
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'workers',
      filename: 'sw.ts',
      // src/pwa.svelte.ts registers it and runs the update prompt.
      injectRegister: false,
      manifest: {
        name: 'Hearth',
        short_name: 'Hearth',
        description: packageJson.description,
        lang: 'en',
        theme_color: '#16181d',
        background_color: '#16181d',
        display: 'standalone',
        // Relative to the manifest, so any folder of any host works.
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      // The glob below already takes every icon.
      includeManifestIcons: false,
      injectManifest: {
        // The shell, worker bundles, ORT's wasm and .mjs, the tiny model and the catalog.
        globPatterns: ['**/*.{html,js,mjs,css,wasm,json,onnx,txt,png}'],
        // ORT's asyncify wasm is about 26 MB (its JSPI one 17 MB); the build fails rather than leave out a bigger one.
        maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
      },
    }),
  ],
  // Shown in the footer so a deploy can tell which version a page runs; e2e builds two to test updates.
  // HEARTH_STORAGE_BUFFER_CACHE: a bench-only build variant (workers/runtime/session-options.ts).
  define: {
    'import.meta.env.HEARTH_BUILD_ID': JSON.stringify(process.env.HEARTH_BUILD_ID ?? packageJson.version),
    'import.meta.env.HEARTH_STORAGE_BUFFER_CACHE': JSON.stringify(process.env.HEARTH_STORAGE_BUFFER_CACHE ?? ''),
  },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  // ORT's files must reach the worker as they are; pre-bundling breaks its wasm lookup.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // gpu-buffers.test.ts checks that a collected buffer is forgotten.
    execArgv: ['--expose-gc'],
  },
});
