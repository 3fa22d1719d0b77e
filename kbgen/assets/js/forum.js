// The community forum (<lang>/community/): topic lists by category with filters, sorting, search
// and pages; one topic with its answers (accepted first), votes and accepting; asking and
// answering. The view lives in the hash (#topic=ID, #ask, #category=…&filter=…&q=…&page=…) because
// the site is static. Writes go through the offline queue with an Idempotency-Key.
// Also exports the small pieces feedback.js shares (styles, honeypot field, pager, Markdown block).

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { sharedQueue } from './queue.js';
import { formatDate, h, htmlDatetime, notice, showFieldErrors } from './portal-ui.js';
import { uiText } from './strings.js';
import { ownPostActions } from './forum-edit.js';

// An app's words: `namespace` names its js_<namespace>_* strings in the i18n files.
export function textFor(namespace, lang) {
  return uiText(namespace, lang);
}

const STYLE = `
[data-kb-mount] form.kb-community-bar { display: flex; flex-wrap: wrap; gap: .75rem 1rem; align-items: end; max-width: none; margin: 1rem 0; }
.kb-community-bar .kb-field { min-width: 10rem; flex: 1 1 10rem; }
.kb-community-bar .kb-field-grow { flex: 3 1 16rem; }
.kb-community-bar select, .kb-community-bar input { width: 100%; }
.kb-community-head { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; margin: 1rem 0; }
.kb-community-head h2 { margin: 0; }
.kb-community-cats { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0 1rem; padding: 0; list-style: none; }
.kb-community-cats a { display: inline-block; padding: .2rem .7rem; border: 1px solid var(--kb-border); border-radius: 999px; text-decoration: none; font-size: .9rem; }
.kb-community-cats a[aria-current] { background: var(--kb-accent); color: var(--kb-accent-fg); border-color: var(--kb-accent); }
.kb-community-list { display: grid; gap: .75rem; }
.kb-community-item { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; align-items: start; }
.kb-community-item h3 { margin: 0; font-size: 1.05rem; line-height: 1.4; }
.kb-community-item p { margin: .2rem 0 0; }
.kb-community-count { min-width: 4.5rem; text-align: center; padding: .35rem .5rem; border-radius: var(--kb-radius); border: 1px solid var(--kb-border); background: var(--kb-bg); font-size: .85rem; line-height: 1.3; }
.kb-community-count strong { display: block; font-size: 1.15rem; }
.kb-community-count.kb-is-solved { border-color: var(--kb-tip); color: var(--kb-tip); background: var(--kb-tip-bg); }
.kb-community-meta { color: var(--kb-muted); font-size: .85rem; display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: center; }
.kb-community-badges { display: inline-flex; flex-wrap: wrap; gap: .3rem; vertical-align: middle; margin-left: .35rem; }
.kb-community-text { line-height: 1.7; overflow-wrap: anywhere; }
.kb-community-text > :first-child { margin-top: 0; } .kb-community-text > :last-child { margin-bottom: 0; }
.kb-community-text pre { overflow-x: auto; padding: .75rem; background: var(--kb-code-bg); border-radius: var(--kb-radius); }
.kb-community-post { margin: 1rem 0; }
.kb-community-post > h2:first-child, .kb-community-post > h3:first-child, .kb-idea-note > h3:first-child { margin-top: 0; }
[data-kb-mount] button.kb-idea-votebox { flex-direction: column; gap: 0; min-width: 4.5rem; padding: .35rem .5rem; font-size: .85rem; font-weight: 400; line-height: 1.3; background: var(--kb-bg); color: var(--kb-fg); border-color: var(--kb-border); }
[data-kb-mount] button.kb-idea-votebox strong { font-size: 1.15rem; }
[data-kb-mount] button.kb-idea-votebox[aria-pressed="true"] { background: var(--kb-accent); color: var(--kb-accent-fg); border-color: var(--kb-accent); }
.kb-community-post.kb-is-accepted { border-color: var(--kb-tip); border-width: 2px; }
.kb-community-actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .75rem; }
[data-kb-mount] .kb-community-actions button, [data-kb-mount] button.kb-community-secondary { background: var(--kb-bg); color: var(--kb-accent-strong); border-color: var(--kb-border); padding: .35rem .8rem; }
[data-kb-mount] .kb-community-actions button[aria-pressed="true"] { background: var(--kb-accent); color: var(--kb-accent-fg); border-color: var(--kb-accent); }
.kb-community-pager { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: 1.25rem 0; }
@media (max-width: 600px) { .kb-community-item { padding: .75rem; gap: .25rem .75rem; } .kb-community-post { padding: .75rem; } }
.kb-community-trap { position: absolute !important; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.kb-roadmap { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); align-items: start; }
.kb-roadmap section { background: var(--kb-surface); border: 1px solid var(--kb-border); border-radius: var(--kb-radius); padding: .75rem 1rem; min-width: 0; }
.kb-roadmap h2 { font-size: 1.1rem; margin: 0 0 .75rem; display: flex; justify-content: space-between; gap: .5rem; }
.kb-roadmap ul { list-style: none; margin: 0; padding: 0; display: grid; gap: .6rem; }
.kb-roadmap li { background: var(--kb-bg); border: 1px solid var(--kb-border); border-radius: var(--kb-radius); padding: .6rem .75rem; }
.kb-status-planned { background: var(--kb-important-bg); color: var(--kb-important); }
.kb-status-in_progress { background: var(--kb-warning-bg); color: var(--kb-warning); }
.kb-status-declined { background: var(--kb-caution-bg); color: var(--kb-caution); }
`;

// Our own few rules, added once, using the theme's custom properties so every theme colours them.
export function injectCommunityStyle() {
  if (document.getElementById('kb-community-style')) return;
  const style = document.createElement('style');
  style.id = 'kb-community-style';
  style.textContent = STYLE;
  document.head.append(style);
}

// Only for *_html fields, which the API rendered from Markdown and sanitized with nh3.
export function htmlBlock(html, className = '') {
  const block = h('div', { class: `kb-community-text ${className}`.trim() });
  block.innerHTML = html;
  return block;
}

// A field people never see or fill; form-filling bots do, and the API then stores nothing.
export function honeypotField(label, idPrefix) {
  return h('p', { class: 'kb-community-trap', 'aria-hidden': 'true' },
    h('label', { for: `${idPrefix}-homepage` }, label),
    h('input', { id: `${idPrefix}-homepage`, name: 'homepage', type: 'text', tabindex: '-1', autocomplete: 'off' }));
}

export function field(id, label, control, hint) {
  return h('p', { class: 'kb-field' }, h('label', { for: id }, label), control,
    hint ? h('small', { id: `${id}-hint` }, hint) : null);
}

export function hashParams() {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

export function hashWith(changes) {
  const params = hashParams();
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '' || value === 'all' || (key === 'page' && String(value) === '1')) params.delete(key);
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `#${text}` : '#';
}

export function pager(page, pages, t) {
  if (pages <= 1) return null;
  return h('nav', { class: 'kb-community-pager', 'aria-label': t('page_of', { page, pages }) },
    page > 1 ? h('a', { href: hashWith({ page: page - 1 }), rel: 'prev' }, `← ${t('previous')}`) : null,
    h('span', {}, t('page_of', { page, pages })),
    page < pages ? h('a', { href: hashWith({ page: page + 1 }), rel: 'next' }, `${t('next')} →`) : null);
}

export function badge(text, kind) {
  return h('span', { class: `kb-status kb-status-${kind}` }, text);
}

export function signInPrompt(context, t, key = 'sign_in_to_post') {
  return h('p', { class: 'kb-notice kb-community-signin' }, t(key), ' ',
    h('a', { href: portalUrl(context.lang, 'account') }, t('sign_in')));
}

export function failureNotice(error, t) {
  return notice(error && error.offline ? t('unreachable') : ((error && error.message) || t('error')), 'error');
}

const APP_PAGES = ['tickets', 'account', 'community', 'feedback', 'roadmap'];
let siteCategoryList = null;

function mountsConfig() {
  try {
    return JSON.parse((document.getElementById('kb-mounts') || {}).textContent || '{}');
  } catch (error) {
    return {};
  }
}

// The KB's top-level categories: from the page config when the build provides them, otherwise
// read from the language home page, whose category section every bundled theme labels
// "home-categories-title". Fails quietly (file://, custom themes): the API's list remains.
async function readSiteCategories(context) {
  const configured = mountsConfig().categories;
  if (Array.isArray(configured) && configured.length) return configured.filter((c) => c && c.path);
  const home = new URL(`${context.root}${context.lang}/index.html`, location.href);
  const response = await fetch(home, { credentials: 'same-origin' });
  if (!response.ok) return [];
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  const section = page.querySelector('[aria-labelledby="home-categories-title"]') || page.body;
  const base = new URL(`${context.root}${context.lang}/`, location.href).pathname;
  const found = [];
  for (const link of section.querySelectorAll('a[href]')) {
    const url = new URL(link.getAttribute('href'), home);
    if (url.origin !== home.origin || !url.pathname.startsWith(base)) continue;
    const rest = decodeURIComponent(url.pathname.slice(base.length)).replace(/index\.html$/, '');
    if (!/^[^/]+\/$/.test(rest)) continue;
    const path = rest.slice(0, -1);
    if (APP_PAGES.includes(path) || found.some((c) => c.path === path)) continue;
    const label = link.cloneNode(true);
    for (const extra of label.querySelectorAll('.kb-count, [aria-hidden="true"], svg')) extra.remove();
    found.push({ path, title: label.textContent.trim() || prettyPath(path) });
  }
  return found;
}

export function siteCategories(context) {
  if (!siteCategoryList) siteCategoryList = readSiteCategories(context).catch(() => []);
  return siteCategoryList;
}

// The site's categories first (in the site's order), then any the API has topics in.
export async function knownCategories(context, apiCategories) {
  const found = new Map((await siteCategories(context)).map((c) => [c.path, c.title]));
  for (const c of apiCategories || []) if (!found.has(c.path)) found.set(c.path, prettyPath(c.path));
  return [...found].map(([path, title]) => ({ path, title }));
}

function prettyPath(path) {
  const last = path.split('/').pop() || path;
  return last.replace(/[-_]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function answersLabel(n, t) {
  return n === 0 ? t('answers_0') : t('answers_n', { n });
}

function topicItem(topic, categories, context, t) {
  const category = categories.find((c) => c.path === topic.category);
  return h('li', { class: 'kb-card kb-community-item', 'data-topic': topic.id },
    h('div', { class: `kb-community-count${topic.has_accepted_answer ? ' kb-is-solved' : ''}`, 'aria-hidden': 'true' },
      h('strong', {}, String(topic.answer_count)), t(topic.answer_count === 1 ? 'answer_word' : 'answers_word')),
    h('div', {},
      h('h3', {}, h('a', { href: `#topic=${encodeURIComponent(topic.id)}` }, topic.title),
        h('span', { class: 'kb-community-badges' },
          topic.pinned ? badge(t('pinned'), 'open') : null,
          topic.has_accepted_answer ? badge(t('solved'), 'solved') : null,
          topic.locked ? badge(t('locked'), 'closed') : null,
          topic.status === 'pending' ? badge(t('pending'), 'pending') : null)),
      topic.excerpt ? h('p', {}, topic.excerpt) : null,
      h('p', { class: 'kb-community-meta' },
        h('span', {}, category ? category.title : prettyPath(topic.category)),
        h('span', {}, answersLabel(topic.answer_count, t)),
        h('span', {}, t('by', { name: topic.author.name || '—' })),
        h('time', { datetime: htmlDatetime(topic.last_activity_at) }, formatDate(topic.last_activity_at, context.lang)))));
}

function toolbar(state, categories, t) {
  const go = (changes) => { location.hash = hashWith({ ...changes, page: 1 }); };
  const q = h('input', { id: 'kb-forum-q', name: 'q', type: 'search', value: state.q, maxlength: 200 });
  const form = h('form', { class: 'kb-community-bar', role: 'search', onsubmit: (event) => { event.preventDefault(); go({ q: q.value.trim() }); } },
    h('p', { class: 'kb-field kb-field-grow' }, h('label', { for: 'kb-forum-q' }, t('search')), q),
    field('kb-forum-filter', t('filter'), h('select', { id: 'kb-forum-filter', name: 'filter', onchange: (e) => go({ filter: e.target.value }) },
      ['all', 'unanswered', 'answered', 'solved'].map((v) => h('option', { value: v, selected: state.filter === v }, t(`filter_${v}`))))),
    field('kb-forum-sort', t('sort'), h('select', { id: 'kb-forum-sort', name: 'sort', onchange: (e) => go({ sort: e.target.value }) },
      ['activity', 'new', 'answers'].map((v) => h('option', { value: v, selected: state.sort === v }, t(`sort_${v}`))))),
    h('p', {}, h('button', { type: 'submit' }, t('search_button'))));
  const cats = h('ul', { class: 'kb-community-cats', 'aria-label': t('categories') },
    h('li', {}, h('a', { href: hashWith({ category: null, page: 1 }), 'aria-current': state.category ? null : 'page' }, t('all_categories'))),
    categories.map((c) => h('li', {}, h('a', { href: hashWith({ category: c.path, page: 1 }), 'aria-current': state.category === c.path ? 'page' : null }, c.title))));
  return [cats, form];
}

async function listView(context, api, session, t) {
  const params = hashParams();
  const state = { category: params.get('category') || '', filter: params.get('filter') || 'all', sort: params.get('sort') || 'activity',
    q: params.get('q') || '', page: Math.max(1, parseInt(params.get('page') || '1', 10) || 1) };
  const query = new URLSearchParams({ lang: context.lang, filter: state.filter, sort: state.sort, page: String(state.page) });
  if (state.category) query.set('category', state.category);
  if (state.q) query.set('q', state.q);
  const [listing, cats] = await Promise.all([api.get(`/forum/topics?${query}`), api.get(`/forum/categories?lang=${encodeURIComponent(context.lang)}`)]);
  const categories = await knownCategories(context, cats.categories);
  const head = h('div', { class: 'kb-community-head' }, h('h2', {}, t('topics_found', { n: listing.total })),
    session.user ? h('a', { class: 'kb-button', href: '#ask' }, t('ask')) : null);
  return [
    session.user ? null : signInPrompt(context, t),
    ...toolbar(state, categories, t),
    head,
    listing.topics.length ? h('ol', { class: 'kb-list kb-community-list' }, listing.topics.map((topic) => topicItem(topic, categories, context, t)))
      : h('p', { class: 'kb-muted' }, t('no_topics')),
    pager(listing.page, listing.pages, t),
  ];
}

async function askView(context, api, session, t, show) {
  if (!session.user) return [signInPrompt(context, t)];
  const cats = await api.get(`/forum/categories?lang=${encodeURIComponent(context.lang)}`).catch(() => ({ categories: [] }));
  const categories = await knownCategories(context, cats.categories);
  const preset = hashParams().get('category') || '';
  const form = h('form', { class: 'kb-form kb-forum-ask', novalidate: true },
    h('h2', { tabindex: '-1' }, t('ask')),
    field('kb-ask-title', t('title'), h('input', { id: 'kb-ask-title', name: 'title', required: true, maxlength: 200, autocomplete: 'off' })),
    field('kb-ask-category', t('category'), categories.length
      ? h('select', { id: 'kb-ask-category', name: 'category', required: true },
        h('option', { value: '' }, t('choose_category')), categories.map((c) => h('option', { value: c.path, selected: c.path === preset }, c.title)))
      : h('input', { id: 'kb-ask-category', name: 'category', required: true, maxlength: 200, value: preset })),
    field('kb-ask-body', t('body'), h('textarea', { id: 'kb-ask-body', name: 'body', required: true, rows: 8, maxlength: 20000, 'aria-describedby': 'kb-ask-body-hint' }), t('markdown_hint')),
    honeypotField(t('homepage'), 'kb-ask'),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', { class: 'kb-community-actions' }, h('button', { type: 'submit' }, t('post_question')), h('a', { href: '#' }, t('cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'forum-topic', path: '/forum/topics', json: { ...values, lang: context.lang } });
      showFieldErrors(form, null, t);
      form.reset();
      if (outcome.queued) show(notice(t('queued')));
      else if (outcome.result.status === 'pending') show(notice(t('pending_note')));
      else location.hash = `#topic=${encodeURIComponent(outcome.result.id)}`;
    } catch (error) {
      showFieldErrors(form, error, t);
    } finally {
      button.disabled = false;
    }
  });
  return [form];
}

function voteButton(answer, api, session, t, say) {
  const label = () => `▲ ${t('upvote')} · ${t('votes', { n: answer.score })}`;
  const button = h('button', { type: 'button', class: 'kb-forum-vote', 'aria-pressed': String(answer.voted) }, label());
  button.addEventListener('click', async () => {
    if (!session.user) { say(notice(t('vote_signin'))); return; }
    const wanted = button.getAttribute('aria-pressed') !== 'true';
    button.disabled = true;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'forum-vote', method: wanted ? 'PUT' : 'DELETE', path: `/forum/answers/${encodeURIComponent(answer.id)}/vote` });
      if (outcome.queued) { say(notice(t('queued'))); answer.score += wanted ? 1 : -1; answer.voted = wanted; }
      else { answer.score = outcome.result.score; answer.voted = outcome.result.voted; }
      button.setAttribute('aria-pressed', String(answer.voted));
      button.textContent = label();
    } catch (error) {
      say(failureNotice(error, t));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function answerCard(answer, topic, context, api, session, t, say, rerender) {
  const accept = topic.can_accept && answer.status === 'visible'
    ? h('button', { type: 'button', class: 'kb-forum-accept', onclick: async () => {
      try {
        await api.put(`/forum/topics/${encodeURIComponent(topic.id)}/accepted`, { answer_id: answer.accepted ? null : answer.id });
        rerender();
      } catch (error) { say(failureNotice(error, t)); }
    } }, answer.accepted ? t('unaccept') : t('accept')) : null;
  return h('article', { class: `kb-card kb-community-post kb-forum-answer${answer.accepted ? ' kb-is-accepted' : ''}`, 'data-answer': answer.id },
    h('p', { class: 'kb-community-meta' },
      answer.accepted ? badge(`✓ ${t('accepted')}`, 'solved') : null,
      answer.status === 'pending' ? badge(t('pending'), 'pending') : null,
      h('strong', {}, answer.author.name || '—'), answer.author.staff ? badge(t('staff'), 'open') : null,
      h('time', { datetime: htmlDatetime(answer.created_at) }, t('answered', { date: formatDate(answer.created_at, context.lang) })),
      answer.edited_at ? h('span', {}, `(${t('edited')})`) : null),
    htmlBlock(answer.body_html),
    h('div', { class: 'kb-community-actions' }, voteButton(answer, api, session, t, say), accept),
    ownPostActions(answer, 'answer', context, api, t, rerender));
}

function answerForm(topic, api, t, say, rerender) {
  const form = h('form', { class: 'kb-form kb-forum-answer-form', novalidate: true },
    field('kb-answer-body', t('answer'), h('textarea', { id: 'kb-answer-body', name: 'body', required: true, rows: 6, maxlength: 20000, 'aria-describedby': 'kb-answer-body-hint' }), t('markdown_hint')),
    honeypotField(t('homepage'), 'kb-answer'),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('post_answer'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'forum-answer', path: `/forum/topics/${encodeURIComponent(topic.id)}/answers`,
        json: Object.fromEntries(new FormData(form).entries()) });
      showFieldErrors(form, null, t);
      form.reset();
      if (outcome.queued) say(notice(t('queued')));
      else if (outcome.result.status === 'pending') say(notice(t('answer_pending')));
      else { await rerender(); say(notice(t('answer_posted'), 'success')); }
    } catch (error) {
      showFieldErrors(form, error, t);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function topicView(context, api, session, id, t, rerender, pageSay) {
  let topic;
  try {
    topic = await api.get(`/forum/topics/${encodeURIComponent(id)}`);
  } catch (error) {
    return [h('p', {}, h('a', { href: '#' }, `← ${t('back')}`)), error.status === 404 ? notice(t('not_found'), 'error') : failureNotice(error, t)];
  }
  const messages = h('div', { class: 'kb-community-messages', 'aria-live': 'polite' });
  const say = (node) => messages.replaceChildren(node);
  // after a change the page is drawn again: its message goes to the page's banner, which stays
  const afterChange = async (banner, deleted) => {
    if (deleted) history.pushState(null, '', location.pathname + location.search + '#');
    await rerender();
    if (banner) pageSay(banner);
  };
  const category = (await knownCategories(context, [])).find((c) => c.path === topic.category);
  const question = h('article', { class: 'kb-card kb-community-post kb-forum-question', 'data-topic': topic.id },
    h('h2', { tabindex: '-1', class: 'kb-forum-title' }, topic.title,
      h('span', { class: 'kb-community-badges' },
        topic.pinned ? badge(t('pinned'), 'open') : null, topic.has_accepted_answer ? badge(t('solved'), 'solved') : null,
        topic.locked ? badge(t('locked'), 'closed') : null, topic.status === 'pending' ? badge(t('pending'), 'pending') : null)),
    h('p', { class: 'kb-community-meta' },
      h('a', { href: hashWith({ topic: null, category: topic.category }) }, category ? category.title : prettyPath(topic.category)),
      h('strong', {}, topic.author.name || '—'), topic.author.staff ? badge(t('staff'), 'open') : null,
      h('time', { datetime: htmlDatetime(topic.created_at) }, t('asked', { date: formatDate(topic.created_at, context.lang) })),
      topic.edited_at ? h('span', {}, `(${t('edited')})`) : null),
    htmlBlock(topic.body_html),
    ownPostActions(topic, 'topic', context, api, t, afterChange));
  const parts = [h('p', {}, h('a', { href: '#' }, `← ${t('back')}`)), question];
  if (topic.status === 'pending') parts.push(notice(t('pending_note')));
  parts.push(h('h3', {}, answersLabel(topic.answers.length, t)),
    ...topic.answers.map((answer) => answerCard(answer, topic, context, api, session, t, say, afterChange)), messages);
  if (topic.locked) parts.push(notice(t('locked_note')));
  if (!session.user) parts.push(signInPrompt(context, t));
  else if (topic.can_answer) parts.push(answerForm(topic, api, t, say, rerender));
  return parts;
}

// The forum and the feedback board are each one page whose view lives in the URL hash. This runs
// that page: picks the view for the hash, renders it under a status banner, moves focus to a newly
// opened view's heading, and tells the reader when a queued submission of this page was sent.
export async function mountHashApp(element, context, { namespace, queueKind, homeRoute, routeOf, views, footer,
  keepBanner = () => false }) {
  const t = textFor(namespace, context.lang);
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
  injectCommunityStyle();
  const banner = h('div', { class: 'kb-community-banner', 'aria-live': 'polite' });
  const say = (node) => banner.replaceChildren(node);
  let previousRoute = null;
  const render = async () => {
    const params = hashParams();
    const route = routeOf(params);
    if (route !== previousRoute && !keepBanner(previousRoute, route)) banner.replaceChildren();
    element.setAttribute('aria-busy', 'true');
    try {
      const session = await api.session();
      const parts = await views[route]({ context, api, session, params, t, say, render });
      element.replaceChildren(banner, ...parts.filter(Boolean), footer(session, t) || '');
      if (route !== previousRoute && route !== homeRoute) {
        const heading = element.querySelector('h2[tabindex]');
        if (heading) heading.focus();
      }
    } catch (error) {
      element.replaceChildren(banner, failureNotice(error, t));
    } finally {
      element.removeAttribute('aria-busy');
      previousRoute = route;
    }
  };
  sharedQueue(api).subscribe((event) => {
    if (!event.item.kind || !event.item.kind.startsWith(queueKind)) return;
    if (event.type === 'sent') { say(notice(t('queued_sent'), 'success')); render(); }
    if (event.type === 'failed') say(notice(`${t('queued_failed')} ${event.error.message}`, 'error'));
  });
  window.addEventListener('hashchange', render);
  await render();
}

export async function mountCommunity(element, context) {
  await mountHashApp(element, context, {
    namespace: 'forum',
    queueKind: 'forum-',
    homeRoute: 'list',
    routeOf: (params) => (params.get('topic') ? 'topic' : (location.hash === '#ask' ? 'ask' : 'list')),
    views: {
      topic: (v) => topicView(v.context, v.api, v.session, v.params.get('topic'), v.t, v.render, v.say),
      ask: (v) => askView(v.context, v.api, v.session, v.t, v.say),
      list: (v) => listView(v.context, v.api, v.session, v.t),
    },
    footer: (session, t) => (session.user && session.user.role !== 'customer'
      ? h('p', { class: 'kb-community-staff' }, h('a', { href: '/agent/community/' }, t('moderate'))) : null),
  });
}

registerMount('community', (element, context) => { mountCommunity(element, context); });
