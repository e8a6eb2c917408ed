/// <reference lib="webworker" />
import { expose } from 'comlink';
import { installErrorTransfer } from '../src/shared/comlink-errors.ts';
import { createStoreService } from './store/service.ts';

installErrorTransfer();
expose(createStoreService());
