// The feedback board (<lang>/feedback/) and the public roadmap (<lang>/roadmap/): ideas with one
// vote per signed-in user, status filter, top / new / trending sorting, search and pages; one idea
// (#idea=ID) with its status note, history and comments; suggesting and commenting. Writes go
// through the offline queue with an Idempotency-Key, so a resend never posts twice.

import { portalUrl, registerMount } from './core.js';
import { apiClient } from './api-client.js';
import { sharedQueue } from './queue.js';
import { formatDate, h, notice, showFieldErrors } from './portal-ui.js';
import { badge, failureNotice, field, hashParams, hashWith, honeypotField, htmlBlock, injectCommunityStyle, mountHashApp, pager, signInPrompt, textFor } from './forum.js';

export const IDEA_STATUSES = ['open', 'planned', 'in_progress', 'done', 'declined'];
const ROADMAP_STATUSES = ['planned', 'in_progress', 'done'];

const STRINGS = {
  en: {
    loading: 'Loading…', unreachable: 'The feedback board cannot be reached right now, so ideas cannot be shown. Please try again later.',
    error: 'Something went wrong. Please try again.', queued: 'You are offline. This is saved in this browser and will be sent automatically when the connection returns.',
    queued_sent: 'Your saved feedback was sent.', queued_failed: 'Saved feedback could not be sent:', sign_in_to_post: 'Sign in to suggest ideas, vote and comment.', sign_in: 'Sign in',
    vote_signin: 'Sign in to vote.', suggest: 'Suggest an idea', title: 'Your idea in one line', body: 'Describe it: what would it help you do?',
    post_idea: 'Post idea', cancel: 'Cancel', markdown_hint: 'Markdown works: **bold**, *italic*, `code`, [links](https://…).', homepage: 'Leave this field empty',
    search: 'Search ideas', search_button: 'Search', status: 'Status', all_statuses: 'All statuses', sort: 'Sort by',
    sort_top: 'Top', sort_new: 'New', sort_trending: 'Trending', ideas_found: '{n} ideas', no_ideas: 'No ideas here yet.',
    vote: 'Vote', voted: 'Voted', votes: '{n} votes', votes_1: '1 vote', comments_n: '{n} comments', comments_1: '1 comment', comments_0: 'No comments yet',
    status_open: 'Open', status_planned: 'Planned', status_in_progress: 'In progress', status_done: 'Done', status_declined: 'Declined',
    back: 'All ideas', not_found: 'This idea does not exist or was removed.', merged: 'This idea was merged into “{title}”. Votes and discussion continue there.',
    open_merged: 'Go to that idea', comment: 'Your comment', post_comment: 'Post comment', comments: 'Comments', history: 'Status history',
    idea_posted: 'Thank you! Your idea was posted.', comment_posted: 'Your comment was posted.', by: 'by {name}', staff: 'Staff', note: 'Update from the team',
    roadmap_empty: 'Nothing here yet.', roadmap_intro: 'Vote for ideas on the feedback board to tell us what matters most.', board: 'Feedback board',
    moderate: 'Manage feedback', changed: '{from} → {to}',
  },
  ja: {
    loading: '読み込み中…', unreachable: '現在ご意見ボードに接続できないため、アイデアを表示できません。しばらくしてからもう一度お試しください。',
    error: '問題が発生しました。もう一度お試しください。', queued: 'オフラインです。内容はこのブラウザに保存され、接続が戻ると自動的に送信されます。',
    queued_sent: '保存されていた内容を送信しました。', queued_failed: '保存されていた内容を送信できませんでした：', sign_in_to_post: 'アイデアの投稿・投票・コメントにはサインインしてください。', sign_in: 'サインイン',
    vote_signin: '投票するにはサインインしてください。', suggest: 'アイデアを投稿', title: 'アイデアを一行で', body: '詳しく教えてください：何ができるようになると助かりますか？',
    post_idea: 'アイデアを投稿', cancel: 'キャンセル', markdown_hint: 'Markdown が使えます：**太字**、*斜体*、`コード`、[リンク](https://…)。', homepage: 'この欄は空のままにしてください',
    search: 'アイデアを検索', search_button: '検索', status: 'ステータス', all_statuses: 'すべてのステータス', sort: '並べ替え',
    sort_top: '人気順', sort_new: '新しい順', sort_trending: '注目', ideas_found: '{n} 件のアイデア', no_ideas: 'まだアイデアはありません。',
    vote: '投票', voted: '投票済み', votes: '{n} 票', votes_1: '1 票', comments_n: 'コメント {n} 件', comments_1: 'コメント 1 件', comments_0: 'コメントはまだありません',
    status_open: '受付中', status_planned: '予定', status_in_progress: '対応中', status_done: '完了', status_declined: '見送り',
    back: 'アイデア一覧', not_found: 'このアイデアは存在しないか、削除されました。', merged: 'このアイデアは「{title}」に統合されました。投票と議論はそちらで続いています。',
    open_merged: '統合先のアイデアを見る', comment: 'コメント', post_comment: 'コメントを投稿', comments: 'コメント', history: 'ステータスの履歴',
    idea_posted: 'ありがとうございます。アイデアを投稿しました。', comment_posted: 'コメントを投稿しました。', by: '投稿者：{name}', staff: 'スタッフ', note: 'チームからのお知らせ',
    roadmap_empty: 'まだありません。', roadmap_intro: 'ご意見ボードでアイデアに投票して、優先してほしいものを教えてください。', board: 'ご意見ボード',
    moderate: 'ご意見を管理', changed: '{from} → {to}',
  },
};

function statusBadge(status, t) {
  return badge(t(`status_${status}`), status);
}

function votesLabel(n, t) {
  return n === 1 ? t('votes_1') : t('votes', { n });
}

function commentsLabel(n, t) {
  return n === 0 ? t('comments_0') : (n === 1 ? t('comments_1') : t('comments_n', { n }));
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
        h('time', { datetime: idea.created_at }, formatDate(idea.created_at, context.lang)))));
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
      h('time', { datetime: idea.created_at }, formatDate(idea.created_at, context.lang))),
    htmlBlock(idea.body_html),
    idea.merged_into ? null : h('div', { class: 'kb-community-actions' }, voteButton(idea, context, api, session, t, say))));
  if (idea.status_note_html) {
    parts.push(h('section', { class: 'kb-notice kb-idea-note' }, h('h3', {}, t('note'), ' ', statusBadge(idea.status, t)), htmlBlock(idea.status_note_html)));
  }
  if (idea.history.length) {
    parts.push(h('h3', {}, t('history')), h('ol', { class: 'kb-list kb-idea-history' }, idea.history.map((step) => h('li', {},
      h('time', { datetime: step.at }, formatDate(step.at, context.lang)), ' — ',
      t('changed', { from: t(`status_${step.from}`), to: t(`status_${step.to}`) })))));
  }
  parts.push(h('h3', {}, commentsLabel(idea.comments.length, t)),
    ...idea.comments.map((comment) => h('article', { class: 'kb-card kb-community-post kb-idea-comment' },
      h('p', { class: 'kb-community-meta' }, h('strong', {}, comment.author.name || '—'), comment.author.staff ? badge(t('staff'), 'open') : null,
        h('time', { datetime: comment.created_at }, formatDate(comment.created_at, context.lang))),
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
    strings: STRINGS,
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
  const t = textFor(STRINGS, context.lang);
  const api = apiClient(context.api);
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
          idea.status_changed_at ? h('time', { datetime: idea.status_changed_at }, formatDate(idea.status_changed_at, context.lang)) : null),
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
