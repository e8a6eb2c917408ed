/**
 * How long a job may go without progress before the supervisor counts its
 * engine as hung. A fixed allowance cannot serve both a 420 KB test model on a
 * GPU and an 866M-parameter UNet on the CPU: a real-size step at 64x64 took
 * 17 s on wasm, and one at 512x512 does 64 times the work (docs/real-size.md).
 * Killing a step that was only slow loses the job, since every retry is as
 * slow; noticing a real hang late only delays its recovery. So both the
 * first step's allowance and the stall floor grow with the step's work and
 * the processor.
 */
import type { EngineInfo } from '../shared/backend.ts';
import type { Job } from '../shared/job.ts';
import type { ModelManifest } from '../shared/model.ts';
import { networkBytes } from '../shared/networks.ts';

/** Work of one UNet step: parameters times latent pixels times the batch (2 with classifier-free guidance). */
export function stepWork(job: Pick<Job, 'settings'>, manifest: Pick<ModelManifest, 'files' | 'precision'>): number {
  const unetBytes = networkBytes(manifest.files.map((file) => ({ path: file.path, bytes: file.size }))).find((size) => size.network === 'unet')?.bytes ?? 0;
  const params = unetBytes / (manifest.precision === 'fp16' ? 2 : 4);
  const { width, height, guidance } = job.settings;
  return params * (width / 8) * (height / 8) * (guidance > 1 ? 2 : 1);
}

/** SD 1.5's UNet at 512x512 with guidance: what the fixed first-step allowance was set for on a GPU. */
const GPU_REFERENCE_WORK = 860e6 * 64 * 64 * 2;

/**
 * Milliseconds of CPU time per unit of work, from the real-shape SD-Turbo UNet
 * (866M parameters) at 64x64: 17.3 s per step on wasm in Chromium on a loaded
 * 2-core machine (docs/real-size.md).
 */
const CPU_MS_PER_WORK = 17_300 / (866e6 * 8 * 8);
/**
 * SwiftShader, a WebGPU adapter that runs on the CPU, against wasm: the
 * real-shape SD-Turbo UNet at 64x64 took 742 s a step there against 17.3 s on
 * wasm (docs/real-size.md), 43 times, and a step after the first was as slow,
 * so it is not shader compilation.
 */
const SWIFTSHADER_SLOWDOWN = 43;
/** How far past the expected time a step on the CPU may run: machines differ, and a busy one is slower still. */
const CPU_MARGIN = 10;

/** Whether the engine computes on a GPU, on the CPU through wasm, or on the CPU through a software WebGPU adapter. */
export function processorOf(info: Pick<EngineInfo, 'backend' | 'adapter'> | undefined): 'gpu' | 'wasm' | 'software-gpu' {
  if (info?.backend === 'wasm') return 'wasm';
  return info?.adapter?.isFallbackAdapter ? 'software-gpu' : 'gpu';
}

/**
 * Milliseconds a step of `work` may go without progress: `floorMs` on a GPU
 * up to SD 1.5 at 512x512 and proportionally more beyond; on the CPU, ten
 * times what the measured rate predicts, and never less than `floorMs`. The
 * supervisor passes its first-step allowance as the floor for a first step
 * (it compiles shaders) and its stall floor for later ones.
 */
export function stepAllowanceMs(work: number, processor: ReturnType<typeof processorOf>, floorMs: number): number {
  if (processor === 'gpu') return floorMs * Math.max(1, work / GPU_REFERENCE_WORK);
  const slowdown = processor === 'software-gpu' ? SWIFTSHADER_SLOWDOWN : 1;
  return Math.max(floorMs, CPU_MARGIN * slowdown * work * CPU_MS_PER_WORK);
}
