/**
 * Times a recovery to its end: the supervisor reports a restart once the model
 * is loaded again, but the user waits until the first resumed step, which
 * compiles shaders anew. Pure.
 */
import type { SupervisorEvent } from '../engine/supervisor.ts';
import type { DiagnosticEvent } from './report.ts';

type Recovered = Extract<SupervisorEvent, { kind: 'recovered' }>;

export class RecoveryTimer {
  #pending: { event: Recovered; at: number } | undefined;

  recovered(event: Recovered, now = performance.now()): void {
    this.#pending = { event, at: now };
  }

  /** On the first step after a recovery, the diagnostics event that completes it; otherwise `undefined`. */
  stepped(now = performance.now()): DiagnosticEvent | undefined {
    if (!this.#pending) return undefined;
    const { event, at } = this.#pending;
    this.#pending = undefined;
    const resumeMs = now - at;
    return { kind: 'recovery', at: Date.now(), reason: event.reason, backoffMs: event.backoffMs, ...event.startup, resumeMs, totalMs: event.ms + resumeMs, resumedAtStep: event.resumedAtStep, steps: event.steps };
  }
}
