/** Diagnostics events and the bug-report text built from them. Pure: no DOM, no Svelte. */
import type { EngineInfo } from '../shared/backend.ts';
import type { EngineMemory, RunTimings } from '../shared/engine-api.ts';
import { networkLabel, type NetworkName } from '../shared/networks.ts';
import type { MemoryOptions } from '../shared/settings.ts';

/** How the current model was loaded, per component: where from (a cache hit is `indexeddb`) and how long it took. */
export interface LoadReport {
  from: 'indexeddb' | 'network';
  components: { component: NetworkName; ms: number; readMs: number; bytes: number }[];
}

/** The last finished job's timings. */
export interface JobTimings extends RunTimings {
  /** Each denoising step of the job, in order. */
  stepMs: number[];
}


export type DiagnosticEvent =
  | ({ kind: 'start'; at: number; modelId: string; backend: string } & LoadTimings)
  | ({
      kind: 'recovery';
      at: number;
      reason: string;
      /** The wait before the restart; absent in events saved before it was recorded. */
      backoffMs?: number;
      /** From the restarted worker being ready to the first resumed step. */
      resumeMs: number;
      /** From noticing the failure to the first resumed step, back-off included. */
      totalMs: number;
      resumedAtStep: number;
      steps: number;
    } & LoadTimings)
  | { kind: 'error'; at: number; message: string };

/** A worker's start and its model's load, as the supervisor's `StartupTimings` give them. */
interface LoadTimings {
  workerStartMs: number;
  /** Reading the weights and creating the sessions. */
  loadMs: number;
  /** The part of `loadMs` spent reading the weights; absent in events saved before it was recorded. */
  readMs?: number;
}

/** Worker start, reading weights and session creation, as a report line tells them. */
function loadParts({ workerStartMs, loadMs, readMs }: LoadTimings): string {
  const load = readMs === undefined ? `sessions ${ms(loadMs)}` : `reading weights ${ms(readMs)}, sessions ${ms(loadMs - readMs)}`;
  return `worker ${ms(workerStartMs)}, ${load}`;
}

/** How many events are kept across sessions. */
export const MAX_EVENTS = 100;

export interface ReportInput {
  info: EngineInfo | undefined;
  modelName: string | undefined;
  events: DiagnosticEvent[];
  userAgent: string;
  heapBytes?: number;
  memoryOptions: MemoryOptions;
  /** `undefined` before the engine answered. */
  memory?: EngineMemory;
  load?: LoadReport;
  lastJob?: JobTimings;
}

const ms = (value: number) => `${Math.round(value)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** One resident model per entry: `tiny-test (text encoder, UNet, VAE decoder, VAE encoder)`. */
export function describeResident(memory: EngineMemory | undefined): string[] {
  return (memory?.resident ?? []).map(({ modelId, components }) => `${modelId} (${components.length > 0 ? components.map(networkLabel).join(', ') : 'no session alive'})`);
}

export function describeGpuBuffers(memory: EngineMemory | undefined): string {
  if (!memory) return 'unknown until the engine answers';
  if (!memory.gpuBuffers) return 'none: the engine runs on the CPU (wasm)';
  return `${mib(memory.gpuBuffers.bytes)} in ${memory.gpuBuffers.count} buffers`;
}

function describeLoad(load: LoadReport): string {
  const parts = load.components.map(({ component, ms: total, readMs, bytes }) => `${networkLabel(component)} ${ms(total)} (read ${ms(readMs)}, ${mib(bytes)})`);
  return `from ${load.from}: ${parts.join('; ')}`;
}

function describeJob(job: JobTimings): string {
  const steps = job.stepMs;
  const stepText =
    steps.length > 0
      ? `; steps: first ${ms(steps[0])}, mean ${ms(steps.reduce((sum, step) => sum + step, 0) / steps.length)}, slowest ${ms(Math.max(...steps))}`
      : '';
  return `${ms(job.totalMs)}, ${ms(job.sessionRunMs)} in session.run, ${job.unetRuns} UNet runs${stepText}; ${job.previews} previews, ${ms(job.previewMs)}`;
}

/** One line per event, for the panel and the report. */
export function describeDiagnostic(event: DiagnosticEvent): string {
  const when = new Date(event.at).toISOString();
  switch (event.kind) {
    case 'start':
      return `${when} start: ${event.modelId} on ${event.backend}, ${loadParts(event)}`;
    case 'recovery': {
      const backoff = event.backoffMs === undefined ? '' : `back-off ${ms(event.backoffMs)}, `;
      return `${when} recovery: ${event.reason} ${backoff}${loadParts(event)}, first resumed step ${ms(event.resumeMs)}, total ${ms(event.totalMs)}; resumed at step ${event.resumedAtStep} of ${event.steps}`;
    }
    case 'error':
      return `${when} error: ${event.message}`;
  }
}

/** The text "Copy report" puts on the clipboard. */
export function buildReport({ info, modelName, events, userAgent, heapBytes, memoryOptions, memory, load, lastJob }: ReportInput): string {
  const resident = describeResident(memory);
  const adapter = info?.adapter;
  const lines = [
    'Hearth diagnostics',
    `Browser: ${userAgent}`,
    `Backend: ${info ? info.backend : 'not started'}${info?.fallbackReason ? ` (${info.fallbackReason})` : ''}`,
    `Adapter: ${adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim() : 'none'}`,
    `Features: ${adapter ? adapter.features.join(', ') || 'none' : 'n/a'}`,
    `Limits: ${adapter ? `maxBufferSize ${adapter.maxBufferSize}, maxStorageBufferBindingSize ${adapter.maxStorageBufferBindingSize}` : 'n/a'}`,
    `onnxruntime-web: ${info ? `${info.ortVersion} (${info.ortBuild === 'jspi' ? 'JSPI' : 'asyncify'} build)` : 'n/a'}; cross-origin isolated: ${info?.crossOriginIsolated ?? 'n/a'}; wasm threads: ${info?.threads ?? 'n/a'}`,
    `Model: ${modelName ?? 'none'}`,
    `Memory mode: ${memoryOptions.lowMemory ? 'low-memory (one network at a time)' : 'normal (all networks loaded)'}; models kept loaded: ${memoryOptions.residentModels}`,
    `Resident models: ${memory ? resident.join('; ') || 'none' : 'unknown until the engine answers'}`,
    `GPU buffers (the app's device): ${describeGpuBuffers(memory)}`,
    `JS heap: ${heapBytes === undefined ? 'not reported by this browser' : mib(heapBytes)}`,
    `Last load: ${load ? describeLoad(load) : 'none yet'}`,
    `Last job: ${lastJob ? describeJob(lastJob) : 'none yet'}`,
    `Events (newest last, ${events.length}):`,
    ...events.map((event) => `  ${describeDiagnostic(event)}`),
  ];
  return lines.join('\n');
}
