// What every staff page shares: the agent's language (their choice, else the browser's), the
// words for it (the agent_* keys of the portal's kbgen/i18n/<lang>.toml, via /api/agent/strings)
// and the header with the staff navigation, language menu, mail opt-out and sign-out.
import { h, translator } from '/agent/js/portal-ui.js';

export const LANGUAGES = [['en', 'English'], ['ja', '日本語']];
const LANG_KEY = 'kb-agent-lang';

export function chosenLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(LANG_KEY); } catch (error) { /* storage off */ }
  const wanted = saved || (navigator.language || 'en').slice(0, 2).toLowerCase();
  return LANGUAGES.some(([code]) => code === wanted) ? wanted : 'en';
}

// The page's language and words, plus the staff list and this agent's settings.
export async function startStaffPage(api) {
  const lang = chosenLanguage();
  document.documentElement.lang = lang;
  const [staff, session, words] = await Promise.all([api.get('/agent/staff'), api.session(),
    api.get(`/agent/strings?lang=${lang}`)]);
  const t = translator({ en: words.strings, [lang]: words.strings }, lang);
  // the API client's own messages ("cannot be reached", "Request failed (500)") in the same words
  api.useText((key, values) => t(`api_${key}`, values), lang);
  return { lang, t, staff, session };
}

// `page`: which link is the current page ('inbox', 'canned', 'ratings', 'documents', 'chat',
// 'community'); on the console itself the inbox links are hash links, elsewhere they lead back to it.
export function staffHeader({ api, t, lang, session, staff, page, onError }) {
  const console_ = ['inbox', 'canned', 'ratings', 'documents'].includes(page);
  const base = console_ ? '' : '/agent/';
  const links = [['inbox', `${base}#`, t('inbox')], ['canned', `${base}#canned`, t('canned')], ['ratings', `${base}#ratings`, t('reports')],
    ['documents', `${base}#documents`, t('documents')], ['chat', '/agent/chat/', t('chat')], ['community', '/agent/community/', t('community')]];
  const language = h('select', { id: 'agent-lang', name: 'lang', onchange: async (event) => {
    try { localStorage.setItem(LANG_KEY, event.target.value); } catch (error) { /* storage off */ }
    await api.put('/agent/me', { lang: event.target.value }).catch(() => null);   // mails to this agent follow
    location.reload();
  } }, LANGUAGES.map(([code, name]) => h('option', { value: code, selected: code === lang }, name)));
  const notify = h('input', { type: 'checkbox', id: 'agent-notify', checked: staff.notify_email, onchange: async (event) => {
    try { await api.put('/agent/me', { notify_email: event.target.checked }); onError(null); } catch (error) { onError(error); }
  } });
  return h('header', { class: 'kb-agent-header' }, h('h1', { class: 'kb-agent-brand' }, t('title')),
    h('nav', { class: 'kb-agent-nav', 'aria-label': t('title') }, h('ul', {},
      links.map(([key, href, text]) => h('li', {}, h('a', { href, 'data-page': key, 'aria-current': key === page ? 'page' : null }, text))))),
    h('div', { class: 'kb-agent-who' }, h('label', { for: 'agent-lang', class: 'kb-sr-only' }, t('language')), language,
      h('span', { class: 'kb-field-checkbox' }, notify, h('label', { for: 'agent-notify' }, t('notify_me'))),
      h('span', {}, session.user ? session.user.email : ''),
      h('button', { type: 'button', class: 'kb-button-secondary', onclick: async () => { await api.post('/auth/logout'); location.reload(); } }, t('sign_out'))));
}

export function dateTime(lang, iso, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  return iso ? new Date(iso).toLocaleString(lang, options) : '';
}
