import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { studio } from './state/studio.svelte.ts';

mount(App, { target: document.getElementById('app')! });
void studio.start();
