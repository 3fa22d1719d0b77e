// Staff moderation of the community (/agent/community/): the queue of held first posts, forum
// topics and answers (approve, hide, delete, lock, pin, edit), feedback ideas (status with a public
// note, merge, hide, delete, comments) and the community block list. Data comes from the
// staff-only API; only *_html fields (sanitized by the API) are inserted as HTML.
import { apiClient } from '/agent/js/api-client.js';
import { h, sanitizedHtml } from '/agent/js/portal-ui.js';

const api = apiClient('/api');
const view = document.getElementById('staff-view');
const STATUSES = ['open', 'planned', 'in_progress', 'done', 'declined'];
const STATUS_LABELS = { open: 'Open', planned: 'Planned', in_progress: 'In progress', done: 'Done', declined: 'Declined' };


function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
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
  return h('p', { class: 'meta' }, author.name || '(no name)', ' · ', author.email || '', author.created_at ? ` · account since ${when(author.created_at)}` : '',
    author.staff ? h('span', { class: 'badge' }, 'staff') : null, author.blocked ? h('span', { class: 'badge blocked' }, 'blocked') : null,
    ` · ${when(created)}`);
}

function blockButton(author) {
  if (!author.id || author.staff || author.blocked) return null;
  return button(`Block ${author.email}`, act(`Blocked ${author.email}.`, async () => {
    const reason = prompt(`Block ${author.email} from posting and voting? Reason (optional):`, '');
    if (reason === null) throw new Error('Not blocked.');
    await api.post('/agent/community/blocks', { user_id: author.id, reason });
  }), { class: 'danger' });
}

function confirmThen(question, work) {
  return async () => {
    if (!confirm(question)) throw new Error('Cancelled.');
    await work();
  };
}

function statusBadge(status) {
  return status === 'visible' ? null : h('span', { class: `badge ${status}` }, status === 'pending' ? 'waiting for approval' : status);
}

function topicActions(topic) {
  const url = `/agent/forum/topics/${encodeURIComponent(topic.id)}`;
  return h('div', { class: 'actions' },
    topic.status !== 'visible' ? button(topic.status === 'pending' ? 'Approve' : 'Show again', act('Topic published.', () => api.patch(url, { status: 'visible' }))) : null,
    topic.status !== 'hidden' ? button('Hide', act('Topic hidden.', () => api.patch(url, { status: 'hidden' }))) : null,
    button(topic.locked ? 'Unlock' : 'Lock', act(topic.locked ? 'Topic unlocked.' : 'Topic locked.', () => api.patch(url, { locked: !topic.locked }))),
    button(topic.pinned ? 'Unpin' : 'Pin', act(topic.pinned ? 'Topic unpinned.' : 'Topic pinned.', () => api.patch(url, { pinned: !topic.pinned }))),
    button('Delete', act('Topic deleted.', confirmThen(`Delete “${topic.title}” and all its answers for good?`, () => api.del(url))), { class: 'danger' }),
    blockButton(topic.author));
}

function answerActions(answer) {
  const url = `/agent/forum/answers/${encodeURIComponent(answer.id)}`;
  return h('div', { class: 'actions' },
    answer.status !== 'visible' ? button(answer.status === 'pending' ? 'Approve' : 'Show again', act('Answer published.', () => api.patch(url, { status: 'visible' }))) : null,
    answer.status !== 'hidden' ? button('Hide', act('Answer hidden.', () => api.patch(url, { status: 'hidden' }))) : null,
    button('Delete', act('Answer deleted.', confirmThen('Delete this answer for good?', () => api.del(url))), { class: 'danger' }),
    blockButton(answer.author));
}

function topicCard(topic, withLink = true) {
  return h('article', { class: `post ${topic.status}-post`, 'data-topic': topic.id },
    h('h3', {}, withLink ? h('a', { href: `#topic/${topic.id}` }, topic.title) : topic.title, statusBadge(topic.status),
      topic.pinned ? h('span', { class: 'badge' }, 'pinned') : null, topic.locked ? h('span', { class: 'badge' }, 'locked') : null),
    h('p', { class: 'meta' }, `Category: ${topic.category} · ${topic.answer_count} answers · language ${topic.lang}`),
    authorLine(topic.author, topic.created_at), sanitizedHtml(topic.body_html, 'body'), topicActions(topic));
}

function answerCard(answer) {
  return h('article', { class: `post ${answer.status}-post`, 'data-answer': answer.id },
    answer.topic_title ? h('p', { class: 'meta' }, 'Answer to ', h('a', { href: `#topic/${answer.topic_id}` }, answer.topic_title),
      answer.accepted ? h('span', { class: 'badge' }, 'accepted') : null, statusBadge(answer.status)) : null,
    authorLine(answer.author, answer.created_at), sanitizedHtml(answer.body_html, 'body'), h('p', { class: 'meta' }, `${answer.score} votes`), answerActions(answer));
}

async function queueView() {
  const { topics, answers } = await api.get('/agent/forum/queue');
  return h('section', {}, h('h2', {}, 'Moderation queue'),
    h('p', {}, 'First posts of new accounts wait here until approved ([forum] moderate_first_posts in kbgen.toml).'),
    h('h3', {}, `Questions (${topics.length})`), topics.length ? topics.map((t) => topicCard(t)) : h('p', {}, 'Nothing waiting.'),
    h('h3', {}, `Answers (${answers.length})`), answers.length ? answers.map(answerCard) : h('p', {}, 'Nothing waiting.'));
}

const topicFilters = { status: '', q: '' };

async function topicsView() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(topicFilters)) if (value) params.set(key, value);
  const { topics, total } = await api.get(`/agent/forum/topics?${params}`);
  const search = h('input', { id: 'topic-q', type: 'search', value: topicFilters.q });
  const filters = h('form', { class: 'filters', onsubmit: (event) => { event.preventDefault(); topicFilters.q = search.value; route(false); } },
    h('label', { for: 'topic-status' }, 'Status ', h('select', { id: 'topic-status', onchange: (e) => { topicFilters.status = e.target.value; route(false); } },
      [['', 'All'], ['visible', 'Published'], ['pending', 'Waiting'], ['hidden', 'Hidden']].map(([v, text]) => h('option', { value: v, selected: v === topicFilters.status }, text)))),
    h('label', { for: 'topic-q' }, 'Search ', search), h('button', { type: 'submit' }, 'Search'));
  return h('section', {}, h('h2', {}, `Forum topics (${total})`), filters, topics.map((t) => topicCard(t)));
}

async function topicDetail(id) {
  const topic = await api.get(`/agent/forum/topics/${encodeURIComponent(id)}`);
  const url = `/agent/forum/topics/${encodeURIComponent(topic.id)}`;
  const edit = h('form', { class: 'edit', onsubmit: (event) => {
    event.preventDefault();
    act('Topic saved.', () => api.patch(url, { title: edit.elements.title.value, category: edit.elements.category.value, body: edit.elements.body.value }))();
  } },
  h('label', { for: 'edit-title' }, 'Title'), h('input', { id: 'edit-title', name: 'title', value: topic.title, maxlength: 200 }),
  h('label', { for: 'edit-category' }, 'Category'), h('input', { id: 'edit-category', name: 'category', value: topic.category, maxlength: 200 }),
  h('label', { for: 'edit-body' }, 'Question'), h('textarea', { id: 'edit-body', name: 'body', rows: 6 }, topic.body),
  h('p', {}, h('button', { type: 'submit' }, 'Save topic')));
  return h('section', {}, h('p', {}, h('a', { href: '#topics' }, '← All topics')), topicCard(topic, false),
    h('details', {}, h('summary', {}, 'Edit topic'), edit),
    h('h3', {}, `Answers (${topic.answers.length})`),
    topic.answers.map((answer) => {
      const card = answerCard(answer);
      const form = h('form', { class: 'edit', onsubmit: (event) => {
        event.preventDefault();
        act('Answer saved.', () => api.patch(`/agent/forum/answers/${encodeURIComponent(answer.id)}`, { body: form.elements.body.value }))();
      } }, h('label', { for: `answer-${answer.id}` }, 'Answer'), h('textarea', { id: `answer-${answer.id}`, name: 'body', rows: 4 }, answer.body),
      h('p', {}, h('button', { type: 'submit' }, 'Save answer')));
      card.append(h('details', {}, h('summary', {}, 'Edit answer'), form));
      return card;
    }));
}

const ideaFilters = { status: '', q: '' };

function ideaCard(idea, ideas) {
  const url = `/agent/feedback/ideas/${encodeURIComponent(idea.id)}`;
  const statusForm = h('form', { class: 'edit', onsubmit: (event) => {
    event.preventDefault();
    act('Idea updated; its voters were told about a new status by email.', () => api.patch(url,
      { status: statusForm.elements.status.value, note: statusForm.elements.note.value }))();
  } },
  h('label', { for: `status-${idea.id}` }, 'Status'),
  h('select', { id: `status-${idea.id}`, name: 'status' }, STATUSES.map((s) => h('option', { value: s, selected: s === idea.status }, STATUS_LABELS[s]))),
  h('label', { for: `note-${idea.id}` }, 'Public note (Markdown, optional)'),
  h('textarea', { id: `note-${idea.id}`, name: 'note', rows: 2, maxlength: 2000 }, idea.status_note),
  h('p', {}, h('button', { type: 'submit' }, 'Save status')));
  const targets = ideas.filter((other) => other.id !== idea.id && !other.merged_into_id);
  const mergeForm = h('form', { class: 'edit', onsubmit: (event) => {
    event.preventDefault();
    const into = mergeForm.elements.into.value;
    act('Merged; the voters moved to the idea that stays.', confirmThen('Merge this idea into the chosen one? Its voters move over.',
      () => api.post(`${url}/merge`, { into })))();
  } },
  h('label', { for: `merge-${idea.id}` }, 'Merge this duplicate into'),
  h('select', { id: `merge-${idea.id}`, name: 'into' }, targets.map((other) => h('option', { value: other.id }, `${other.title} (${other.vote_count} votes)`))),
  h('p', {}, h('button', { type: 'submit', disabled: !targets.length }, 'Merge')));
  return h('article', { class: `post${idea.hidden ? ' hidden-post' : ''}`, 'data-idea': idea.id },
    h('h3', {}, h('a', { href: `#idea/${idea.id}` }, idea.title), h('span', { class: 'badge' }, STATUS_LABELS[idea.status]),
      idea.hidden ? h('span', { class: 'badge hidden' }, 'hidden') : null, idea.merged_into_id ? h('span', { class: 'badge' }, 'merged') : null),
    h('p', { class: 'meta' }, `${idea.vote_count} votes · ${idea.comment_count} comments`),
    authorLine(idea.author, idea.created_at), sanitizedHtml(idea.body_html, 'body'),
    idea.merged_into_id ? null : statusForm,
    idea.merged_into_id ? null : h('details', {}, h('summary', {}, 'Merge into another idea…'), mergeForm),
    h('div', { class: 'actions' },
      button(idea.hidden ? 'Show again' : 'Hide', act(idea.hidden ? 'Idea shown.' : 'Idea hidden.', () => api.patch(url, { hidden: !idea.hidden }))),
      button('Delete', act('Idea deleted.', confirmThen(`Delete “${idea.title}”, its votes and comments for good?`, () => api.del(url))), { class: 'danger' }),
      blockButton(idea.author)));
}

async function feedbackView() {
  const params = new URLSearchParams({ per_page: '100' });
  for (const [key, value] of Object.entries(ideaFilters)) if (value) params.set(key, value);
  const { ideas, total } = await api.get(`/agent/feedback/ideas?${params}`);
  const search = h('input', { id: 'idea-q', type: 'search', value: ideaFilters.q });
  const filters = h('form', { class: 'filters', onsubmit: (event) => { event.preventDefault(); ideaFilters.q = search.value; route(false); } },
    h('label', { for: 'idea-status' }, 'Status ', h('select', { id: 'idea-status', onchange: (e) => { ideaFilters.status = e.target.value; route(false); } },
      [['', 'All'], ...STATUSES.map((s) => [s, STATUS_LABELS[s]])].map(([v, text]) => h('option', { value: v, selected: v === ideaFilters.status }, text)))),
    h('label', { for: 'idea-q' }, 'Search ', search), h('button', { type: 'submit' }, 'Search'));
  return h('section', {}, h('h2', {}, `Feedback ideas (${total})`), filters, ideas.map((idea) => ideaCard(idea, ideas)));
}

async function ideaDetail(id) {
  const idea = await api.get(`/agent/feedback/ideas/${encodeURIComponent(id)}`);
  const { ideas } = await api.get('/agent/feedback/ideas?per_page=100');
  return h('section', {}, h('p', {}, h('a', { href: '#feedback' }, '← All ideas')), ideaCard(idea, ideas),
    h('h3', {}, `Comments (${idea.comments.length})`),
    idea.comments.map((comment) => {
      const url = `/agent/feedback/comments/${encodeURIComponent(comment.id)}`;
      return h('article', { class: `post${comment.hidden ? ' hidden-post' : ''}`, 'data-comment': comment.id },
        authorLine(comment.author, comment.created_at), sanitizedHtml(comment.body_html, 'body'),
        h('div', { class: 'actions' },
          button(comment.hidden ? 'Show again' : 'Hide', act('Comment updated.', () => api.patch(url, { hidden: !comment.hidden }))),
          button('Delete', act('Comment deleted.', confirmThen('Delete this comment for good?', () => api.del(url))), { class: 'danger' }),
          blockButton(comment.author)));
    }));
}

async function blocksView() {
  const { blocks } = await api.get('/agent/community/blocks');
  const form = h('form', { class: 'edit', onsubmit: (event) => {
    event.preventDefault();
    act(`Blocked ${form.elements.email.value}.`, () => api.post('/agent/community/blocks', { email: form.elements.email.value, reason: form.elements.reason.value }))();
  } },
  h('label', { for: 'block-email' }, 'Email of the account'), h('input', { id: 'block-email', name: 'email', type: 'email', required: true }),
  h('label', { for: 'block-reason' }, 'Reason (for staff)'), h('input', { id: 'block-reason', name: 'reason', maxlength: 500 }),
  h('p', {}, h('button', { type: 'submit' }, 'Block account')));
  return h('section', {}, h('h2', {}, 'Blocked accounts'),
    h('p', {}, 'A blocked account can still sign in, read and use support tickets, but cannot post or vote in the community.'),
    form,
    blocks.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Account'), h('th', {}, 'Reason'), h('th', {}, 'Since'), h('th', {}, ''))),
      h('tbody', {}, blocks.map((b) => h('tr', { 'data-user': b.user_id }, h('td', {}, `${b.name} <${b.email}>`), h('td', {}, b.reason), h('td', {}, when(b.created_at)),
        h('td', {}, button('Unblock', act(`Unblocked ${b.email}.`, () => api.del(`/agent/community/blocks/${encodeURIComponent(b.user_id)}`))))))))
      : h('p', {}, 'No account is blocked.'));
}

async function route(clearMessage = true) {
  const hash = location.hash.replace(/^#/, '') || 'queue';
  if (clearMessage) say('');
  for (const link of document.querySelectorAll('header nav a')) {
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

window.addEventListener('hashchange', () => route());
route();
