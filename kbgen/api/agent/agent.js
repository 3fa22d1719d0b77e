// The agent page: ticket inbox with filters, one ticket (assign, status, reply, internal note),
// the least-helpful-articles report and customer documents. Served only to signed-in staff.
import { apiClient } from '/agent/js/api-client.js';
import { h, sanitizedHtml } from '/agent/js/portal-ui.js';

const api = apiClient('/api');
const root = document.getElementById('kb-agent');
const STATUSES = ['new', 'open', 'waiting', 'solved', 'closed'];
const state = { staff: [], me: null, config: null, filters: { status: '', department: '', assignee: '' } };


function when(iso) {
  return new Date(iso).toLocaleString();
}

function staffName(id) {
  const person = state.staff.find((s) => s.id === id);
  return person ? (person.name || person.email) : '—';
}

function select(name, label, options, value, onchange) {
  const id = `f-${name}`;
  return h('label', { for: id }, label, ' ', h('select', { id, name, onchange },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function showError(error) {
  const box = document.getElementById('agent-error');
  box.textContent = error.message;
  box.hidden = false;
}

async function inbox() {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(state.filters)) if (value) params.append(key, value);
  const { tickets, total } = await api.get(`/agent/tickets?${params}`);
  const filters = h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
    select('status', 'Status', [['', 'All'], ...STATUSES.map((s) => [s, s])], state.filters.status, (e) => { state.filters.status = e.target.value; route(); }),
    select('department', 'Department', [['', 'All'], ...state.config.departments.map((d) => [d.id, d.label])], state.filters.department, (e) => { state.filters.department = e.target.value; route(); }),
    select('assignee', 'Assignee', [['', 'Anyone'], ['me', 'Me'], ['none', 'Unassigned'], ...state.staff.map((s) => [s.id, s.name || s.email])], state.filters.assignee, (e) => { state.filters.assignee = e.target.value; route(); }));
  const rows = tickets.map((t) => h('tr', {},
    h('td', {}, h('a', { href: `#ticket/${t.id}` }, t.number)),
    h('td', {}, h('a', { href: `#ticket/${t.id}` }, t.subject)), h('td', {}, h('span', { class: `status status-${t.status}` }, t.status)),
    h('td', {}, t.department), h('td', {}, t.email), h('td', {}, staffName(t.assignee_id)), h('td', {}, when(t.updated_at))));
  return h('section', {}, h('h2', {}, `Inbox (${total})`), filters,
    h('table', { class: 'inbox' }, h('thead', {}, h('tr', {}, ['Number', 'Subject', 'Status', 'Department', 'Customer', 'Assignee', 'Updated'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows)));
}

async function ticketView(id) {
  const ticket = await api.get(`/agent/tickets/${encodeURIComponent(id)}`);
  const change = async (body) => { await api.patch(`/agent/tickets/${encodeURIComponent(id)}`, body); route(); };
  const messages = ticket.messages.map((m) => h('li', { class: `message ${m.author_kind}${m.internal ? ' internal' : ''}` },
    h('p', { class: 'meta' }, h('strong', {}, m.author_name), ` (${m.internal ? 'internal note' : m.author_kind}) · ${when(m.created_at)}`),
    sanitizedHtml(m.body_html, 'body'),
    m.attachments.length ? h('ul', {}, m.attachments.map((f) => h('li', {}, h('a', { href: f.url, download: f.filename }, f.filename)))) : null));
  const reply = h('form', { class: 'reply', novalidate: true },
    h('label', { for: 'reply-body' }, 'Reply'), h('textarea', { id: 'reply-body', name: 'body', rows: 6, required: true }),
    h('p', {}, h('label', {}, h('input', { type: 'checkbox', name: 'internal', id: 'reply-internal' }), ' Internal note (not shown to the customer)')),
    h('p', {}, select('reply-status', 'Status after reply', STATUSES.map((s) => [s, s]), 'waiting', null)),
    h('p', {}, h('button', { type: 'submit' }, 'Send')));
  reply.addEventListener('submit', async (event) => {
    event.preventDefault();
    const internal = reply.elements.internal.checked;
    try {
      await api.post(`/agent/tickets/${encodeURIComponent(id)}/messages`, {
        body: reply.elements.body.value, internal, ...(internal ? {} : { status: reply.elements['reply-status'].value }) });
      route();
    } catch (error) { showError(error); }
  });
  const fields = Object.entries(ticket.fields || {});
  return h('section', { class: 'ticket' },
    h('p', {}, h('a', { href: '#' }, '← Inbox')),
    h('h2', {}, `${ticket.number}: ${ticket.subject}`),
    h('p', {}, `From ${ticket.name ? ticket.name + ' ' : ''}<${ticket.email}>${ticket.customer_id ? '' : ' (guest)'} · ${ticket.department} · ${ticket.lang}`),
    fields.length ? h('dl', {}, fields.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])) : null,
    h('p', { class: 'controls' },
      select('ticket-status', 'Status', STATUSES.map((s) => [s, s]), ticket.status, (e) => change({ status: e.target.value })),
      ' ',
      select('ticket-assignee', 'Assignee', [['', 'Unassigned'], ...state.staff.map((s) => [s.id, s.name || s.email])], ticket.assignee_id || '', (e) => change({ assignee_id: e.target.value }))),
    h('h3', {}, 'History'), h('p', {}, ticket.history.map((step) => `${step.to} (${when(step.at)})`).join(' → ')),
    h('h3', {}, 'Conversation'), h('ol', { class: 'conversation' }, messages), reply);
}

async function ratingsView() {
  const { articles } = await api.get('/agent/ratings');
  return h('section', {}, h('h2', {}, 'Least helpful articles'),
    h('table', { class: 'ratings' }, h('thead', {}, h('tr', {}, ['Article', 'Yes', 'No', 'Helpful'].map((c) => h('th', {}, c)))),
      h('tbody', {}, articles.map((a) => h('tr', {},
        h('td', {}, a.url && /^\/(?![\/\\])/.test(a.url) ? h('a', { href: a.url }, a.title) : a.title),
        h('td', {}, a.up), h('td', {}, a.down), h('td', {}, a.helpful_ratio === null ? '—' : `${Math.round(a.helpful_ratio * 100)} %`))))));
}

async function documentsView() {
  const results = h('div', {});
  const search = h('form', { novalidate: true }, h('label', { for: 'doc-email' }, 'Customer email '),
    h('input', { id: 'doc-email', name: 'email', type: 'search', required: true }), ' ', h('button', { type: 'submit' }, 'Find'));
  search.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { customers } = await api.get(`/agent/customers?email=${encodeURIComponent(search.elements.email.value)}`);
    results.replaceChildren(...customers.map((c) => customerDocuments(c)));
  });
  return h('section', {}, h('h2', {}, 'Customer documents'), search, results);
}

function customerDocuments(customer) {
  const list = h('ul', {});
  const refresh = async () => {
    const { documents } = await api.get(`/agent/customers/${customer.id}/documents`);
    list.replaceChildren(...documents.map((d) => h('li', {}, h('a', { href: d.url }, d.title), ` (${d.filename})`)));
  };
  const upload = h('form', { novalidate: true },
    h('input', { name: 'title', placeholder: 'Title', 'aria-label': 'Title' }), ' ',
    h('input', { name: 'file', type: 'file', required: true, 'aria-label': 'File' }), ' ', h('button', { type: 'submit' }, 'Attach'));
  upload.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.upload(`/agent/customers/${customer.id}/documents`, new FormData(upload));
      upload.reset();
      refresh();
    } catch (error) { showError(error); }
  });
  refresh();
  return h('div', { class: 'customer' }, h('h3', {}, customer.email), list, upload);
}

async function route() {
  const hash = location.hash.replace(/^#/, '');
  const main = document.getElementById('agent-main');
  try {
    let view;
    if (hash.startsWith('ticket/')) view = await ticketView(hash.slice(7));
    else if (hash === 'ratings') view = await ratingsView();
    else if (hash === 'documents') view = await documentsView();
    else view = await inbox();
    main.replaceChildren(view);
  } catch (error) { showError(error); }
}

async function start() {
  const [{ staff, me }, config, session] = await Promise.all([api.get('/agent/staff'), api.get('/config/tickets?lang=en'), api.session()]);
  Object.assign(state, { staff, me, config });
  root.replaceChildren(
    h('header', {}, h('h1', {}, 'Support'), h('nav', {}, h('a', { href: '#' }, 'Inbox'), ' ', h('a', { href: '#ratings' }, 'Ratings'), ' ',
      h('a', { href: '#documents' }, 'Documents'), ' ', h('a', { href: '/agent/chat/' }, 'Live chat'), ' ',
      h('a', { href: '/agent/community/' }, 'Community')),
    h('span', { class: 'who' }, session.user.email, ' ', h('button', { type: 'button', onclick: async () => { await api.post('/auth/logout'); location.reload(); } }, 'Sign out'))),
    h('p', { id: 'agent-error', role: 'alert', hidden: true }),
    h('main', { id: 'agent-main' }));
  window.addEventListener('hashchange', route);
  route();
}

start();
