// Registers the service worker (sw.js at the site root) that keeps the help center usable
// offline. Service workers do not exist on file://, where the data loads as scripts anyway.
import { onReady, pageContext } from './core.js';

export function serviceWorkerUrl(context) {
  return `${context.root}sw.js`;
}

if (typeof document !== 'undefined') onReady(() => {
  const context = pageContext();
  if (context.fromFile || !('serviceWorker' in navigator)) return;
  if (!window.isSecureContext) return; // browsers only allow it on https and localhost
  navigator.serviceWorker.register(serviceWorkerUrl(context)).catch((error) => {
    console.warn('kbgen: offline support is unavailable', error);
  });
});
