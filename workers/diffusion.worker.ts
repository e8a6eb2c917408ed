/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { createEngine } from './engine.ts';
import { createFaultHooks } from './faults.ts';
import { installFetchProbe } from './fetch-probe.ts';

installErrorTransfer();
// Vite replaces import.meta.env.MODE at build time, so production tree-shakes the fault module and the probe away.
if (import.meta.env.MODE === 'e2e') installFetchProbe('diffusion');
const hooks = import.meta.env.MODE === 'e2e' ? createFaultHooks() : {};
expose(createEngine(hooks));
