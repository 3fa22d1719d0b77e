// The feedback board (<lang>/feedback/) and the public roadmap (<lang>/roadmap/): ideas with one
// vote per signed-in user, status filter, top / new / trending sorting, search and pages; one idea
// (#idea=ID) with its status note, history and comments; suggesting and commenting. Writes go
// through the offline queue with an Idempotency-Key, so a resend never posts twice.

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { sharedQueue } from './queue.js';
import { formatDate, h, htmlDatetime, notice, showFieldErrors } from './portal-ui.js';
import { badge, failureNotice, field, hashParams, hashWith, honeypotField, htmlBlock, injectCommunityStyle, mountHashApp, pager, signInPrompt, textFor } from './forum.js';
import { uiText } from './strings.js';

export const IDEA_STATUSES = ['open', 'planned', 'in_progress', 'done', 'declined'];
const ROADMAP_STATUSES = ['planned', 'in_progress', 'done'];

function statusBadge(status, t) {
  return badge(t(`status_${status}`), status);
}

function votesLabel(n, t) {
  return t('votes', { n });
}

function commentsLabel(n, t) {
  return n === 0 ? t('comments_0') : t('comments_n', { n });
}

// The vote toggle: a compact box in lists, a labelled button on the idea's page.
function voteButton(idea, context, api, session, t, say, compact = false) {
  const button = h('button', { type: 'button', class: compact ? 'kb-idea-vote kb-idea-votebox' : 'kb-idea-vote' });
  const show = () => {
    button.setAttribute('aria-pressed', String(idea.voted));
    if (compact) {
      button.setAttribute('aria-label', `${t('vote')}: ${idea.title} (${votesLabel(idea.vote_count, t)})`);
      button.replaceChildren(h('span', { 'aria-hidden': 'true' }, '▲'), h('strong', {}, String(idea.vote_count)), h('span', {}, idea.voted ? t('voted') : t('vote')));
    } else {
      button.textContent = `▲ ${idea.voted ? t('voted') : t('vote')} · ${votesLabel(idea.vote_count, t)}`;
    }
  };
  show();
  button.addEventListener('click', async () => {
    if (!session.user) { say(signInPrompt(context, t, 'vote_signin')); return; }
    const wanted = !idea.voted;
    button.disabled = true;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'feedback-vote', method: wanted ? 'PUT' : 'DELETE', path: `/feedback/ideas/${encodeURIComponent(idea.id)}/vote` });
      if (outcome.queued) { say(notice(t('queued'))); idea.vote_count += wanted ? 1 : -1; idea.voted = wanted; }
      else { idea.vote_count = outcome.result.vote_count; idea.voted = outcome.result.voted; }
      show();
    } catch (error) {
      say(failureNotice(error, t));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function ideaItem(idea, context, api, session, t, say) {
  return h('li', { class: 'kb-card kb-community-item kb-idea', 'data-idea': idea.id },
    voteButton(idea, context, api, session, t, say, true),
    h('div', {},
      h('h3', {}, h('a', { href: `#idea=${encodeURIComponent(idea.id)}` }, idea.title),
        h('span', { class: 'kb-community-badges' }, statusBadge(idea.status, t))),
      idea.excerpt ? h('p', {}, idea.excerpt) : null,
      h('p', { class: 'kb-community-meta' },
        h('span', {}, commentsLabel(idea.comment_count, t)),
        h('span', {}, t('by', { name: idea.author.name || '—' })),
        h('time', { datetime: htmlDatetime(idea.created_at) }, formatDate(idea.created_at, context.lang)))));
}

async function boardView(context, api, session, t, say) {
  const params = hashParams();
  const state = { status: params.get('status') || '', sort: params.get('sort') || 'top', q: params.get('q') || '',
    page: Math.max(1, parseInt(params.get('page') || '1', 10) || 1) };
  const query = new URLSearchParams({ sort: state.sort, page: String(state.page) });
  if (state.status) query.set('status', state.status);
  if (state.q) query.set('q', state.q);
  const listing = await api.get(`/feedback/ideas?${query}`);
  const go = (changes) => { location.hash = hashWith({ ...changes, page: 1 }); };
  const q = h('input', { id: 'kb-idea-q', name: 'q', type: 'search', value: state.q, maxlength: 200 });
  const bar = h('form', { class: 'kb-community-bar', role: 'search', onsubmit: (event) => { event.preventDefault(); go({ q: q.value.trim() }); } },
    h('p', { class: 'kb-field kb-field-grow' }, h('label', { for: 'kb-idea-q' }, t('search')), q),
    field('kb-idea-status', t('status'), h('select', { id: 'kb-idea-status', name: 'status', onchange: (e) => go({ status: e.target.value }) },
      h('option', { value: '' }, t('all_statuses')), IDEA_STATUSES.map((s) => h('option', { value: s, selected: state.status === s }, t(`status_${s}`))))),
    field('kb-idea-sort', t('sort'), h('select', { id: 'kb-idea-sort', name: 'sort', onchange: (e) => go({ sort: e.target.value }) },
      ['top', 'new', 'trending'].map((s) => h('option', { value: s, selected: state.sort === s }, t(`sort_${s}`))))),
    h('p', {}, h('button', { type: 'submit' }, t('search_button'))));
  return [
    session.user ? null : signInPrompt(context, t),
    bar,
    h('div', { class: 'kb-community-head' }, h('h2', {}, t('ideas_found', { n: listing.total })),
      session.user ? h('a', { class: 'kb-button', href: '#suggest' }, t('suggest')) : null),
    listing.ideas.length ? h('ol', { class: 'kb-list kb-community-list' }, listing.ideas.map((idea) => ideaItem(idea, context, api, session, t, say)))
      : h('p', { class: 'kb-muted' }, t('no_ideas')),
    pager(listing.page, listing.pages, t),
  ];
}

function suggestView(context, api, session, t, say) {
  if (!session.user) return [signInPrompt(context, t)];
  const form = h('form', { class: 'kb-form kb-idea-form', novalidate: true },
    h('h2', { tabindex: '-1' }, t('suggest')),
    field('kb-idea-title', t('title'), h('input', { id: 'kb-idea-title', name: 'title', required: true, maxlength: 200, autocomplete: 'off' })),
    field('kb-idea-body', t('body'), h('textarea', { id: 'kb-idea-body', name: 'body', required: true, rows: 6, maxlength: 10000, 'aria-describedby': 'kb-idea-body-hint' }), t('markdown_hint')),
    honeypotField(t('homepage'), 'kb-idea'),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', { class: 'kb-community-actions' }, h('button', { type: 'submit' }, t('post_idea')), h('a', { href: '#' }, t('cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const values = Object.fromEntries(new FormData(form).entries());
      const outcome = await sharedQueue(api).submit({ kind: 'feedback-idea', path: '/feedback/ideas', json: { ...values, lang: context.lang } });
      showFieldErrors(form, null, t);
      form.reset();
      if (outcome.queued) say(notice(t('queued')));
      else { say(notice(t('idea_posted'), 'success')); location.hash = `#idea=${encodeURIComponent(outcome.result.id)}`; }
    } catch (error) {
      showFieldErrors(form, error, t);
    } finally {
      button.disabled = false;
    }
  });
  return [form];
}

function commentForm(idea, api, t, say, rerender) {
  const form = h('form', { class: 'kb-form kb-idea-comment-form', novalidate: true },
    field('kb-comment-body', t('comment'), h('textarea', { id: 'kb-comment-body', name: 'body', required: true, rows: 4, maxlength: 5000 })),
    honeypotField(t('homepage'), 'kb-comment'),
    h('p', { class: 'kb-form-error', role: 'alert', hidden: true }),
    h('p', {}, h('button', { type: 'submit' }, t('post_comment'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const outcome = await sharedQueue(api).submit({ kind: 'feedback-comment', path: `/feedback/ideas/${encodeURIComponent(idea.id)}/comments`,
        json: Object.fromEntries(new FormData(form).entries()) });
      showFieldErrors(form, null, t);
      form.reset();
      if (outcome.queued) say(notice(t('queued')));
      else { await rerender(); say(notice(t('comment_posted'), 'success')); }
    } catch (error) {
      showFieldErrors(form, error, t);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function ideaView(context, api, session, id, t, say, rerender) {
  let idea;
  try {
    idea = await api.get(`/feedback/ideas/${encodeURIComponent(id)}`);
  } catch (error) {
    return [h('p', {}, h('a', { href: '#' }, `← ${t('back')}`)), error.status === 404 ? notice(t('not_found'), 'error') : failureNotice(error, t)];
  }
  const parts = [h('p', {}, h('a', { href: '#' }, `← ${t('back')}`))];
  if (idea.merged_into) {
    parts.push(h('div', { class: 'kb-notice kb-idea-merged' }, h('p', {}, t('merged', { title: idea.merged_into.title })),
      h('p', {}, h('a', { href: `#idea=${encodeURIComponent(idea.merged_into.id)}` }, t('open_merged')))));
  }
  parts.push(h('article', { class: 'kb-card kb-community-post kb-idea-detail', 'data-idea': idea.id },
    h('h2', { tabindex: '-1' }, idea.title, h('span', { class: 'kb-community-badges' }, statusBadge(idea.status, t))),
    h('p', { class: 'kb-community-meta' }, h('strong', {}, idea.author.name || '—'),
      h('time', { datetime: htmlDatetime(idea.created_at) }, formatDate(idea.created_at, context.lang))),
    htmlBlock(idea.body_html),
    idea.merged_into ? null : h('div', { class: 'kb-community-actions' }, voteButton(idea, context, api, session, t, say))));
  if (idea.status_note_html) {
    parts.push(h('section', { class: 'kb-notice kb-idea-note' }, h('h3', {}, t('note'), ' ', statusBadge(idea.status, t)), htmlBlock(idea.status_note_html)));
  }
  if (idea.history.length) {
    parts.push(h('h3', {}, t('history')), h('ol', { class: 'kb-list kb-idea-history' }, idea.history.map((step) => h('li', {},
      h('time', { datetime: htmlDatetime(step.at) }, formatDate(step.at, context.lang)), ' — ',
      t('changed', { from: t(`status_${step.from}`), to: t(`status_${step.to}`) })))));
  }
  parts.push(h('h3', {}, commentsLabel(idea.comments.length, t)),
    ...idea.comments.map((comment) => h('article', { class: 'kb-card kb-community-post kb-idea-comment' },
      h('p', { class: 'kb-community-meta' }, h('strong', {}, comment.author.name || '—'), comment.author.staff ? badge(t('staff'), 'open') : null,
        h('time', { datetime: htmlDatetime(comment.created_at) }, formatDate(comment.created_at, context.lang))),
      htmlBlock(comment.body_html))));
  if (!session.user) parts.push(signInPrompt(context, t));
  else if (idea.can_comment) parts.push(commentForm(idea, api, t, say, rerender));
  return parts;
}

function staffLink(session, t) {
  return session.user && session.user.role !== 'customer'
    ? h('p', { class: 'kb-community-staff' }, h('a', { href: '/agent/community/#feedback' }, t('moderate'))) : null;
}

export async function mountFeedback(element, context) {
  await mountHashApp(element, context, {
    namespace: 'feedback',
    queueKind: 'feedback-',
    homeRoute: 'board',
    routeOf: (params) => (params.get('idea') ? 'idea' : (location.hash === '#suggest' ? 'suggest' : 'board')),
    // a just-suggested idea opens with the "sent" notice still showing
    keepBanner: (previous, route) => previous === 'suggest' && route === 'idea',
    views: {
      idea: (v) => ideaView(v.context, v.api, v.session, v.params.get('idea'), v.t, v.say, v.render),
      suggest: (v) => suggestView(v.context, v.api, v.session, v.t, v.say),
      board: (v) => boardView(v.context, v.api, v.session, v.t, v.say),
    },
    footer: staffLink,
  });
}

export async function mountRoadmap(element, context) {
  const t = textFor('feedback', context.lang);
  const api = apiClient(context.api, { text: uiText('api', context.lang), lang: context.lang });
  injectCommunityStyle();
  element.setAttribute('aria-busy', 'true');
  try {
    const { columns } = await api.get('/feedback/roadmap');
    const board = portalUrl(context.lang, 'feedback');
    element.replaceChildren(
      h('p', {}, t('roadmap_intro'), ' ', h('a', { href: board }, t('board'))),
      h('div', { class: 'kb-roadmap' }, columns.filter((c) => ROADMAP_STATUSES.includes(c.status)).map((column) => h('section', {
        class: `kb-roadmap-column kb-roadmap-${column.status}`, 'aria-labelledby': `kb-roadmap-${column.status}`,
      },
      h('h2', { id: `kb-roadmap-${column.status}` }, h('span', {}, t(`status_${column.status}`)), h('span', { class: 'kb-muted' }, String(column.ideas.length))),
      column.ideas.length ? h('ul', {}, column.ideas.map((idea) => h('li', { 'data-idea': idea.id },
        h('a', { href: `${board}#idea=${encodeURIComponent(idea.id)}` }, idea.title),
        h('p', { class: 'kb-community-meta' }, h('span', {}, votesLabel(idea.vote_count, t)),
          idea.status_changed_at ? h('time', { datetime: htmlDatetime(idea.status_changed_at) }, formatDate(idea.status_changed_at, context.lang)) : null),
        idea.status_note_html ? htmlBlock(idea.status_note_html, 'kb-roadmap-note') : null)))
        : h('p', { class: 'kb-muted' }, t('roadmap_empty'))))));
  } catch (error) {
    element.replaceChildren(failureNotice(error, t));
  } finally {
    element.removeAttribute('aria-busy');
  }
}

registerMount('feedback', (element, context) => { mountFeedback(element, context); });
registerMount('roadmap', (element, context) => { mountRoadmap(element, context); });
