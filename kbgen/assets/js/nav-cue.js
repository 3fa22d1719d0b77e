// On a phone the portal navigation (.kb-apps) scrolls sideways and its last links are cut off
// ("Commun…"). Its container gets kb-nav-more while there is more to the right, which kbgen.css
// shows as a fade with an arrow, so visitors see that the row scrolls.
import { onReady } from './core.js';

export function markScrollable(list) {
  const holder = list.parentElement;
  if (!holder) return;
  const update = () => {
    const more = list.scrollWidth - list.clientWidth - list.scrollLeft > 2;
    holder.classList.toggle('kb-nav-more', more);
  };
  list.addEventListener('scroll', update, { passive: true });
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(update).observe(list);
  else window.addEventListener('resize', update);
  update();
}

onReady(() => {
  for (const list of document.querySelectorAll('nav .kb-apps')) markScrollable(list);
});
