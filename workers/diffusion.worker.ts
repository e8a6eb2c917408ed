/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { createEngine } from './engine.ts';

installErrorTransfer();
expose(createEngine());
