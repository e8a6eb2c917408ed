import type { Checkpoint } from './checkpoint.ts';
import type { GeneratedImage } from './job.ts';
import type { NetworkName } from './networks.ts';

/**
 * What the live view draws for a step: RGBA bytes posted as a transferable, so
 * the page takes the worker's buffer instead of a copy, and draws it as is.
 */
export interface Preview {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** Progress of engine work, one variant per phase; numbers, not prose. */
export type Progress =
  | {
      phase: 'download';
      modelId: string;
      /** The file in flight and its bytes received so far; `loaded` never decreases. */
      file: string;
      fileLoaded: number;
      fileTotal: number;
      /** Bytes of the whole model, files stored earlier included. */
      loaded: number;
      total: number;
      /** `Date.now()` when measured, so the UI can derive the rate and the time left. */
      at: number;
    }
  | {
      phase: 'load';
      component: NetworkName;
      index: number;
      count: number;
      /** Reading the files plus creating the session. */
      ms: number;
      /** Reading the `.onnx` bytes (and opening its external data) from where `from` says. */
      readMs: number;
      bytes: number;
      /** `indexeddb`: a cache hit in the model store; `network`: fetched from the app's server. */
      from: 'indexeddb' | 'network';
    }
  | { phase: 'encode'; jobId: string }
  /** Low-memory mode released the previous network and is creating `component`'s session. */
  | { phase: 'swap'; jobId: string; component: NetworkName }
  | {
      phase: 'denoise';
      jobId: string;
      imageIndex: number;
      step: number;
      steps: number;
      stepMs: number;
      /** Whether a `preview` of this step follows; the preview setting skips some steps. */
      previewing: boolean;
      checkpoint: Checkpoint;
    }
  /** The preview decoder's full-size image of a step, or a cheap latent-to-RGB view at latent resolution. */
  | { phase: 'preview'; jobId: string; imageIndex: number; step: number; previewMs: number; preview: Preview }
  | { phase: 'decode'; jobId: string; imageIndex: number }
  /** A finished image, sent at once so a later crash cannot lose it; `pixels` are its RGBA, for the live view. */
  | { phase: 'image'; jobId: string; image: GeneratedImage; pixels: Preview }
  | { phase: 'done'; jobId: string };
