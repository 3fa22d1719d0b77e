// Staff moderation of the community (/agent/community/): the queue of held first posts, forum
// topics and answers (approve, hide, delete, lock, pin, edit), feedback ideas (status with a public
// note, merge, hide, delete, comments) and the community block list. Data comes from the
// staff-only API; only *_html fields (sanitized by the API) are inserted as HTML. Words: the
// agent_mod_* keys of kbgen/i18n/<lang>.toml, in the agent's language (agent-common.js).
import { apiClient } from '/agent/js/api-client.js';
import { h, htmlDatetime, sanitizedHtml } from '/agent/js/portal-ui.js';
import { dateTime, startStaffPage, staffHeader } from '/agent/assets/agent-common.js';

const api = apiClient('/api');
let view = null;
const STATUSES = ['open', 'planned', 'in_progress', 'done', 'declined'];
const words = { lang: 'en', t: (key) => key };
const t = (key, values) => words.t(`mod_${key}`, values);
const statusLabel = (status) => t(`idea_${status}`);

function when(iso) {
  return iso ? h('time', { datetime: htmlDatetime(iso) }, dateTime(words.lang, iso)) : '';
}

function say(text) {
  const box = document.getElementById('staff-message');
  box.textContent = text;
  box.hidden = !text;
  document.getElementById('staff-error').hidden = true;
}

function fail(error) {
  const box = document.getElementById('staff-error');
  box.textContent = error.message;
  box.hidden = false;
}

// Runs a change, reports it, and redraws the current view.
function act(label, work) {
  return async () => {
    try {
      await work();
      await route(false);
      say(label);     // after the redraw, so the message describes what is on screen
    } catch (error) {
      fail(error);
    }
  };
}

function button(text, onclick, extra = {}) {
  return h('button', { type: 'button', onclick, ...extra }, text);
}

function authorLine(author, created) {
  return h('p', { class: 'meta' }, author.name || t('no_name'), ' · ', author.email || '',
    author.created_at ? [' · ', t('account_since'), ' ', when(author.created_at)] : '',
    author.staff ? h('span', { class: 'badge' }, t('staff')) : null, author.blocked ? h('span', { class: 'badge blocked' }, t('blocked')) : null,
    ' · ', when(created));
}

function blockButton(author) {
  if (!author.id || author.staff || author.blocked) return null;
  return button(t('block', { email: author.email }), act(t('blocked_done', { email: author.email }), async () => {
    const reason = prompt(t('block_prompt', { email: author.email }), '');
    if (reason === null) throw new Error(t('not_blocked'));
    await api.post('/agent/community/blocks', { user_id: author.id, reason });
  }), { class: 'danger' });
}

function confirmThen(question, work) {
  return async () => {
    if (!confirm(question)) throw new Error(t('cancelled'));
    await work();
  };
}

function statusBadge(status) {
  return status === 'visible' ? null : h('span', { class: `badge ${status}` }, t(`post_${status}`));
}

function topicActions(topic) {
  const url = `/agent/forum/topics/${encodeURIComponent(topic.id)}`;
  return h('div', { class: 'actions' },
    topic.status !== 'visible' ? button(topic.status === 'pending' ? t('approve') : t('show_again'), act(t('topic_published'), () => api.patch(url, { status: 'visible' }))) : null,
    topic.status !== 'hidden' ? button(t('hide'), act(t('topic_hidden'), () => api.patch(url, { status: 'hidden' }))) : null,
    button(topic.locked ? t('unlock') : t('lock'), act(topic.locked ? t('topic_unlocked') : t('topic_locked'), () => api.patch(url, { locked: !topic.locked }))),
    button(topic.pinned ? t('unpin') : t('pin'), act(topic.pinned ? t('topic_unpinned') : t('topic_pinned'), () => api.patch(url, { pinned: !topic.pinned }))),
    button(t('delete'), act(t('topic_deleted'), confirmThen(t('topic_delete_confirm', { title: topic.title }), () => api.del(url))), { class: 'danger' }),
    blockButton(topic.author));
}

function answerActions(answer) {
  const url = `/agent/forum/answers/${encodeURIComponent(answer.id)}`;
  return h('div', { class: 'actions' },
    answer.status !== 'visible' ? button(answer.status === 'pending' ? t('approve') : t('show_again'), act(t('answer_published'), () => api.patch(url, { status: 'visible' }))) : null,
    answer.status !== 'hidden' ? button(t('hide'), act(t('answer_hidden'), () => api.patch(url, { status: 'hidden' }))) : null,
    button(t('delete'), act(t('answer_deleted'), confirmThen(t('answer_delete_confirm'), () => api.del(url))), { class: 'danger' }),
    blockButton(answer.author));
}

function topicCard(topic, withLink = true) {
  return h('article', { class: `post kb-card ${topic.status}-post`, 'data-topic': topic.id },
    // on its own page the topic is the page's heading (h2), in a list one of many (h3)
    h(withLink ? 'h3' : 'h2', {}, withLink ? h('a', { href: `#topic/${topic.id}` }, topic.title) : topic.title, statusBadge(topic.status),
      topic.pinned ? h('span', { class: 'badge' }, t('pinned')) : null, topic.locked ? h('span', { class: 'badge' }, t('locked')) : null),
    h('p', { class: 'meta' }, t('topic_meta', { category: topic.category, n: topic.answer_count, lang: topic.lang })),
    authorLine(topic.author, topic.created_at), sanitizedHtml(topic.body_html, 'body'), topicActions(topic));
}

function answerCard(answer) {
  return h('article', { class: `post kb-card ${answer.status}-post`, 'data-answer': answer.id },
    answer.topic_title ? h('p', { class: 'meta' }, t('answer_to'), ' ', h('a', { href: `#topic/${answer.topic_id}` }, answer.topic_title),
      answer.accepted ? h('span', { class: 'badge' }, t('accepted')) : null, statusBadge(answer.status)) : null,
    authorLine(answer.author, answer.created_at), sanitizedHtml(answer.body_html, 'body'), h('p', { class: 'meta' }, t('votes', { n: answer.score })), answerActions(answer));
}

async function queueView() {
  const { topics, answers } = await api.get('/agent/forum/queue');
  return h('section', {}, h('h2', {}, t('queue')),
    h('p', {}, t('queue_hint')),
    h('h3', {}, t('questions_count', { n: topics.length })), topics.length ? topics.map((topic) => topicCard(topic)) : h('p', {}, t('nothing_waiting')),
    h('h3', {}, t('answers_count', { n: answers.length })), answers.length ? answers.map(answerCard) : h('p', {}, t('nothing_waiting')));
}

const topicFilters = { status: '', q: '' };

function filterForm(prefix, filters, options) {
  const search = h('input', { id: `${prefix}-q`, name: 'q', type: 'search', value: filters.q });
  return h('form', { class: 'kb-agent-filters', role: 'search', onsubmit: (event) => { event.preventDefault(); filters.q = search.value; route(false); } },
    h('p', { class: 'kb-field' }, h('label', { for: `${prefix}-status` }, t('status')),
      h('select', { id: `${prefix}-status`, name: 'status', onchange: (e) => { filters.status = e.target.value; route(false); } },
        options.map(([v, text]) => h('option', { value: v, selected: v === filters.status }, text)))),
    h('p', { class: 'kb-field' }, h('label', { for: `${prefix}-q` }, t('search')), search),
    h('p', {}, h('button', { type: 'submit' }, t('search'))));
}

async function topicsView() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(topicFilters)) if (value) params.set(key, value);
  const { topics, total } = await api.get(`/agent/forum/topics?${params}`);
  const filters = filterForm('topic', topicFilters,
    [['', t('all')], ['visible', t('post_visible')], ['pending', t('post_pending')], ['hidden', t('post_hidden')]]);
  return h('section', {}, h('h2', {}, t('topics_count', { n: total })), filters, topics.map((topic) => topicCard(topic)));
}

function field(id, label, control) {
  return h('p', { class: 'kb-field' }, h('label', { for: id }, label), control);
}

async function topicDetail(id) {
  const topic = await api.get(`/agent/forum/topics/${encodeURIComponent(id)}`);
  const url = `/agent/forum/topics/${encodeURIComponent(topic.id)}`;
  const edit = h('form', { class: 'edit kb-form', onsubmit: (event) => {
    event.preventDefault();
    act(t('topic_saved'), () => api.patch(url, { title: edit.elements.title.value, category: edit.elements.category.value, body: edit.elements.body.value }))();
  } },
  field('edit-title', t('title'), h('input', { id: 'edit-title', name: 'title', value: topic.title, maxlength: 200 })),
  field('edit-category', t('category'), h('input', { id: 'edit-category', name: 'category', value: topic.category, maxlength: 200 })),
  field('edit-body', t('question'), h('textarea', { id: 'edit-body', name: 'body', rows: 6 }, topic.body)),
  h('p', {}, h('button', { type: 'submit' }, t('save_topic'))));
  return h('section', {}, h('p', {}, h('a', { href: '#topics' }, `← ${t('all_topics')}`)), topicCard(topic, false),
    h('details', {}, h('summary', {}, t('edit_topic')), edit),
    h('h3', {}, t('answers_count', { n: topic.answers.length })),
    topic.answers.map((answer) => {
      const card = answerCard(answer);
      const form = h('form', { class: 'edit kb-form', onsubmit: (event) => {
        event.preventDefault();
        act(t('answer_saved'), () => api.patch(`/agent/forum/answers/${encodeURIComponent(answer.id)}`, { body: form.elements.body.value }))();
      } }, field(`answer-${answer.id}`, t('answer'), h('textarea', { id: `answer-${answer.id}`, name: 'body', rows: 4 }, answer.body)),
      h('p', {}, h('button', { type: 'submit' }, t('save_answer'))));
      card.append(h('details', {}, h('summary', {}, t('edit_answer')), form));
      return card;
    }));
}

const ideaFilters = { status: '', q: '' };

function ideaCard(idea, ideas, heading = 'h3') {
  const url = `/agent/feedback/ideas/${encodeURIComponent(idea.id)}`;
  const statusForm = h('form', { class: 'edit kb-form', onsubmit: (event) => {
    event.preventDefault();
    act(t('idea_updated'), () => api.patch(url,
      { status: statusForm.elements.status.value, note: statusForm.elements.note.value }))();
  } },
  field(`status-${idea.id}`, t('status'),
    h('select', { id: `status-${idea.id}`, name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === idea.status }, statusLabel(s))))),
  field(`note-${idea.id}`, t('public_note'), h('textarea', { id: `note-${idea.id}`, name: 'note', rows: 2, maxlength: 2000 }, idea.status_note)),
  h('p', {}, h('button', { type: 'submit' }, t('save_status'))));
  const targets = ideas.filter((other) => other.id !== idea.id && !other.merged_into_id);
  const mergeForm = h('form', { class: 'edit kb-form', onsubmit: (event) => {
    event.preventDefault();
    const into = mergeForm.elements.into.value;
    act(t('merged'), confirmThen(t('merge_confirm'), () => api.post(`${url}/merge`, { into })))();
  } },
  field(`merge-${idea.id}`, t('merge_into'),
    h('select', { id: `merge-${idea.id}`, name: 'into' }, targets.map((other) => h('option', { value: other.id }, `${other.title} (${t('votes', { n: other.vote_count })})`)))),
  h('p', {}, h('button', { type: 'submit', disabled: !targets.length }, t('merge'))));
  return h('article', { class: `post kb-card${idea.hidden ? ' hidden-post' : ''}`, 'data-idea': idea.id },
    h(heading, {}, h('a', { href: `#idea/${idea.id}` }, idea.title), h('span', { class: 'badge' }, statusLabel(idea.status)),
      idea.hidden ? h('span', { class: 'badge hidden' }, t('post_hidden')) : null, idea.merged_into_id ? h('span', { class: 'badge' }, t('merged_badge')) : null),
    h('p', { class: 'meta' }, `${t('votes', { n: idea.vote_count })} · ${t('comments', { n: idea.comment_count })}`),
    authorLine(idea.author, idea.created_at), sanitizedHtml(idea.body_html, 'body'),
    idea.merged_into_id ? null : statusForm,
    idea.merged_into_id ? null : h('details', {}, h('summary', {}, t('merge_summary')), mergeForm),
    h('div', { class: 'actions' },
      button(idea.hidden ? t('show_again') : t('hide'), act(idea.hidden ? t('idea_shown') : t('idea_hidden'), () => api.patch(url, { hidden: !idea.hidden }))),
      button(t('delete'), act(t('idea_deleted'), confirmThen(t('idea_delete_confirm', { title: idea.title }), () => api.del(url))), { class: 'danger' }),
      blockButton(idea.author)));
}

async function feedbackView() {
  const params = new URLSearchParams({ per_page: '100' });
  for (const [key, value] of Object.entries(ideaFilters)) if (value) params.set(key, value);
  const { ideas, total } = await api.get(`/agent/feedback/ideas?${params}`);
  const filters = filterForm('idea', ideaFilters, [['', t('all')], ...STATUSES.map((s) => [s, statusLabel(s)])]);
  return h('section', {}, h('h2', {}, t('ideas_count', { n: total })), filters, ideas.map((idea) => ideaCard(idea, ideas)));
}

async function ideaDetail(id) {
  const idea = await api.get(`/agent/feedback/ideas/${encodeURIComponent(id)}`);
  const { ideas } = await api.get('/agent/feedback/ideas?per_page=100');
  return h('section', {}, h('p', {}, h('a', { href: '#feedback' }, `← ${t('all_ideas')}`)), ideaCard(idea, ideas, 'h2'),
    h('h3', {}, t('comments_count', { n: idea.comments.length })),
    idea.comments.map((comment) => {
      const url = `/agent/feedback/comments/${encodeURIComponent(comment.id)}`;
      return h('article', { class: `post kb-card${comment.hidden ? ' hidden-post' : ''}`, 'data-comment': comment.id },
        authorLine(comment.author, comment.created_at), sanitizedHtml(comment.body_html, 'body'),
        h('div', { class: 'actions' },
          button(comment.hidden ? t('show_again') : t('hide'), act(t('comment_updated'), () => api.patch(url, { hidden: !comment.hidden }))),
          button(t('delete'), act(t('comment_deleted'), confirmThen(t('comment_delete_confirm'), () => api.del(url))), { class: 'danger' }),
          blockButton(comment.author)));
    }));
}

async function blocksView() {
  const { blocks } = await api.get('/agent/community/blocks');
  const form = h('form', { class: 'edit kb-form', onsubmit: (event) => {
    event.preventDefault();
    act(t('blocked_done', { email: form.elements.email.value }), () => api.post('/agent/community/blocks', { email: form.elements.email.value, reason: form.elements.reason.value }))();
  } },
  field('block-email', t('block_email'), h('input', { id: 'block-email', name: 'email', type: 'email', required: true })),
  field('block-reason', t('block_reason'), h('input', { id: 'block-reason', name: 'reason', maxlength: 500 })),
  h('p', {}, h('button', { type: 'submit' }, t('block_account'))));
  return h('section', {}, h('h2', {}, t('blocks')),
    h('p', {}, t('blocks_hint')),
    form,
    blocks.length ? h('div', { class: 'kb-table-scroll', tabindex: '0', role: 'region', 'aria-label': t('blocks') },
      h('table', { class: 'kb-agent-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('account')), h('th', { scope: 'col' }, t('reason')),
        h('th', { scope: 'col' }, t('since')), h('th', { scope: 'col' }, h('span', { class: 'kb-sr-only' }, t('actions'))))),
      h('tbody', {}, blocks.map((b) => h('tr', { 'data-user': b.user_id }, h('td', {}, `${b.name} <${b.email}>`), h('td', {}, b.reason), h('td', {}, when(b.created_at)),
        h('td', {}, button(t('unblock'), act(t('unblocked_done', { email: b.email }), () => api.del(`/agent/community/blocks/${encodeURIComponent(b.user_id)}`)))))))))
      : h('p', {}, t('no_blocks')));
}

async function route(clearMessage = true) {
  const hash = location.hash.replace(/^#/, '') || 'queue';
  if (clearMessage) say('');
  for (const link of document.querySelectorAll('.kb-mod-nav a')) {
    const target = link.getAttribute('href').replace(/^#/, '');
    if (target === hash.split('/')[0] || (target === 'topics' && hash.startsWith('topic/')) || (target === 'feedback' && hash.startsWith('idea/'))) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    let content;
    if (hash.startsWith('topic/')) content = await topicDetail(hash.slice(6));
    else if (hash === 'topics') content = await topicsView();
    else if (hash.startsWith('idea/')) content = await ideaDetail(hash.slice(5));
    else if (hash === 'feedback') content = await feedbackView();
    else if (hash === 'blocks') content = await blocksView();
    else content = await queueView();
    view.replaceChildren(content);
  } catch (error) {
    fail(error);
  }
}

async function start() {
  const page = await startStaffPage(api);
  Object.assign(words, { lang: page.lang, t: page.t });
  document.title = `${page.t('community')} – ${page.t('title')}`;
  view = h('div', { id: 'staff-view' });
  document.getElementById('kb-agent').replaceChildren(
    staffHeader({ api, ...page, page: 'community', onError: (error) => (error ? fail(error) : say('')) }),
    h('main', { id: 'agent-main' },
      h('nav', { class: 'kb-mod-nav', 'aria-label': t('sections') }, h('ul', {},
        [['#queue', t('queue')], ['#topics', t('topics')], ['#feedback', t('ideas')], ['#blocks', t('blocks')]]
          .map(([href, text]) => h('li', {}, h('a', { href }, text))))),
      h('p', { id: 'staff-message', class: 'kb-notice kb-notice-success', role: 'status', hidden: true }),
      h('p', { id: 'staff-error', class: 'kb-notice kb-notice-error', role: 'alert', hidden: true }),
      view));
  window.addEventListener('hashchange', () => route());
  route();
}

start();
