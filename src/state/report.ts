/** Diagnostics events and the bug-report text built from them. Pure: no DOM, no Svelte. */
import type { EngineInfo } from '../shared/protocol.ts';

export type DiagnosticEvent =
  | { kind: 'start'; at: number; modelId: string; backend: string; workerStartMs: number; loadMs: number }
  | {
      kind: 'recovery';
      at: number;
      reason: string;
      workerStartMs: number;
      loadMs: number;
      /** From the restarted worker being ready to the first resumed step. */
      resumeMs: number;
      /** From noticing the failure to the first resumed step, back-off included. */
      totalMs: number;
      resumedAtStep: number;
      steps: number;
    }
  | { kind: 'error'; at: number; message: string };

/** How many events are kept across sessions. */
export const MAX_EVENTS = 100;

export interface ReportInput {
  info: EngineInfo | undefined;
  modelName: string | undefined;
  events: DiagnosticEvent[];
  userAgent: string;
  heapBytes?: number;
  extra?: Record<string, string>;
}

const ms = (value: number) => `${Math.round(value)} ms`;

/** One line per event, for the panel and the report. */
export function describeDiagnostic(event: DiagnosticEvent): string {
  const when = new Date(event.at).toISOString();
  switch (event.kind) {
    case 'start':
      return `${when} start: ${event.modelId} on ${event.backend}, worker ${ms(event.workerStartMs)}, sessions ${ms(event.loadMs)}`;
    case 'recovery':
      return `${when} recovery: ${event.reason} worker ${ms(event.workerStartMs)}, sessions ${ms(event.loadMs)}, first resumed step ${ms(event.resumeMs)}, total ${ms(event.totalMs)}; resumed at step ${event.resumedAtStep} of ${event.steps}`;
    case 'error':
      return `${when} error: ${event.message}`;
  }
}

/** The text "Copy report" puts on the clipboard. */
export function buildReport({ info, modelName, events, userAgent, heapBytes, extra = {} }: ReportInput): string {
  const adapter = info?.adapter;
  const lines = [
    'Hearth diagnostics',
    `Browser: ${userAgent}`,
    `Backend: ${info ? info.backend : 'not started'}${info?.fallbackReason ? ` (${info.fallbackReason})` : ''}`,
    `Adapter: ${adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.description}`.trim() : 'none'}`,
    `Features: ${adapter ? adapter.features.join(', ') || 'none' : 'n/a'}`,
    `Limits: ${adapter ? `maxBufferSize ${adapter.maxBufferSize}, maxStorageBufferBindingSize ${adapter.maxStorageBufferBindingSize}` : 'n/a'}`,
    `onnxruntime-web: ${info?.ortVersion ?? 'n/a'}; cross-origin isolated: ${info?.crossOriginIsolated ?? 'n/a'}; wasm threads: ${info?.threads ?? 'n/a'}`,
    `Model: ${modelName ?? 'none'}`,
    `JS heap: ${heapBytes === undefined ? 'not reported by this browser' : `${(heapBytes / 2 ** 20).toFixed(1)} MiB`}`,
    ...Object.entries(extra).map(([key, value]) => `${key}: ${value}`),
    `Events (newest last, ${events.length}):`,
    ...events.map((event) => `  ${describeDiagnostic(event)}`),
  ];
  return lines.join('\n');
}
