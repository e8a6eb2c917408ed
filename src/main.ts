import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { installFaultControls } from './engine/faults.ts';
import { pwa } from './pwa.svelte.ts';
import { studio } from './state/studio.svelte.ts';

if (import.meta.env.MODE === 'e2e') installFaultControls();

mount(App, { target: document.getElementById('app')! });
void studio.start();
void pwa.register();
