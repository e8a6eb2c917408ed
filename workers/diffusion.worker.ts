/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { createEngine } from './engine.ts';
import { createFaultHooks } from './faults.ts';

installErrorTransfer();
// Vite replaces import.meta.env.MODE at build time, so production tree-shakes the fault module away.
const hooks = import.meta.env.MODE === 'e2e' ? createFaultHooks() : {};
expose(createEngine(hooks));
