/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { installFetchProbe } from './fetch-probe.ts';
import { createPromptService } from './prompt-service.ts';

installErrorTransfer();
// Vite replaces import.meta.env.MODE at build time, so production tree-shakes the probe away.
if (import.meta.env.MODE === 'e2e') installFetchProbe('prompt');
expose(createPromptService());
