/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { createPromptService } from './prompt-service.ts';

installErrorTransfer();
expose(createPromptService());
