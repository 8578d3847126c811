// Registers sw.js, the page's service worker (offline cache, and COOP/COEP on hosts that do not
// send them). On the first visit to such a host the page is not cross-origin isolated: once the
// service worker controls the page, one reload makes it so (at most once per tab session, so a
// browser that ignores the headers is not reloaded forever).
//
// Returns {state, reloading}: state says what happened, for the page's footer and the tests;
// reloading is true when the page is about to reload (start nothing then).
const RELOADED_KEY = 'digit-cnn:isolation-reload';
const CONTROL_TIMEOUT_MS = 8000;

export async function startServiceWorker() {
  if (!('serviceWorker' in navigator)) return { state: 'unavailable', reloading: false };
  try {
    await navigator.serviceWorker.register(new URL('sw.js', document.baseURI));
  } catch (e) {
    console.warn(`digit-cnn: no service worker (${e.message}): no offline use, training on one thread`);
    return { state: 'failed', reloading: false };
  }
  if (self.crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED_KEY);
    return { state: 'ready', reloading: false };
  }
  if (sessionStorage.getItem(RELOADED_KEY)) return { state: 'not-isolated', reloading: false };
  if (!navigator.serviceWorker.controller) {
    const controlled = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), CONTROL_TIMEOUT_MS);
      navigator.serviceWorker.addEventListener('controllerchange', () => {
        clearTimeout(timer);
        resolve(true);
      }, { once: true });
    });
    if (!controlled) return { state: 'not-isolated', reloading: false };
  }
  sessionStorage.setItem(RELOADED_KEY, '1');
  location.reload();
  return { state: 'reloading', reloading: true };
}
