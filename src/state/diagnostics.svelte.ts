import { loadRecord, saveRecord } from './persist.ts';
import { MAX_EVENTS, type DiagnosticEvent } from './report.ts';

const EVENTS_KEY = 'diagnostics';

/** Start, recovery and error events of this and earlier sessions, bounded and saved. */
class DiagnosticsState {
  events = $state.raw<DiagnosticEvent[]>([]);

  async restore(): Promise<void> {
    const raw = await loadRecord(EVENTS_KEY);
    const list = typeof raw === 'object' && raw !== null && 'value' in raw && Array.isArray(raw.value) ? raw.value : [];
    // Events are informational: keep the ones that look like events, silently.
    const saved = list.filter((event): event is DiagnosticEvent => typeof event === 'object' && event !== null && typeof event.kind === 'string' && typeof event.at === 'number');
    this.events = [...saved, ...this.events].slice(-MAX_EVENTS);
  }

  record(event: DiagnosticEvent): void {
    this.events = [...this.events, event].slice(-MAX_EVENTS);
    void saveRecord(EVENTS_KEY, this.events);
  }
}

export const diagnostics = new DiagnosticsState();
