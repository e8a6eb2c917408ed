/** Faults the e2e build can inject (see `workers/faults.ts`); production builds never use these. */
export type FaultPlan = { kind: 'destroy-device' | 'throw' | 'hang' | 'out-of-memory'; afterStep: number };

/** A BroadcastChannel reaches whichever worker is alive, without an API method for it. */
export const FAULT_CHANNEL = 'hearth-faults';

/** The e2e build's store worker fetches a URL asked on this channel and answers how it went (`workers/store/fetch-probe.ts`). */
export const STORE_PROBE_CHANNEL = 'hearth-store-probe';

export type StoreProbeMessage = { kind: 'fetch'; url: string } | { kind: 'fetched'; url: string; result: string };
