// "Was this helpful? Yes / No" under every article. The browser keeps one random voter id, so it
// has one vote per article which it can change; offline votes wait in the queue.

import { apiAvailable, registerMount } from './core.js';
import { apiClient, randomId } from './api-client.js';
import { sharedQueue } from './queue.js';
import { h, portalText } from './portal-ui.js';
import { uiText } from './strings.js';

const VOTER_KEY = 'kb-voter';

export function voterId(storage) {
  let id = null;
  try { id = storage.getItem(VOTER_KEY); } catch (error) { id = null; }
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    id = randomId().replace(/[^A-Za-z0-9_-]/g, '');
    try { storage.setItem(VOTER_KEY, id); } catch (error) { /* private mode: a vote per page view */ }
  }
  return id;
}

export function mountRating(element, context) {
  const ref = element.dataset.article;
  if (!ref || !apiAvailable(context)) return;
  const t = portalText(context.lang);
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
  const voter = voterId(globalThis.localStorage);
  const status = h('span', { class: 'kb-rating-status', role: 'status' });
  const buttons = {
    up: h('button', { type: 'button', 'aria-pressed': 'false', 'data-value': 'up' }, t('yes')),
    down: h('button', { type: 'button', 'aria-pressed': 'false', 'data-value': 'down' }, t('no')),
  };
  const show = (value) => {
    for (const [name, button] of Object.entries(buttons)) button.setAttribute('aria-pressed', String(name === value));
  };
  const vote = async (value) => {
    show(value);
    const title = (document.querySelector('h1') || {}).textContent || document.title;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'rating', method: 'PUT', path: `/ratings/${encodeURIComponent(ref)}`,
        json: { value, voter, lang: context.lang, title: title.trim().slice(0, 200), url: location.pathname.slice(0, 300) } });
      status.textContent = outcome.queued ? t('rating_queued') : t('thanks');
    } catch (error) {
      status.textContent = error.message;
    }
  };
  buttons.up.addEventListener('click', () => vote('up'));
  buttons.down.addEventListener('click', () => vote('down'));
  element.replaceChildren(h('div', { class: 'kb-rating-box' },
    h('span', { class: 'kb-rating-question', id: `kb-rating-${ref}` }, t('helpful')), ' ',
    h('span', { role: 'group', 'aria-labelledby': `kb-rating-${ref}` }, buttons.up, ' ', buttons.down), ' ', status));
  api.get(`/ratings/${encodeURIComponent(ref)}?voter=${encodeURIComponent(voter)}`)
    .then((current) => {
      if (current.value) show(current.value);
      if (current.counts) {
        element.querySelector('.kb-rating-box').append(' ', h('span', { class: 'kb-rating-counts kb-muted' },
          t('staff_counts', { up: current.counts.up, down: current.counts.down })));
      }
    })
    .catch(() => { /* offline: the buttons still work */ });
}

registerMount('rating', mountRating);
