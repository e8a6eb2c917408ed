import { Workbox } from 'workbox-window';
import { studio } from './state/studio.svelte.ts';

/** Set for the tab's session once it reloaded to become cross-origin isolated, so it never reloads twice. */
const ISOLATION_RELOAD_KEY = 'hearth-isolation-reload';
const UPDATE_CHECK_MS = 60 * 60 * 1000;
const SETTLE_MS = 1000;
const WAITING_CHECK_MS = 200;

/**
 * Resolves once the queue has had nothing to run for SETTLE_MS (jobs that
 * failed or wait for their model wait for the user, not for the update). A job
 * leaves the queue only once its images and the queue are saved; the settle
 * time lets a job the user queues just then start before the page goes.
 */
function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    const stop = $effect.root(() => {
      $effect(() => {
        if (studio.jobs.busy) return;
        const timer = setTimeout(() => {
          resolve();
          stop();
        }, SETTLE_MS);
        return () => clearTimeout(timer);
      });
    });
  });
}

/** Reloads the page once the studio has nothing left to do or to save. */
async function reloadWhenIdle(): Promise<void> {
  await whenIdle();
  location.reload();
}

/** The service worker's registration and the update offer the footer shows. */
class Pwa {
  /** A new version is installed and waits for the user's go-ahead. */
  updateReady = $state(false);
  /** The user accepted the update; it waits for the queued generations to finish. */
  updating = $state(false);
  #workbox: Workbox | undefined;

  /** Registers the service worker; the dev server has none, and without one the app only works online. */
  async register(): Promise<void> {
    if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
    const workbox = (this.#workbox = new Workbox(new URL('sw.js', document.baseURI).href));
    workbox.addEventListener('waiting', () => this.#offer());
    workbox.addEventListener('controlling', (event) => {
      // A new version took over this page's shell (accepted here or in another tab): load the shell that matches it.
      if (event.isUpdate || this.updating) return void reloadWhenIdle();
      // First visit: the worker that just took over adds COOP/COEP, but only to responses from now on.
      if (crossOriginIsolated || sessionStorage.getItem(ISOLATION_RELOAD_KEY)) return;
      sessionStorage.setItem(ISOLATION_RELOAD_KEY, '1');
      void reloadWhenIdle();
    });
    const registration = await workbox.register().catch((error: unknown) => {
      console.warn('Hearth cannot work offline: its service worker failed to register.', error);
      return undefined;
    });
    if (!registration) return;
    // workbox-window stops reporting updates after the first one found long after registering
    // (https://github.com/GoogleChrome/workbox/issues/3285); a tab left open across deploys watches for itself.
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      installing?.addEventListener('statechange', () => {
        // Look a moment later, as workbox-window does: a first install passes through `waiting` on its way to active.
        if (installing.state === 'installed') setTimeout(() => registration.waiting === installing && this.#offer(), WAITING_CHECK_MS);
      });
    });
    // Offline the check fails; it simply runs again an hour later.
    setInterval(() => workbox.update().catch(() => undefined), UPDATE_CHECK_MS);
  }

  /** Activates the waiting version once the queue is done; `controlling` then reloads into it. */
  async applyUpdate(): Promise<void> {
    this.updating = true;
    await whenIdle();
    this.#workbox?.messageSkipWaiting();
  }

  #offer(): void {
    this.updateReady = true;
    // A newer deploy replaced the one the user accepted before it could activate: activate this one.
    if (this.updating) void this.applyUpdate();
  }
}

/** The app's one service worker client. */
export const pwa = new Pwa();
