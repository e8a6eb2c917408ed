import { describe, expect, it } from 'vitest';
import { buildReport, describeDiagnostic } from './report.ts';

describe('diagnostics report', () => {
  it('names the adapter, the model and the last recovery', () => {
    const report = buildReport({
      info: {
        backend: 'webgpu',
        ortVersion: '1.30.0',
        ortBuild: 'jspi',
        crossOriginIsolated: true,
        threads: 4,
        adapter: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true, features: ['shader-f16'], maxBufferSize: 1024, maxStorageBufferBindingSize: 512 },
      },
      modelName: 'Tiny test model',
      userAgent: 'UA',
      memoryOptions: { lowMemory: true, residentModels: 2 },
      memory: { resident: [{ modelId: 'tiny-test', lowMemory: true, components: ['unet'] }, { modelId: 'other', lowMemory: true, components: [] }], gpuBuffers: { count: 3, bytes: 3 * 2 ** 20, peakBytes: 3 * 2 ** 20 } },
      load: { from: 'indexeddb', components: [{ component: 'textEncoder', ms: 12.4, readMs: 3, bytes: 2 ** 20 }] },
      lastJob: { totalMs: 100, sessionRunMs: 90, unetRuns: 2, previews: 1, previewMs: 5, stepMs: [40, 10] },
      events: [
        { kind: 'recovery', at: 0, reason: 'The GPU was reset by the browser.', backoffMs: 1000, workerStartMs: 100.4, loadMs: 200, readMs: 30, resumeMs: 50, totalMs: 1350, resumedAtStep: 2, steps: 4 },
      ],
    });
    expect(report).toContain('Adapter: google swiftshader');
    expect(report).toContain('Features: shader-f16');
    expect(report).toContain('onnxruntime-web: 1.30.0 (JSPI build); cross-origin isolated: true; wasm threads: 4');
    expect(report).toContain('Model: Tiny test model');
    expect(report).toContain(
      '1970-01-01T00:00:00.000Z recovery: The GPU was reset by the browser. back-off 1000 ms, worker 100 ms, reading weights 30 ms, sessions 170 ms, first resumed step 50 ms, total 1350 ms; resumed at step 2 of 4',
    );
    expect(report).toContain('JS heap: not reported by this browser');
    expect(report).toContain('Memory mode: low-memory (one network at a time); models kept loaded: 2');
    expect(report).toContain('Resident models: tiny-test (UNet); other (no session alive)');
    expect(report).toContain("GPU buffers (the app's device): 3.0 MiB in 3 buffers");
    expect(report).toContain('Last load: from indexeddb: text encoder 12 ms (read 3 ms, 1.0 MiB)');
    expect(report).toContain('Last job: 100 ms, 90 ms in session.run, 2 UNet runs; steps: first 40 ms, mean 25 ms, slowest 40 ms');
  });

  it('describes a recovery saved before its back-off and reading were recorded', () => {
    const event = { kind: 'recovery', at: 0, reason: 'The GPU was reset by the browser.', workerStartMs: 100, loadMs: 200, resumeMs: 50, totalMs: 1350, resumedAtStep: 2, steps: 4 } as const;
    expect(describeDiagnostic(event)).toBe('1970-01-01T00:00:00.000Z recovery: The GPU was reset by the browser. worker 100 ms, sessions 200 ms, first resumed step 50 ms, total 1350 ms; resumed at step 2 of 4');
  });

  it('says when the engine fell back to wasm and why', () => {
    const report = buildReport({
      info: { backend: 'wasm', fallbackReason: 'no adapter', ortVersion: 'x', ortBuild: 'asyncify', crossOriginIsolated: false, threads: 1 },
      modelName: undefined,
      userAgent: 'UA',
      events: [],
      memoryOptions: { lowMemory: false, residentModels: 1 },
      memory: { resident: [] },
    });
    expect(report).toContain('Backend: wasm (no adapter)');
    expect(report).toContain('onnxruntime-web: x (asyncify build)');
    expect(report).toContain('Resident models: none');
    expect(report).toContain("GPU buffers (the app's device): none: the engine runs on the CPU (wasm)");
    expect(report).toContain('Adapter: none');
  });

  it('describes errors', () => expect(describeDiagnostic({ kind: 'error', at: 0, message: 'boom' })).toBe('1970-01-01T00:00:00.000Z error: boom'));
});
