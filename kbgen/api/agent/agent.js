// The agent page: ticket inbox (search, filters, paging, priority and SLA due times), one ticket
// (details, assign, status, priority, reply with canned replies, internal note, the customer's
// other tickets and chats), canned replies, the least-helpful-articles report and customer
// documents. Served only to signed-in staff. Its words come from the agent_* keys of the portal's
// kbgen/i18n/<lang>.toml (via /api/agent/strings), in the agent's chosen or browser language.
import { apiClient, randomId } from '/agent/js/api-client.js';
import { h, htmlDatetime, sanitizedHtml } from '/agent/js/portal-ui.js';
import { startStaffPage, staffHeader } from '/agent/assets/agent-common.js';

const api = apiClient('/api');
const root = document.getElementById('kb-agent');
const STATUSES = ['new', 'open', 'waiting', 'solved', 'closed'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
const PAGE_SIZE = 50;
const state = {
  staff: [], me: null, config: null, lang: 'en', t: (key) => key,
  filters: { q: '', status: '', department: '', assignee: '', priority: '', overdue: false, page: 1 },
};

function when(iso) {
  return new Date(iso).toLocaleString(state.lang, { dateStyle: 'medium', timeStyle: 'short' });
}

function time(iso) {
  return iso ? h('time', { datetime: htmlDatetime(iso) }, when(iso)) : '—';
}

function staffName(id) {
  const person = state.staff.find((s) => s.id === id);
  return person ? (person.name || person.email) : '—';
}

function departmentName(id, labels) {
  const found = state.config.departments.find((d) => d.id === id);
  if (found) return found.label;
  return (labels && (labels[state.lang] || labels.en)) || id;
}

function field(id, label, control) {
  return h('p', { class: 'kb-field' }, h('label', { for: id }, label), control);
}

function select(id, name, options, value, onchange) {
  return h('select', { id, name, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

function statusBadge(status) {
  return h('span', { class: `kb-status kb-status-${status}` }, state.t(`status_${status}`));
}

function priorityBadge(priority) {
  return h('span', { class: `kb-priority kb-priority-${priority}` }, state.t(`priority_${priority}`));
}

function dueCell(ticket) {
  if (!ticket.due_at) return '—';
  return h('span', { class: ticket.overdue ? 'kb-overdue' : '' }, time(ticket.due_at), ticket.overdue ? [' ', h('strong', {}, state.t('overdue'))] : null);
}

function showError(error) {
  const box = document.getElementById('agent-error');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

function inboxQuery() {
  const params = new URLSearchParams();
  const f = state.filters;
  for (const key of ['q', 'status', 'department', 'assignee', 'priority']) if (f[key]) params.append(key, f[key]);
  if (f.overdue) params.append('overdue', 'true');
  params.append('limit', String(PAGE_SIZE));
  params.append('offset', String((f.page - 1) * PAGE_SIZE));
  return params;
}

async function inbox() {
  const t = state.t;
  const f = state.filters;
  const { tickets, total } = await api.get(`/agent/tickets?${inboxQuery()}`);
  const refilter = (key) => (event) => { f[key] = event.target.type === 'checkbox' ? event.target.checked : event.target.value; f.page = 1; route(); };
  const search = h('form', { class: 'kb-agent-search', role: 'search' },
    field('f-q', t('search'), h('input', { id: 'f-q', name: 'q', type: 'search', value: f.q, 'aria-describedby': 'f-q-hint' })),
    h('p', { id: 'f-q-hint', class: 'kb-muted' }, t('search_hint')),
    h('p', {}, h('button', { type: 'submit' }, t('search_button'))));
  search.addEventListener('submit', (event) => { event.preventDefault(); f.q = search.elements.q.value.trim(); f.page = 1; route(); });
  const filters = h('form', { class: 'kb-agent-filters', 'aria-label': t('filters'), onsubmit: (e) => e.preventDefault() },
    field('f-status', t('status'), select('f-status', 'status', [['', t('all')], ...STATUSES.map((s) => [s, t(`status_${s}`)])], f.status, refilter('status'))),
    field('f-department', t('department'), select('f-department', 'department', [['', t('all')], ...state.config.departments.map((d) => [d.id, d.label])], f.department, refilter('department'))),
    field('f-assignee', t('assignee'), select('f-assignee', 'assignee', [['', t('anyone')], ['me', t('me')], ['none', t('unassigned')], ...state.staff.map((s) => [s.id, s.name || s.email])], f.assignee, refilter('assignee'))),
    field('f-priority', t('priority'), select('f-priority', 'priority', [['', t('all')], ...PRIORITIES.map((p) => [p, t(`priority_${p}`)])], f.priority, refilter('priority'))),
    h('p', { class: 'kb-field kb-field-checkbox' }, h('input', { id: 'f-overdue', type: 'checkbox', name: 'overdue', checked: f.overdue, onchange: refilter('overdue') }),
      h('label', { for: 'f-overdue' }, t('overdue_only'))));
  const rows = tickets.map((ticket) => h('tr', { class: ticket.overdue ? 'kb-row-overdue' : '' },
    h('td', {}, h('a', { href: `#ticket/${ticket.id}` }, ticket.number)),
    h('td', {}, h('a', { href: `#ticket/${ticket.id}` }, ticket.subject)),
    h('td', {}, statusBadge(ticket.status)), h('td', {}, priorityBadge(ticket.priority)), h('td', {}, dueCell(ticket)),
    h('td', {}, departmentName(ticket.department, ticket.department_labels)), h('td', {}, ticket.name || ticket.email),
    h('td', {}, staffName(ticket.assignee_id)), h('td', {}, time(ticket.updated_at))));
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const go = (page) => () => { f.page = page; route(); };
  const pager = pages > 1 ? h('nav', { class: 'kb-pager', 'aria-label': t('page_of', { page: f.page, pages }) },
    h('button', { type: 'button', disabled: f.page <= 1, onclick: go(f.page - 1) }, t('previous')),
    h('span', {}, t('page_of', { page: f.page, pages })),
    h('button', { type: 'button', disabled: f.page >= pages, onclick: go(f.page + 1) }, t('next'))) : null;
  const columns = ['number', 'subject', 'status', 'priority', 'due', 'department', 'customer', 'assignee', 'updated'];
  return h('section', {}, h('h2', {}, t('inbox')), search, filters,
    h('p', { class: 'kb-agent-count', role: 'status' }, t('tickets_found', { n: total })),
    h('div', { class: 'kb-table-scroll', tabindex: '0', role: 'region', 'aria-label': t('inbox') },
      h('table', { class: 'kb-agent-table inbox' }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, t(c))))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: columns.length }, t('no_tickets')))))),
    pager);
}

// {customer_name}, {ticket_number}, {agent_name}: unknown placeholders stay as written
export function fillPlaceholders(text, values) {
  return text.replace(/\{(customer_name|ticket_number|agent_name)\}/g, (match, name) => values[name] ?? match);
}

function customFields(ticket) {
  const entries = Object.entries(ticket.fields || {});
  if (!entries.length) return null;
  const labels = Object.fromEntries((state.config.fields || []).map((f) => [f.name, f.label]));
  return h('section', { class: 'kb-card kb-agent-fields' }, h('h3', {}, state.t('fields')),
    h('dl', {}, entries.map(([name, value]) => h('div', {}, h('dt', {}, labels[name] || name), h('dd', {}, String(value))))));
}

async function relatedPanel(ticket) {
  const t = state.t;
  const { tickets, chats } = await api.get(`/agent/tickets/${encodeURIComponent(ticket.id)}/related`);
  return h('aside', { class: 'kb-agent-related', 'aria-label': t('other_tickets') },
    h('h3', {}, t('other_tickets')),
    tickets.length ? h('ul', {}, tickets.map((other) => h('li', {}, h('a', { href: `#ticket/${other.id}` }, `${other.number}: ${other.subject}`), ' ', statusBadge(other.status))))
      : h('p', {}, t('none')),
    h('h3', {}, t('chats')),
    chats.length ? h('ul', {}, chats.map((chat) => h('li', {}, time(chat.created_at), ' · ', t(`chat_status_${chat.status}`),
      chat.department ? ` · ${departmentName(chat.department)}` : '', ' · ', h('a', { href: `/agent/chat/#chat=${encodeURIComponent(chat.id)}` }, t('chat')))))
      : h('p', {}, t('none')));
}

async function ticketView(id) {
  const t = state.t;
  const [ticket, canned] = await Promise.all([api.get(`/agent/tickets/${encodeURIComponent(id)}`), api.get('/agent/canned-replies')]);
  // a change keeps the page (and a reply being written) as it is; only the due time follows
  const due = h('span', {}, dueCell(ticket));
  const saved = h('p', { class: 'kb-muted', role: 'status' });
  const change = async (body) => {
    try {
      const updated = await api.patch(`/agent/tickets/${encodeURIComponent(id)}`, body);
      showError(null);
      due.replaceChildren(dueCell(updated));
      saved.textContent = t('saved');
    } catch (error) { showError(error); }
  };
  const messages = ticket.messages.map((m) => h('li', { class: `kb-card message ${m.author_kind}${m.internal ? ' internal' : ''}` },
    h('p', { class: 'meta' }, h('strong', {}, m.author_name), ` (${m.internal ? t('internal_note') : t(`author_${m.author_kind}`)}) · `, time(m.created_at)),
    sanitizedHtml(m.body_html, 'body'),
    m.attachments.length ? h('ul', { class: 'kb-attachments', 'aria-label': t('attachments') }, m.attachments.map((f) => h('li', {},
      h('a', { href: f.url, download: f.filename }, f.filename), ` (${Math.max(1, Math.round(f.size / 1024))} KB)`))) : null));
  const body = h('textarea', { id: 'reply-body', name: 'body', rows: 6, required: true });
  const me = state.staff.find((s) => s.id === state.me);
  const insert = select('reply-canned', 'canned', [['', t('choose')], ...canned.replies.map((r) => [r.id, r.title])], '', (event) => {
    const chosen = canned.replies.find((r) => r.id === event.target.value);
    if (!chosen) return;
    const text = fillPlaceholders(chosen.body, {
      customer_name: ticket.name || ticket.email, ticket_number: ticket.number, agent_name: me ? (me.name || me.email) : '' });
    const at = body.selectionStart ?? body.value.length;
    body.value = body.value.slice(0, at) + text + body.value.slice(body.selectionEnd ?? at);
    event.target.value = '';
    body.focus();
  });
  const limits = state.config.attachments;
  const files = h('input', { id: 'reply-files', name: 'attachments', type: 'file', multiple: true,
    accept: limits.allowed_types.join(','), 'aria-describedby': 'reply-files-hint' });
  const reply = h('form', { class: 'kb-form reply', novalidate: true },
    h('h3', {}, t('reply')),
    canned.replies.length ? field('reply-canned', t('insert_canned'), insert) : null,
    field('reply-body', t('reply'), body),
    h('p', { class: 'kb-field' }, h('label', { for: 'reply-files' }, t('attachments')), files,
      h('span', { id: 'reply-files-hint', class: 'kb-muted' }, t('attachments_hint', {
        n: limits.max_files, size: Math.floor(limits.max_file_bytes / 1048576), types: limits.allowed_types.join(' ') }))),
    h('p', { class: 'kb-field kb-field-checkbox' }, h('input', { type: 'checkbox', name: 'internal', id: 'reply-internal' }), h('label', { for: 'reply-internal' }, t('internal'))),
    field('reply-status', t('status_after'), select('reply-status', 'reply-status', STATUSES.map((s) => [s, t(`status_${s}`)]), 'waiting', null)),
    h('p', {}, h('button', { type: 'submit' }, t('send'))));
  // one key per reply written: sending again after a lost answer never posts it twice
  let replyKey = randomId();
  reply.addEventListener('submit', async (event) => {
    event.preventDefault();
    const internal = reply.elements.internal.checked;
    const button = reply.querySelector('button[type=submit]');
    const form = new FormData();
    form.append('body', body.value);
    if (internal) form.append('internal', 'true');
    else form.append('status', reply.elements['reply-status'].value);
    for (const file of files.files) form.append('attachments', file);
    button.disabled = true;
    try {
      await api.upload(`/agent/tickets/${encodeURIComponent(id)}/messages`, form, { 'Idempotency-Key': replyKey });
      replyKey = randomId();
      showError(null);
      route();
    } catch (error) { showError(error); } finally { button.disabled = false; }
  });
  const related = await relatedPanel(ticket).catch(() => null);
  return h('div', { class: 'kb-agent-ticket' },
    h('section', { class: 'ticket' },
      h('p', {}, h('a', { href: '#' }, `← ${t('back')}`)),
      h('h2', {}, `${ticket.number}: ${ticket.subject}`),
      h('p', {}, `${t('from')} ${ticket.name ? ticket.name + ' ' : ''}<${ticket.email}>${ticket.customer_id ? '' : ` (${t('guest')})`} · ${departmentName(ticket.department, ticket.department_labels)} · ${ticket.lang}`),
      h('p', {}, `${t('due')}: `, due),
      customFields(ticket),
      h('div', { class: 'kb-agent-controls' },
        field('ticket-status', t('status'), select('ticket-status', 'status', STATUSES.map((s) => [s, t(`status_${s}`)]), ticket.status, (e) => change({ status: e.target.value }))),
        field('ticket-priority', t('priority'), select('ticket-priority', 'priority', PRIORITIES.map((p) => [p, t(`priority_${p}`)]), ticket.priority, (e) => change({ priority: e.target.value }))),
        field('ticket-assignee', t('assignee'), select('ticket-assignee', 'assignee', [['', t('unassigned')], ...state.staff.map((s) => [s.id, s.name || s.email])], ticket.assignee_id || '', (e) => change({ assignee_id: e.target.value }))),
        saved),
      h('h3', {}, t('history')), h('p', {}, ticket.history.map((step, i) => [i ? ' → ' : '', t(`status_${step.to}`), ' (', time(step.at), ')'])),
      h('h3', {}, t('conversation')), h('ol', { class: 'conversation' }, messages), reply),
    related);
}

async function cannedView() {
  const t = state.t;
  const { replies } = await api.get('/agent/canned-replies');
  const editor = (reply) => {
    const key = reply ? reply.id : 'new';
    const form = h('form', { class: 'kb-form kb-card kb-canned', novalidate: true },
      field(`c-title-${key}`, t('canned_title'), h('input', { id: `c-title-${key}`, name: 'title', maxlength: 120, required: true, value: reply ? reply.title : '' })),
      field(`c-body-${key}`, t('canned_body'), h('textarea', { id: `c-body-${key}`, name: 'body', rows: 4, required: true, 'aria-describedby': 'c-hint' }, reply ? reply.body : '')),
      h('p', {}, h('button', { type: 'submit' }, reply ? t('save') : t('add')), ' ',
        reply ? h('button', { type: 'button', class: 'kb-button-secondary', onclick: async () => {
          try { await api.del(`/agent/canned-replies/${encodeURIComponent(reply.id)}`); route(); } catch (error) { showError(error); }
        } }, t('delete')) : null));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = { title: form.elements.title.value, body: form.elements.body.value };
      try {
        if (reply) await api.put(`/agent/canned-replies/${encodeURIComponent(reply.id)}`, data);
        else await api.post('/agent/canned-replies', data);
        showError(null);
        route();
      } catch (error) { showError(error); }
    });
    return form;
  };
  return h('section', {}, h('h2', {}, t('canned')), h('p', { id: 'c-hint', class: 'kb-muted' }, t('canned_hint')),
    replies.map(editor), h('h3', {}, t('add')), editor(null));
}

function satisfactionTable(title, rows, label) {
  const t = state.t;
  return [h('h3', {}, title), rows.length ? h('div', { class: 'kb-table-scroll', tabindex: '0', role: 'region', 'aria-label': title },
    h('table', { class: 'kb-agent-table kb-satisfaction-report' }, h('thead', {}, h('tr', {}, [label, 'rate_good', 'rate_bad', 'score'].map((c) => h('th', { scope: 'col' }, t(c))))),
      h('tbody', {}, rows.map((row) => h('tr', {}, h('td', {}, row.label), h('td', {}, row.good), h('td', {}, row.bad),
        h('td', {}, row.score === null ? '—' : `${row.score} %`))))))
    : h('p', {}, t('none'))];
}

async function ratingsView() {
  const t = state.t;
  const [{ articles }, satisfaction] = await Promise.all([api.get('/agent/ratings'), api.get('/agent/reports/satisfaction')]);
  return h('section', {}, h('h2', {}, t('reports')),
    h('h3', {}, t('satisfaction')),
    satisfactionTable(t('by_agent'), satisfaction.agents.map((r) => ({ ...r, label: r.name || t('unassigned') })), 'assignee'),
    satisfactionTable(t('by_department'), satisfaction.departments.map((r) => ({ ...r, label: departmentName(r.key) })), 'department'),
    satisfaction.comments.length ? [h('h3', {}, t('comments')), h('ul', {}, satisfaction.comments.map((c) => h('li', {},
      h('strong', {}, t(`rate_${c.rating}`)), ' · ', departmentName(c.department), ': ', c.comment)))] : null,
    h('h3', {}, t('least_helpful')),
    h('div', { class: 'kb-table-scroll', tabindex: '0', role: 'region', 'aria-label': t('least_helpful') },
      h('table', { class: 'kb-agent-table ratings' }, h('thead', {}, h('tr', {}, ['article', 'yes', 'no', 'helpful'].map((c) => h('th', { scope: 'col' }, t(c))))),
        h('tbody', {}, articles.map((a) => h('tr', {},
          h('td', {}, a.url && /^\/(?![\/\\])/.test(a.url) ? h('a', { href: a.url }, a.title) : a.title),
          h('td', {}, a.up), h('td', {}, a.down), h('td', {}, a.helpful_ratio === null ? '—' : `${Math.round(a.helpful_ratio * 100)} %`)))))));
}

async function documentsView() {
  const t = state.t;
  const results = h('div', {});
  const search = h('form', { class: 'kb-form', novalidate: true },
    field('doc-email', t('customer_email'), h('input', { id: 'doc-email', name: 'email', type: 'search', required: true })),
    h('p', {}, h('button', { type: 'submit' }, t('find'))));
  search.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { customers } = await api.get(`/agent/customers?email=${encodeURIComponent(search.elements.email.value)}`);
    results.replaceChildren(...customers.map((c) => customerDocuments(c)));
  });
  return h('section', {}, h('h2', {}, t('documents')), search, results);
}

function customerDocuments(customer) {
  const t = state.t;
  const list = h('ul', {});
  const refresh = async () => {
    const { documents } = await api.get(`/agent/customers/${customer.id}/documents`);
    list.replaceChildren(...documents.map((d) => h('li', {}, h('a', { href: d.url }, d.title), ` (${d.filename})`)));
  };
  const upload = h('form', { class: 'kb-form', novalidate: true },
    field(`doc-title-${customer.id}`, t('canned_title'), h('input', { id: `doc-title-${customer.id}`, name: 'title' })),
    field(`doc-file-${customer.id}`, t('file'), h('input', { id: `doc-file-${customer.id}`, name: 'file', type: 'file', required: true })),
    h('p', {}, h('button', { type: 'submit' }, t('attach'))));
  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.upload(`/agent/customers/${customer.id}/documents`, new FormData(upload));
      upload.reset();
      refresh();
    } catch (error) { showError(error); }
  });
  refresh();
  return h('div', { class: 'kb-card customer' }, h('h3', {}, customer.email), list, upload);
}

async function route() {
  const hash = location.hash.replace(/^#/, '');
  const main = document.getElementById('agent-main');
  try {
    let view;
    if (hash.startsWith('ticket/')) view = await ticketView(hash.slice(7));
    else if (hash === 'ratings') view = await ratingsView();
    else if (hash === 'documents') view = await documentsView();
    else if (hash === 'canned') view = await cannedView();
    else view = await inbox();
    main.replaceChildren(view);
    const page = ['canned', 'ratings', 'documents'].includes(hash) ? hash : 'inbox';
    for (const link of document.querySelectorAll('.kb-agent-nav a')) {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  } catch (error) { showError(error); }
}

async function start() {
  const page = await startStaffPage(api);
  const { lang, t } = page;
  const [{ staff, me }, config] = await Promise.all([Promise.resolve(page.staff), api.get(`/config/tickets?lang=${lang}`)]);
  Object.assign(state, { staff, me, config, lang, t });
  document.title = `${t('inbox')} – ${t('title')}`;
  root.replaceChildren(
    staffHeader({ api, ...page, staff: page.staff, page: 'inbox', onError: showError }),
    h('p', { id: 'agent-error', class: 'kb-notice kb-notice-error', role: 'alert', hidden: true }),
    h('main', { id: 'agent-main' }));
  window.addEventListener('hashchange', route);
  route();
}

if (root) start();
